// MT19937 as CPython seeds and draws from it (Modules/_randommodule.c).
#include "driver/bench/py_random.h"

#include <bit>

namespace fathom::driver::bench {
namespace {
constexpr int kN = 624;
constexpr int kM = 397;
constexpr uint32_t kMatrixA = 0x9908b0dfU;
constexpr uint32_t kUpperMask = 0x80000000U;
constexpr uint32_t kLowerMask = 0x7fffffffU;
}  // namespace

PyRandom::PyRandom(uint64_t seed) {
  std::vector<uint32_t> key;
  if (seed == 0) key.push_back(0);
  while (seed != 0) {
    key.push_back(static_cast<uint32_t>(seed & 0xffffffffU));
    seed >>= 32;
  }
  InitByArray(key);
}

void PyRandom::InitGenrand(uint32_t s) {
  mt_[0] = s;
  for (mti_ = 1; mti_ < kN; ++mti_) {
    mt_[mti_] = 1812433253U * (mt_[mti_ - 1] ^ (mt_[mti_ - 1] >> 30)) +
                static_cast<uint32_t>(mti_);
  }
}

void PyRandom::InitByArray(const std::vector<uint32_t>& key) {
  InitGenrand(19650218U);
  const size_t key_length = key.size();
  size_t i = 1;
  size_t j = 0;
  for (size_t k = (kN > key_length ? kN : key_length); k; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525U)) + key[j] +
             static_cast<uint32_t>(j);
    ++i;
    ++j;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
    if (j >= key_length) j = 0;
  }
  for (size_t k = kN - 1; k; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941U)) -
             static_cast<uint32_t>(i);
    ++i;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
  }
  mt_[0] = 0x80000000U;
  mti_ = kN;
}

uint32_t PyRandom::NextU32() {
  static constexpr uint32_t kMag01[2] = {0x0U, kMatrixA};
  uint32_t y;
  if (mti_ >= kN) {
    int kk;
    for (kk = 0; kk < kN - kM; ++kk) {
      y = (mt_[kk] & kUpperMask) | (mt_[kk + 1] & kLowerMask);
      mt_[kk] = mt_[kk + kM] ^ (y >> 1) ^ kMag01[y & 0x1U];
    }
    for (; kk < kN - 1; ++kk) {
      y = (mt_[kk] & kUpperMask) | (mt_[kk + 1] & kLowerMask);
      mt_[kk] = mt_[kk + (kM - kN)] ^ (y >> 1) ^ kMag01[y & 0x1U];
    }
    y = (mt_[kN - 1] & kUpperMask) | (mt_[0] & kLowerMask);
    mt_[kN - 1] = mt_[kM - 1] ^ (y >> 1) ^ kMag01[y & 0x1U];
    mti_ = 0;
  }
  y = mt_[mti_++];
  y ^= (y >> 11);
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= (y >> 18);
  return y;
}

uint64_t PyRandom::GetRandBits(int k) {
  if (k <= 0) return 0;
  if (k <= 32) return NextU32() >> (32 - k);
  // Two words, least significant first; the second keeps its top (k - 32) bits.
  const uint64_t low = NextU32();
  const uint64_t high = NextU32() >> (64 - k);
  return low | (high << 32);
}

uint64_t PyRandom::RandBelow(uint64_t n) {
  if (n == 0) return 0;
  const int k = std::bit_width(n);
  uint64_t r = GetRandBits(k);
  while (r >= n) r = GetRandBits(k);
  return r;
}

std::vector<int> ShuffledOrder(int n, PyRandom& rng) {
  std::vector<int> p(n);
  for (int i = 0; i < n; ++i) p[i] = i;
  rng.Shuffle(p);
  return p;
}

}  // namespace fathom::driver::bench
