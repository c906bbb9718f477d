// The wire format and Python's == on plain values.
#include "grader/iomode/py_value.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

PyValue W(const std::string& wire) {
  absl::StatusOr<PyValue> v = DecodePyValue(wire);
  EXPECT_TRUE(v.ok()) << wire << ": " << v.status();
  return v.ok() ? *v : PyValue{};
}

// The wire text of a float (as the harness writes struct.pack(">d", x).hex()).
std::string F(double d) { return EncodePyValue(PyValue::Float(d)); }

TEST(PyValueTest, DecodesEveryKindAndRoundTrips) {
  for (const std::string& wire : std::vector<std::string>{"n", "T", "F", "i0;", "i-ff;", "i7fffffffffffffffff;", "s68c3a9;", "s;",
        "l3:i1;s61;n", "t0:", "d2:s61;i1;i2;l0:", "S2:i1;i2;", "Z1:s78;",
        "f3ff8000000000000", "c3ff00000000000004000000000000000"}) {
    EXPECT_EQ(EncodePyValue(W(wire)), wire);
  }
  EXPECT_EQ(W("f3ff8000000000000").number, 1.5);
  EXPECT_EQ(W("i-ff;").negative, true);
  EXPECT_EQ(W("s68c3a9;").text, "h\xc3\xa9");
}

TEST(PyValueTest, RejectsMalformedWire) {
  for (const std::string& wire : std::vector<std::string>{"", "x", "i;", "i01;", "i-0;", "iff", "s6;", "s6g;", "l2:i1;", "l9999999999:",
        "d1:i1;", "f12", "nn", "T ", "H10:abc", "H4096:" + std::string(64, 'a'),
        "i" + std::string(4097, 'f') + ";"}) {
    EXPECT_FALSE(DecodePyValue(wire).ok()) << wire;
  }
  std::string deep(kMaxPyValueDepth + 5, 'l');
  std::string nested;
  for (size_t i = 0; i < deep.size(); ++i) nested += "l1:";
  nested += "n";
  EXPECT_FALSE(DecodePyValue(nested).ok());
}

TEST(PyValueTest, NumbersCompareByValueAcrossBoolIntFloat) {
  EXPECT_TRUE(PyEquals(W("T"), W("i1;")));
  EXPECT_TRUE(PyEquals(W("i1;"), W(F(1.0))));
  EXPECT_TRUE(PyEquals(W("F"), W(F(-0.0))));
  EXPECT_TRUE(PyEquals(W("i-2;"), W(F(-2.0))));
  EXPECT_TRUE(PyEquals(W("i10000000000000;"), W(F(std::ldexp(1.0, 52)))));  // 2^52
  EXPECT_FALSE(PyEquals(W("i1;"), W(F(1.5))));
  EXPECT_FALSE(PyEquals(W(F(std::nan(""))), W(F(std::nan("")))));
  EXPECT_TRUE(PyEquals(W(F(INFINITY)), W(F(INFINITY))));
  EXPECT_FALSE(PyEquals(W("i1;"), W("s31;")));  // 1 != "1"
  EXPECT_FALSE(PyEquals(W("n"), W("F")));
  // 2^64 + 1 is not the float 2^64.
  EXPECT_FALSE(PyEquals(W("i10000000000000001;"), W(F(std::ldexp(1.0, 64)))));
  EXPECT_TRUE(PyEquals(W("i10000000000000000;"), W(F(std::ldexp(1.0, 64)))));
}

