// The wire format and Python's == on plain values.
#include "grader/iomode/py_value.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>

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

// The equality digest of a wire value that must have one.
std::string Digest(const std::string& wire) {
  absl::StatusOr<std::optional<std::string>> d = EqualityDigest(wire);
  EXPECT_TRUE(d.ok()) << wire << ": " << d.status();
  EXPECT_TRUE(d.ok() && d->has_value()) << wire << " has no equality form";
  return d.ok() && d->has_value() ? **d : "";
}

bool NoForm(const std::string& wire) {
  absl::StatusOr<std::optional<std::string>> d = EqualityDigest(wire);
  EXPECT_TRUE(d.ok()) << wire << ": " << d.status();
  return d.ok() && !d->has_value();
}

TEST(PyValueTest, EqualValuesHaveEqualDigests) {
  const std::vector<std::vector<std::string>> same = {
      {"T", "i1;", F(1.0), "c3ff00000000000000000000000000000"},
      {"F", "i0;", F(0.0), F(-0.0), "c80000000000000000000000000000000"},
      {"i-2;", F(-2.0)},
      {"i10000000000000000;", F(std::ldexp(1.0, 64))},
      {F(INFINITY)},
      {"S2:i1;i2;", "Z2:i2;i1;", "S2:" + F(2.0) + "T"},
      {"d2:s61;i1;i2;n", "d2:" + F(2.0) + "ns61;T"},
      {"l2:i1;i2;", "l2:T" + F(2.0)},
      {"c00000000000000003ff0000000000000", "c80000000000000003ff0000000000000"},  // ±0+1j
      {"H5000:" + std::string(64, 'a'), "H05000:" + std::string(64, 'a')},
  };
  std::set<std::string> seen;
  for (const auto& group : same) {
    const std::string d = Digest(group[0]);
    for (const std::string& wire : group) EXPECT_EQ(Digest(wire), d) << wire << " vs " << group[0];
    EXPECT_TRUE(seen.insert(d).second) << group[0] << " collides with another group";
  }
  // Unequal neighbours.
  EXPECT_NE(Digest("l2:i1;i2;"), Digest("t2:i1;i2;"));
  EXPECT_NE(Digest("i1;"), Digest(F(1.5)));
  EXPECT_NE(Digest("i1;"), Digest("s31;"));
  EXPECT_NE(Digest("n"), Digest("F"));
  EXPECT_NE(Digest("i10000000000000001;"), Digest(F(std::ldexp(1.0, 64))));
  EXPECT_NE(Digest("d1:s61;i1;"), Digest("d1:s61;i2;"));
  EXPECT_NE(Digest("d1:s61;i1;"), Digest("S1:s61;"));
  EXPECT_NE(Digest("c3ff00000000000003ff0000000000000"), Digest("i1;"));
  EXPECT_NE(Digest("I5000:" + std::string(64, 'a')), Digest("I-5000:" + std::string(64, 'a')));
  EXPECT_NE(Digest("H5000:" + std::string(64, 'a')), Digest("I5000:" + std::string(64, 'a')));
  EXPECT_NE(Digest("l1:l0:"), Digest("l1:t0:"));
  EXPECT_NE(Digest("l2:l0:i1;"), Digest("l2:l1:i1;l0:"));  // [[], 1] != [[1], []]
}

TEST(PyValueTest, ValuesEqualToNothingHaveNoDigest) {
  const std::string nan = F(std::nan(""));
  for (const std::string& wire : std::vector<std::string>{
           nan, "l1:" + nan, "t2:i1;" + nan, "d1:i1;" + nan, "d1:" + nan + "i1;", "S1:" + nan,
        "c7ff80000000000000000000000000000", "c00000000000000007ff8000000000000",
        std::string("S2:i1;i1;"), "S2:T" + F(1.0), std::string("d2:i1;ni1;T"),
        std::string("S1:l0:"), std::string("S1:t1:l0:"), std::string("d1:S0:n"),
        std::string("S1:Z2:i1;i1;")}) {
    EXPECT_TRUE(NoForm(wire)) << wire;
  }
  // A tuple holding a list is a fine value, only not hashable.
  EXPECT_FALSE(NoForm("t1:l0:"));
}

TEST(PyValueTest, DigestRefusesExactlyWhatDecodingRefuses) {
  std::string nested;
  for (int i = 0; i < kMaxPyValueDepth + 5; ++i) nested += "l1:";
  nested += "n";
  for (const std::string& wire : std::vector<std::string>{"", "x", "i;", "i01;", "i-0;", "iff", "s6;", "s6g;", "l2:i1;",
        "l9999999999:", "d1:i1;", "f12", "nn", "T ", "H10:abc", "H4096:" + std::string(64, 'a'),
        "i" + std::string(4097, 'f') + ";", "S1:" + std::string("f12"), "d1:i1;x", nested}) {
    EXPECT_FALSE(EqualityDigest(wire).ok()) << wire;
    EXPECT_FALSE(DecodePyValue(wire).ok()) << wire;
  }
}

