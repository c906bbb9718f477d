// The paired bootstrap: a seed gives one answer; the answer is checked against cases worked
// out by hand, an exact enumeration of a small bootstrap distribution, and an independent
// Python implementation (tests/report/paired_bootstrap_reference.py: its own MT19937-64
// and Lemire draws) to the last bit.
#include "driver/report/paired_bootstrap.h"

#include <string>

#include "driver/report/test_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace fathom::driver::report {
namespace {

using Strata = std::vector<std::vector<std::pair<double, double>>>;

TEST(PairedBootstrapTest, SameSeedSameAnswerOtherSeedOtherDraws) {
  const Strata s = {{{1, 0}, {0, 1}, {1, 1}, {0, 0}, {1, 0}, {0, 1}, {0, 1}, {1, 1}}};
  const PairedDelta a = PairedBootstrap(s, false, 2000, 42);
  const PairedDelta b = PairedBootstrap(s, false, 2000, 42);
  EXPECT_EQ(a.delta, b.delta);
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.high, b.high);
  EXPECT_EQ(a.p_value, b.p_value);
  const PairedDelta c = PairedBootstrap(s, false, 2000, 43);
  EXPECT_EQ(c.delta, a.delta);  // the point estimate does not depend on the draws
  EXPECT_NE(c.p_value, a.p_value);
}

TEST(PairedBootstrapTest, CasesWorkedByHand) {
  // Every pair moves by +1: every resample's mean is 1; none is <= 0.
  const PairedDelta up = PairedBootstrap({{{0, 1}, {0, 1}, {0, 1}}}, false, 999, 0);
  EXPECT_EQ(up.delta, 1);
  EXPECT_EQ(up.low, 1);
  EXPECT_EQ(up.high, 1);
  EXPECT_EQ(up.p_value, 2.0 * 1 / 1000);  // 2 x (0 + 1) / (999 + 1)
  EXPECT_EQ(up.pairs, 3);
  EXPECT_EQ(up.replicates, 999);
  // Identical runs: every resample is 0, on both sides at once.
  const PairedDelta same = PairedBootstrap({{{1, 1}, {0, 0}}}, false, 500, 0);
  EXPECT_EQ(same.delta, 0);
  EXPECT_EQ(same.low, 0);
  EXPECT_EQ(same.high, 0);
  EXPECT_EQ(same.p_value, 1);
  // Macro: the mean over sub-tasks of the mean differences: (1 + 0 + (-1 + 0) / 2) / 3.
  const PairedDelta macro = PairedBootstrap({{{0, 1}}, {{1, 1}}, {{1, 0}, {0, 0}}}, true, 0, 0);
  EXPECT_DOUBLE_EQ(macro.delta, (1.0 + 0.0 - 0.5) / 3);
  EXPECT_EQ(macro.low, macro.delta);  // no replicates: the interval is the point
  EXPECT_EQ(macro.p_value, 1);
  // Micro over the same pairs: (1 + 0 - 1 + 0) / 4.
  EXPECT_EQ(PairedBootstrap({{{0, 1}}, {{1, 1}}, {{1, 0}, {0, 0}}}, false, 0, 0).delta, 0);
  // Empty strata are left out; no pairs at all is no estimate.
  EXPECT_EQ(PairedBootstrap({{}, {{0, 1}}}, true, 10, 0).delta, 1);
  const PairedDelta none = PairedBootstrap({{}, {}}, true, 10, 0);
  EXPECT_EQ(none.pairs, 0);
  EXPECT_EQ(none.p_value, 1);
}

TEST(PairedBootstrapTest, AgreesWithTheExactBootstrapDistribution) {
  // Differences {1, 0, 0}: a resample's mean is j/3 with j ~ Binomial(3, 1/3):
  // P(0) = 8/27, P(1/3) = 12/27, P(2/3) = 6/27, P(1) = 1/27. The 2.5th percentile is 0
  // (8/27 > 2.5%); the 97.5th is 1 (P(<= 2/3) = 26/27 = 96.3% < 97.5%), by 1.2 points,
  // about 6 standard deviations at 10,000 draws; p = 2 x P(mean <= 0) = 16/27.
  const PairedDelta d = PairedBootstrap({{{0, 1}, {0, 0}, {1, 1}}}, false, 10000, 0);
  EXPECT_DOUBLE_EQ(d.delta, 1.0 / 3);
  EXPECT_EQ(d.low, 0);
  EXPECT_EQ(d.high, 1);
  EXPECT_NEAR(d.p_value, 16.0 / 27, 0.03);
}

// Runs the Python reference on `strata` and returns its answer.
nlohmann::json Reference(const Strata& strata, bool macro, int replicates, uint64_t seed) {
  const nlohmann::json q = {{"strata", strata}, {"macro", macro}, {"replicates", replicates}, {"seed", seed}};
  return nlohmann::json::parse(
      testing::RunPython(std::string(FATHOM_SOURCE_DIR) + "/tests/report/paired_bootstrap_reference.py", q.dump()),
      nullptr, false);
}

// repr() of a double, as Python prints it, for exact comparison.
double FromRepr(const nlohmann::json& j) { return std::stod(j.get<std::string>()); }

TEST(PairedBootstrapTest, AgreesWithAnIndependentImplementationToTheBit) {
  struct Case {
    Strata strata;
    bool macro;
    int replicates;
    uint64_t seed;
  };
  const std::vector<Case> cases = {
      // GPT-Fathom-like 0/1 items in three sub-tasks of unequal size, macro.
      {{{{1, 0}, {0, 1}, {1, 1}, {0, 0}, {1, 0}},
        {{0.5, 0.25}, {0.75, 1.0}},
        {{1, 1}, {1, 0}, {0, 0}, {1, 0}, {1, 1}, {0, 1}, {1, 0}}},
       true, 1000, 7},
      // The same pairs pooled (micro), another seed.
      {{{{1, 0}, {0, 1}, {1, 1}, {0, 0}, {1, 0}},
        {{0.5, 0.25}, {0.75, 1.0}},
        {{1, 1}, {1, 0}, {0, 0}, {1, 0}, {1, 1}, {0, 1}, {1, 0}}},
       false, 1000, 123456789},
      // F1-like fractions, one sub-task, the default 10,000 resamples.
      {{{{0.4, 0.9}, {0.1, 0.1}, {0.66, 0.5}, {1, 1}, {0.2, 0.8}, {0.0, 0.35}, {0.9, 0.7}}},
       false, 10000, 0},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    const Case& c = cases[i];
    const PairedDelta d = PairedBootstrap(c.strata, c.macro, c.replicates, c.seed);
    const nlohmann::json r = Reference(c.strata, c.macro, c.replicates, c.seed);
    ASSERT_TRUE(r.is_object()) << r.dump();
    EXPECT_EQ(d.delta, FromRepr(r["delta"]));
    EXPECT_EQ(d.low, FromRepr(r["low"]));
    EXPECT_EQ(d.high, FromRepr(r["high"]));
    EXPECT_EQ(d.p_value, FromRepr(r["p_value"]));
    EXPECT_EQ(d.pairs, r["pairs"].get<int64_t>());
  }
}

}  // namespace
}  // namespace fathom::driver::report
