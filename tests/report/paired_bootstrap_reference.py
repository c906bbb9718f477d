"""An independent implementation of fathom compare's paired bootstrap
(driver/report/paired_bootstrap.h), for its unit test: std::mt19937_64 (the 64-bit
Mersenne Twister, MT19937-64 of Matsumoto & Nishimura) written out here, Lemire's
unbiased bounded integers, the stratified resampling, the percentile ranks and the p-value.

stdin: {"strata": [[[a, b], ...], ...], "macro": bool, "replicates": B, "seed": S}
stdout: {"delta", "low", "high", "p_value", "pairs"} with floats as repr() prints them.
"""
import json
import math
import sys

MASK = (1 << 64) - 1


class MT19937_64:
    def __init__(self, seed):
        self.mt = [0] * 312
        self.mt[0] = seed & MASK
        for i in range(1, 312):
            prev = self.mt[i - 1]
            self.mt[i] = (6364136223846793005 * (prev ^ (prev >> 62)) + i) & MASK
        self.index = 312

    def _twist(self):
        mt = self.mt
        for i in range(312):
            x = (mt[i] & 0xFFFFFFFF80000000) | (mt[(i + 1) % 312] & 0x7FFFFFFF)
            xa = x >> 1
            if x & 1:
                xa ^= 0xB5026F5AA96619E9
            mt[i] = mt[(i + 156) % 312] ^ xa
        self.index = 0

    def __call__(self):
        if self.index >= 312:
            self._twist()
        y = self.mt[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & MASK


def uniform_below(rng, n):
    # Lemire: the high word of x * n, rejecting the low words below 2^64 mod n.
    threshold = ((1 << 64) - n) % n
    while True:
        m = rng() * n
        low = m & MASK
        if low >= n or low >= threshold:
            return m >> 64


def main():
    q = json.load(sys.stdin)
    diffs = [[b - a for a, b in s] for s in q['strata'] if s]
    pairs = sum(len(d) for d in diffs)
    macro = q['macro']
    reps_n = q['replicates']
    out = {'delta': 0.0, 'low': 0.0, 'high': 0.0, 'p_value': 1.0, 'pairs': pairs}
    if pairs == 0:
        print(json.dumps(out))
        return
    # Sums left to right, in the C++ order, so the floats agree to the last bit.
    total = 0.0
    means = 0.0
    for d in diffs:
        s = 0.0
        for x in d:
            s += x
        total += s
        means += s / len(d)
    delta = means / len(diffs) if macro else total / pairs
    rng = MT19937_64(q['seed'])
    reps = []
    below = above = 0
    for _ in range(reps_n):
        all_sum = 0.0
        mean_sum = 0.0
        for d in diffs:
            s = 0.0
            for _ in range(len(d)):
                s += d[uniform_below(rng, len(d))]
            all_sum += s
            mean_sum += s / len(d)
        v = mean_sum / len(diffs) if macro else all_sum / pairs
        below += v <= 0
        above += v >= 0
        reps.append(v)
    reps.sort()
    lo = math.floor(0.025 * reps_n)
    hi = max(math.ceil(0.975 * reps_n) - 1, 0)
    out.update(delta=delta, low=reps[min(lo, reps_n - 1)], high=reps[min(hi, reps_n - 1)],
               p_value=min(1.0, 2 * (min(below, above) + 1) / (reps_n + 1)))
    print(json.dumps({k: (repr(v) if isinstance(v, float) else v) for k, v in out.items()}))


if __name__ == '__main__':
    main()
