// EvalPlus's output rule: exact matches, atol and allclose, the special oracles.
#include "grader/iomode/evalplus_oracle.h"

#include <cmath>

#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

using Kind = PyValue::Kind;

PyValue I(int64_t v) { return PyValue::Int(v); }
PyValue D(double v) { return PyValue::Float(v); }
PyValue S(const std::string& s) { return PyValue::Str(s); }
PyValue L(std::vector<PyValue> v) { return PyValue::Container(Kind::kList, std::move(v)); }
PyValue T(std::vector<PyValue> v) { return PyValue::Container(Kind::kTuple, std::move(v)); }

OracleState HumanEval(const std::string& entry, double atol = 0) {
  return OracleState{EvalPlusDataset::kHumanEval, entry, atol};
}
OracleState Mbpp(const std::string& entry, double atol = 0) {
  return OracleState{EvalPlusDataset::kMbpp, entry, atol};
}

TEST(EvalPlusOracleTest, ExactMatchUnlessFloats) {
  OracleState s = HumanEval("f");
  EXPECT_FALSE(EvalPlusAccepts(s, "[1]", I(3), I(4)));
  EXPECT_FALSE(EvalPlusAccepts(s, "[1]", L({I(1)}), T({I(1)})));
  EXPECT_TRUE(EvalPlusAccepts(s, "[1]", PyValue::Bool(true), I(1)));  // True == 1
  EXPECT_EQ(s.atol, 0);  // no float expected yet
  EXPECT_TRUE(EvalPlusAccepts(s, "[1]", I(3), D(3.0)));   // 3 == 3.0
  EXPECT_EQ(s.atol, 1e-6);
}

TEST(EvalPlusOracleTest, FloatsGetAtolOneMillionthThatSticks) {
  OracleState s = HumanEval("f");
  EXPECT_TRUE(EvalPlusAccepts(s, "[]", D(0.1 + 0.2), D(0.3)));
  EXPECT_EQ(s.atol, 1e-6);
  EXPECT_FALSE(EvalPlusAccepts(s, "[]", D(0.30001), D(0.3)));
  // The raised atol stays for a later int output of the same group (EvalPlus keeps it):
  // 5 vs 5.0000001 would need it, but types differ (int vs float): rejected.
  EXPECT_FALSE(EvalPlusAccepts(s, "[]", I(5), D(5.0000001)));
  EXPECT_TRUE(EvalPlusAccepts(s, "[]", L({D(1.0000001), D(2.0)}), L({D(1.0), D(2.0)})));
  EXPECT_FALSE(EvalPlusAccepts(s, "[]", L({D(1.0000001)}), L({D(1.0), D(2.0)})));  // length
  EXPECT_FALSE(EvalPlusAccepts(s, "[]", T({D(1.0000001), D(2.0)}), L({D(1.0), D(2.0)})));
  EXPECT_FALSE(EvalPlusAccepts(s, "[]", S("x"), D(1.0)));
}

TEST(EvalPlusOracleTest, AllCloseIsNumpys) {
  EXPECT_TRUE(AllClose(D(1.0 + 5e-8), D(1.0), 1e-7, 0));    // rtol * |exp|
  EXPECT_FALSE(AllClose(D(1.0 + 1e-6), D(1.0), 1e-7, 0));
  EXPECT_TRUE(AllClose(D(INFINITY), D(INFINITY), 1e-7, 1e-6));
  EXPECT_FALSE(AllClose(D(NAN), D(NAN), 1e-7, 1e-6));
  EXPECT_TRUE(AllClose(L({PyValue::Bool(true), I(2)}), L({D(1.0), D(2.0)}), 1e-7, 1e-6));
  // Broadcasting: [[1.0]] against [[1.0, 1.0]].
  EXPECT_TRUE(AllClose(L({L({D(1.0)})}), L({L({D(1.0), D(1.0)})}), 1e-7, 1e-6));
  EXPECT_FALSE(AllClose(L({L({D(1.0)}), D(2.0)}), L({D(1.0), D(2.0)}), 1e-7, 1e-6));  // ragged
  EXPECT_FALSE(AllClose(L({S("a")}), L({S("a")}), 1e-7, 1e-6));
  EXPECT_FALSE(AllClose(L({D(1.0), D(2.0), D(3.0)}), L({D(1.0), D(2.0)}), 1e-7, 1e-6));
}

TEST(EvalPlusOracleTest, FindZeroChecksTheRoot) {
  OracleState s = HumanEval("find_zero", 1e-4);
  // xs = [-6, 11, -6, 1]: roots 1, 2, 3.
  EXPECT_TRUE(EvalPlusAccepts(s, "[[-6, 11, -6, 1]]", D(2.0), D(1.0)));
  EXPECT_TRUE(EvalPlusAccepts(s, "[[-6, 11, -6, 1]]", D(3.00000001), D(1.0)));
  EXPECT_FALSE(EvalPlusAccepts(s, "[[-6, 11, -6, 1]]", D(1.5), D(1.0)));
  EXPECT_FALSE(EvalPlusAccepts(s, "[[-6, 11, -6, 1]]", S("1"), D(1.0)));
}

TEST(EvalPlusOracleTest, MbppSpecialOracles) {
  OracleState eq = Mbpp("are_equivalent");
  EXPECT_TRUE(EvalPlusAccepts(eq, "[1, 2]", S("anything"), PyValue::Bool(false)));
  OracleState sd = Mbpp("sum_div");
  EXPECT_TRUE(EvalPlusAccepts(sd, "[12]", I(0), I(16)));
  EXPECT_TRUE(EvalPlusAccepts(sd, "[12]", PyValue::Bool(false), I(16)));  // False == 0
  EXPECT_FALSE(EvalPlusAccepts(sd, "[12]", I(15), I(16)));
  OracleState sa = Mbpp("surface_Area");
  // b=3, h=4: 9 + 2*3*sqrt(2.25+16) = 9 + 6*4.272... = 34.63 -> 35
  EXPECT_TRUE(EvalPlusAccepts(sa, "[3, 4]", I(35), I(33)));
  EXPECT_FALSE(EvalPlusAccepts(sa, "[3, 4]", I(34), I(33)));
  OracleState dd = Mbpp("digit_distance_nums");
  EXPECT_TRUE(EvalPlusAccepts(dd, "[123, 256]", I(7), I(99)));  // |1-2|+|2-5|+|3-6|
  EXPECT_FALSE(EvalPlusAccepts(dd, "[123, 256]", I(6), I(99)));
  OracleState se = Mbpp("similar_elements");
  EXPECT_TRUE(EvalPlusAccepts(se, "[]", L({I(5), I(4)}), T({I(4), I(5)})));
  EXPECT_FALSE(EvalPlusAccepts(se, "[]", L({I(5)}), T({I(4), I(5)})));
  EXPECT_FALSE(EvalPlusAccepts(se, "[]", I(5), T({I(5)})));  // set(5) raises
  OracleState fc = Mbpp("find_char_long");
  EXPECT_TRUE(EvalPlusAccepts(fc, "[]", S("ab"), L({S("b"), S("a")})));
  EXPECT_TRUE(IsNotNoneOracle(EvalPlusDataset::kMbpp, "check_str"));
  EXPECT_FALSE(IsNotNoneOracle(EvalPlusDataset::kHumanEval, "check_str"));
}

}  // namespace
}  // namespace fathom::grader
