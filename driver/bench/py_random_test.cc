// PyRandom against CPython 3.11: every expected value below was printed by
// random.Random(seed) in CPython (see each test).
#include "driver/bench/py_random.h"

#include <gtest/gtest.h>

#include <vector>

namespace fathom::driver::bench {
namespace {

// p = list(range(n)); random.Random(47).shuffle(p)
TEST(PyRandom, ShuffleMatchesCPythonFor2To26Items) {
  const std::vector<std::pair<int, std::vector<int>>> expected = {
      {2, {0, 1}},
      {3, {2, 0, 1}},
      {4, {3, 1, 0, 2}},
      {5, {3, 4, 1, 0, 2}},
      {6, {4, 1, 5, 3, 0, 2}},
      {7, {5, 1, 6, 4, 3, 0, 2}},
      {8, {6, 1, 2, 7, 4, 3, 0, 5}},
      {9, {0, 8, 7, 2, 6, 4, 3, 1, 5}},
      {10, {0, 9, 8, 2, 7, 3, 4, 6, 1, 5}},
      {11, {8, 0, 9, 3, 10, 2, 4, 7, 6, 1, 5}},
      {12, {9, 0, 10, 3, 11, 2, 4, 7, 8, 6, 1, 5}},
      {13, {11, 0, 10, 9, 3, 4, 2, 12, 7, 8, 6, 1, 5}},
      {14, {2, 11, 12, 0, 10, 3, 9, 4, 13, 7, 8, 6, 1, 5}},
      {15, {2, 12, 13, 0, 11, 3, 10, 4, 14, 9, 7, 8, 6, 1, 5}},
      {16, {14, 10, 2, 15, 0, 12, 3, 13, 4, 5, 9, 7, 8, 6, 1, 11}},
      {17, {1, 10, 15, 12, 0, 16, 3, 14, 13, 4, 5, 9, 7, 8, 6, 2, 11}},
      {18, {1, 16, 15, 17, 3, 0, 10, 12, 6, 14, 4, 5, 9, 7, 8, 13, 2, 11}},
      {19, {3, 17, 1, 12, 7, 18, 16, 15, 0, 10, 6, 8, 4, 5, 9, 14, 13, 2, 11}},
      {20, {1, 5, 16, 3, 18, 17, 7, 15, 19, 0, 9, 12, 6, 8, 4, 10, 14, 13, 2, 11}},
      {21, {1, 5, 16, 3, 19, 18, 7, 15, 20, 0, 9, 12, 6, 8, 4, 10, 14, 17, 13, 2, 11}},
      {22, {4, 5, 7, 21, 3, 20, 18, 1, 16, 12, 0, 9, 19, 6, 15, 8, 10, 14, 17, 13, 2, 11}},
      {23, {5, 22, 16, 7, 4, 3, 21, 20, 1, 15, 19, 18, 0, 9, 6, 12, 8, 10, 14, 17, 13, 2, 11}},
      {24, {5, 23, 16, 7, 4, 3, 22, 21, 1, 15, 20, 19, 0, 9, 6, 12, 8, 10, 18, 14, 17, 13, 2, 11}},
      {25, {5, 24, 21, 7, 4, 3, 23, 22, 1, 15, 19, 20, 0, 9, 6, 12, 16, 8, 10, 18, 14, 17, 13, 2, 11}},
      {26, {5, 25, 20, 7, 4, 3, 24, 21, 1, 23, 19, 6, 15, 0, 9, 22, 12, 16, 8, 10, 18, 14, 17, 13, 2, 11}},
  };
  for (const auto& [n, want] : expected) {
    PyRandom rng(47);
    EXPECT_EQ(ShuffledOrder(n, rng), want) << n;
  }
}

// r = random.Random(47); [p := list(range(n)), r.shuffle(p) for n in (4, 4, 5, 2)]: one
// generator shared across a few-shot block.
TEST(PyRandom, SharedGeneratorContinues) {
  PyRandom rng(47);
  EXPECT_EQ(ShuffledOrder(4, rng), (std::vector<int>{3, 1, 0, 2}));
  EXPECT_EQ(ShuffledOrder(4, rng), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(ShuffledOrder(5, rng), (std::vector<int>{4, 0, 1, 3, 2}));
  EXPECT_EQ(ShuffledOrder(2, rng), (std::vector<int>{0, 1}));
}

// r = random.Random(47); r.getrandbits(32) x3, r.getrandbits(64), r.getrandbits(5)
TEST(PyRandom, GetRandBits) {
  PyRandom rng(47);
  EXPECT_EQ(rng.GetRandBits(32), 1511168161u);
  EXPECT_EQ(rng.GetRandBits(32), 268543586u);
  EXPECT_EQ(rng.GetRandBits(32), 1847635854u);
  EXPECT_EQ(rng.GetRandBits(64), 8368750294099254058ull);
  EXPECT_EQ(rng.GetRandBits(5), 18u);
}

// random.Random(0).getrandbits(32); random.Random(2**40 + 5).getrandbits(32): the seed's
// 32-bit words become init_by_array's key.
TEST(PyRandom, Seeding) {
  EXPECT_EQ(PyRandom(0).GetRandBits(32), 3626764237u);
  EXPECT_EQ(PyRandom((1ull << 40) + 5).GetRandBits(32), 2166296868u);
}

// TruthfulQA MC1 puts the gold first, so the gold letter depends only on the option count
// (spec section 2): n=2->A, 3->B, 4->C, 5->D, 6->E, 7->F, 8->G, 9->A, 10->A, 11..13->B.
TEST(PyRandom, TruthfulQaGoldLetters) {
  const char want[] = "ABCDEFGAABBB";
  for (int n = 2; n <= 13; ++n) {
    PyRandom rng(47);
    const std::vector<int> p = ShuffledOrder(n, rng);
    const int pos = static_cast<int>(std::find(p.begin(), p.end(), 0) - p.begin());
    EXPECT_EQ('A' + pos, want[n - 2]) << n;
  }
}

}  // namespace
}  // namespace fathom::driver::bench