// Random values Python can hold, and variants of them: whatever the pair, equal digests
// exactly when PyEquals.
class ValueMaker {
 public:
  explicit ValueMaker(uint32_t seed) : rng_(seed) {}

  PyValue Make(int depth) {
    int pick = Below(depth > 2 ? 6 : 11);
    switch (pick) {
      case 0: return PyValue::None();
      case 1: return PyValue::Bool(Below(2) == 1);
      case 2: return PyValue::Int(static_cast<int64_t>(Below(5)) - 2);
      case 3: {
        static const double kFloats[] = {0.0, -0.0, 1.0, 2.0, 0.5, -1.0, 1e300, INFINITY,
                                         std::nan(""), std::ldexp(1.0, 64)};
        return PyValue::Float(kFloats[Below(std::size(kFloats))]);
      }
      case 4: return PyValue::Str(Below(2) == 1 ? "a" : "\xc3\xa9");
      case 5: {
        PyValue c;
        c.kind = PyValue::Kind::kComplex;
        c.number = Below(2) == 1 ? 1.0 : -0.0;
        c.imag = Below(2) == 1 ? 0.0 : 1.0;
        return c;
      }
      case 6:
      case 7: {
        std::vector<PyValue> items;
        for (int n = Below(4); n > 0; --n) items.push_back(Make(depth + 1));
        return PyValue::Container(pick == 6 ? PyValue::Kind::kList : PyValue::Kind::kTuple,
                                  std::move(items));
      }
      case 8:
      case 9: {  // distinct hashable elements
        std::vector<PyValue> items;
        std::set<std::string> keys;
        for (int n = Below(4); n > 0; --n) {
          PyValue item = Make(depth + 1);
          std::optional<std::string> k = PyHashKey(item);
          if (k && keys.insert(*k).second) items.push_back(std::move(item));
        }
        return PyValue::Container(pick == 8 ? PyValue::Kind::kSet : PyValue::Kind::kFrozenSet,
                                  std::move(items));
      }
      default: {  // distinct hashable keys
        std::vector<PyValue> items;
        std::set<std::string> keys;
        for (int n = Below(3); n > 0; --n) {
          PyValue key = Make(depth + 1);
          std::optional<std::string> k = PyHashKey(key);
          if (!k || !keys.insert(*k).second) continue;
          items.push_back(std::move(key));
          items.push_back(Make(depth + 1));
        }
        return PyValue::Container(PyValue::Kind::kDict, std::move(items));
      }
    }
  }

  // `v` with a change that often keeps it equal: another number type of the same value,
  // set and dict members in another order, a member replaced.
  PyValue Vary(PyValue v) {
    if (v.is_number() && Below(2) == 1) {
      std::optional<double> d = PyNumber(v);
      if (d && std::isfinite(*d) && std::floor(*d) == *d && std::fabs(*d) < 1e15) {
        return Below(2) == 1 ? PyValue::Float(*d) : PyValue::Int(static_cast<int64_t>(*d));
      }
    }
    if (v.items.empty()) return Below(4) == 0 ? Make(2) : v;
    if (v.kind == PyValue::Kind::kDict) {
      std::vector<std::pair<PyValue, PyValue>> pairs;
      for (size_t i = 0; i < v.items.size(); i += 2) pairs.push_back({v.items[i], Vary(v.items[i + 1])});
      std::shuffle(pairs.begin(), pairs.end(), rng_);
      v.items.clear();
      for (auto& [k, val] : pairs) {
        v.items.push_back(std::move(k));
        v.items.push_back(std::move(val));
      }
      return v;
    }
    if (v.kind == PyValue::Kind::kSet || v.kind == PyValue::Kind::kFrozenSet) {
      std::shuffle(v.items.begin(), v.items.end(), rng_);
      if (Below(3) == 0) v.kind = PyValue::Kind::kFrozenSet;
      return v;
    }
    PyValue& item = v.items[Below(v.items.size())];
    item = Vary(std::move(item));
    return v;
  }

 private:
  int Below(size_t n) { return static_cast<int>(rng_() % n); }
  std::mt19937 rng_;
};

TEST(PyValueTest, DigestsAgreeWithEqualityOnRandomValues) {
  ValueMaker maker(20261206);
  int equal_pairs = 0;
  for (int i = 0; i < 20000; ++i) {
    PyValue a = maker.Make(0);
    PyValue b = i % 3 == 0 ? maker.Make(0) : maker.Vary(a);
    const std::string wa = EncodePyValue(a), wb = EncodePyValue(b);
    absl::StatusOr<std::optional<std::string>> da = EqualityDigest(wa), db = EqualityDigest(wb);
    ASSERT_TRUE(da.ok() && db.ok()) << wa << " " << wb;
    const bool eq = PyEquals(a, b);
    equal_pairs += eq;
    ASSERT_EQ(eq, da->has_value() && db->has_value() && **da == **db) << wa << " vs " << wb;
  }
  EXPECT_GT(equal_pairs, 3000);  // the variants do exercise equality
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
