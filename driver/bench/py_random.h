// CPython's random.Random, bit-exact for the parts GPT-Fathom's option shuffle uses:
// seeding from a non-negative int, getrandbits, _randbelow and shuffle (CPython 3.x,
// Modules/_randommodule.c and Lib/random.py).
//
// Thread safety: a PyRandom is not shared; each user owns one.
#ifndef FATHOM_DRIVER_BENCH_PY_RANDOM_H_
#define FATHOM_DRIVER_BENCH_PY_RANDOM_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace fathom::driver::bench {

class PyRandom {
 public:
  // random.Random(seed) for an int seed: MT19937 init_by_array over the 32-bit words of
  // abs(seed), least significant first (one word [0] for 0).
  explicit PyRandom(uint64_t seed);

  // One MT19937 output (genrand_uint32).
  uint32_t NextU32();
  // random.getrandbits(k) for 0 < k <= 64: whole words, least significant first, the last
  // one shifted right to keep its top bits.
  uint64_t GetRandBits(int k);
  // random._randbelow(n) for n > 0: getrandbits(n.bit_length()) until the value is < n.
  uint64_t RandBelow(uint64_t n);

  // random.shuffle(x): for i from len-1 down to 1, swap x[i] with x[_randbelow(i + 1)].
  template <typename T>
  void Shuffle(std::vector<T>& x) {
    for (size_t i = x.size(); i-- > 1;) {
      const size_t j = static_cast<size_t>(RandBelow(i + 1));
      std::swap(x[i], x[j]);
    }
  }

 private:
  void InitGenrand(uint32_t s);
  void InitByArray(const std::vector<uint32_t>& key);
  std::array<uint32_t, 624> mt_{};
  int mti_ = 625;
};

// GPT-Fathom's option order for `n` options drawn from `rng` (formatting.make_abc:
// p = list(range(n)); rng.shuffle(p)). order[i] is the original index shown as letter i.
std::vector<int> ShuffledOrder(int n, PyRandom& rng);

}  // namespace fathom::driver::bench

#endif  // FATHOM_DRIVER_BENCH_PY_RANDOM_H_