TEST(PyValueTest, ContainersFollowPython) {
  EXPECT_TRUE(PyEquals(W("l2:i1;i2;"), W("l2:T" + F(2.0))));
  EXPECT_FALSE(PyEquals(W("l2:i1;i2;"), W("t2:i1;i2;")));  // [1, 2] != (1, 2)
  EXPECT_TRUE(PyEquals(W("S2:i1;i2;"), W("Z2:i2;i1;")));   // set == frozenset
  EXPECT_TRUE(PyEquals(W("S2:i1;i2;"), W("S2:" + F(2.0) + "T")));
  EXPECT_FALSE(PyEquals(W("S2:i1;i1;"), W("S2:i1;i2;")));  // forged duplicate
  EXPECT_TRUE(PyEquals(W("d2:s61;i1;i2;n"), W("d2:" + F(2.0) + "ns61;T")));
  EXPECT_FALSE(PyEquals(W("d2:i1;n" + F(1.0) + "n"), W("d2:i1;ni2;n")));  // repeated key
  EXPECT_FALSE(PyEquals(W("d1:s61;i1;"), W("d1:s61;i2;")));
  EXPECT_FALSE(PyEquals(W("l1:" + F(std::nan(""))), W("l1:" + F(std::nan("")))));
  EXPECT_TRUE(PyEquals(W("c3ff00000000000000000000000000000"), W("i1;")));  // 1+0j == 1
  EXPECT_FALSE(PyEquals(W("c3ff00000000000003ff0000000000000"), W("i1;")));
}

TEST(PyValueTest, DigestedValuesCompareByLengthAndDigest) {
  std::string d1 = std::string(64, 'a'), d2 = std::string(64, 'b');
  EXPECT_TRUE(PyEquals(W("H5000:" + d1), W("H5000:" + d1)));
  EXPECT_FALSE(PyEquals(W("H5000:" + d1), W("H5000:" + d2)));
  EXPECT_FALSE(PyEquals(W("H5000:" + d1), W("H5001:" + d1)));
  EXPECT_TRUE(PyEquals(W("I5000:" + d1), W("I5000:" + d1)));
  EXPECT_FALSE(PyEquals(W("I-5000:" + d1), W("I5000:" + d1)));
  EXPECT_FALSE(PyEquals(W("I5000:" + d1), W(F(1e300))));
  EXPECT_EQ(PyHashKey(W("H5000:" + d1)), PyHashKey(W("H5000:" + d1)));
  EXPECT_FALSE(PyNumber(W("I5000:" + d1)).has_value());
}

TEST(PyValueTest, HashKeysMatchPythonHashIdentity) {
  EXPECT_EQ(PyHashKey(W("T")), PyHashKey(W("i1;")));
  EXPECT_EQ(PyHashKey(W(F(3.0))), PyHashKey(W("i3;")));
  EXPECT_NE(PyHashKey(W(F(3.5))), PyHashKey(W("i3;")));
  EXPECT_EQ(PyHashKey(W("t2:i1;s61;")), PyHashKey(W("t2:Ts61;")));
  EXPECT_EQ(PyHashKey(W("Z2:i1;i2;")), PyHashKey(W("Z2:i2;i1;")));
  EXPECT_FALSE(PyHashKey(W("l0:")).has_value());
  EXPECT_FALSE(PyHashKey(W(F(std::nan("")))).has_value());
}

TEST(PyValueTest, NumbersForNumpy) {
  EXPECT_EQ(PyNumber(W("T")), 1.0);
  EXPECT_EQ(PyNumber(W("i-8000000000000000;")), -9223372036854775808.0);
  EXPECT_FALSE(PyNumber(W("i-8000000000000001;")).has_value());
  EXPECT_EQ(PyNumber(W("iffffffffffffffff;")), 18446744073709551615.0);
  EXPECT_FALSE(PyNumber(W("i10000000000000000;")).has_value());
  EXPECT_FALSE(PyNumber(W("s31;")).has_value());
}

TEST(PyValueTest, ReprIsShortAndPythonLike) {
  EXPECT_EQ(PyRepr(W("l3:i1;s61;n")), "[1, 'a', None]");
  EXPECT_EQ(PyRepr(W("t1:i-5;")), "(-5,)");
  EXPECT_EQ(PyRepr(W("d1:i1;T")), "{1: True}");
  EXPECT_EQ(PyRepr(W("S0:")), "set()");
}

}  // namespace
}  // namespace fathom::grader
