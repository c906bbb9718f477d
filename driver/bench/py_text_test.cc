// Python str semantics on code points. Expected values were printed by CPython 3.11
// (str.lower/strip/split, re.findall, and GPT-Fathom's utils.normalize).
#include "driver/bench/py_text.h"

#include <gtest/gtest.h>

namespace fathom::driver::bench {
namespace {

TEST(PyText, Utf8RoundTripAndInvalidBytes) {
  const std::string s = "a\u00e9\u4e2d\U0001F600";
  EXPECT_EQ(DecodeUtf8(s).size(), 4u);
  EXPECT_EQ(EncodeUtf8(DecodeUtf8(s)), s);
  EXPECT_EQ(DecodeUtf8("a\xff" "b"), (std::u32string{U'a', 0xfffd, U'b'}));
}

TEST(PyText, Lower) {
  EXPECT_EQ(PyLower("The Caf\u00e9, an \u00c9COLE"), "the caf\u00e9, an \u00e9cole");
  EXPECT_EQ(PyLower("\u0130stanbul"), "i\u0307stanbul");       // 'İstanbul'.lower()
  EXPECT_EQ(PyLower("\u039f\u0394\u039f\u03a3 \u03a3\u0391\u03a3"),
            "\u03bf\u03b4\u03bf\u03c2 \u03c3\u03b1\u03c2");     // final sigma
  EXPECT_EQ(PyLower("\u1e9e stra\u00dfe"), "\u00df stra\u00dfe");
  EXPECT_EQ(PyLower("\u041c\u041e\u0421\u041a\u0412\u0410"), "\u043c\u043e\u0441\u043a\u0432\u0430");
}

TEST(PyText, StripAndSplitUseUnicodeWhitespace) {
  EXPECT_EQ(PyStrip("\u00a0\u3000 x y\u2003\n"), "x y");
  EXPECT_EQ(PyLStrip("\u00a0B "), "B ");
  EXPECT_EQ(PyRStrip(" B\u3000"), " B");
  EXPECT_EQ(PyStrip("x\u200by"), "x\u200by");  // U+200B is not whitespace in Python
  EXPECT_EQ(PySplit("a\u3000the\u2003b\x1c" "c"), (std::vector<std::string>{"a", "the", "b", "c"}));
  EXPECT_TRUE(PySplit(" \u00a0 ").empty());
}

TEST(PyText, DigitsAreUnicodeDecimal) {
  // re.findall(r"\d+", "১২ and ๑๒ and ４２ and ²") -> ['১২', '๑๒', '４２'] (² is not Nd)
  EXPECT_EQ(FindAllDigitRuns("\u09e7\u09e8 and \u0e51\u0e52 and \uff14\uff12 and \u00b2"),
            (std::vector<std::string>{"\u09e7\u09e8", "\u0e51\u0e52", "\uff14\uff12"}));
  EXPECT_TRUE(PyIsDecimal(U'\u0c67'));  // Telugu one
  EXPECT_FALSE(PyIsDecimal(U'\u4e00'));
}

TEST(PyText, WordBoundariesAreUnicodeAware) {
  std::string m;
  EXPECT_FALSE(SearchAsciiWord("Caf\u00e9", &m));  // \b[a-zA-Z]+\b: no match inside "Café"
  EXPECT_TRUE(SearchAsciiWord("Caf\u00e9 au lait", &m));
  EXPECT_EQ(m, "au");
  EXPECT_TRUE(SearchAsciiWord("\u4e2dabc def", &m));  // 中 is a word character
  EXPECT_EQ(m, "def");
  EXPECT_FALSE(SearchAsciiWord("x_y", &m));
}

TEST(PyText, SquadNormalize) {
  // GPT-Fathom utils.normalize, printed by CPython.
  EXPECT_EQ(SquadNormalize("The Caf\u00e9, an \u00c9COLE\u00a0x"), "caf\u00e9 \u00e9cole x");
  EXPECT_EQ(SquadNormalize("a\u3000the\u2003b"), "b");
  EXPECT_EQ(SquadNormalize("The_an a-b"), "thean ab");
  EXPECT_EQ(SquadNormalize("x\u200by"), "x\u200by");
  EXPECT_EQ(SquadNormalize("\u00e9the an\u00e9 the"), "\u00e9the an\u00e9");
}

TEST(PyText, MgsmNumbersBacktrackLikeRe) {
  // re.findall(r"(-?\d[\d,]*\.?\d*)(?![\d-])", s)
  EXPECT_EQ(FindAllMgsmNumbers("3-4 days"), (std::vector<std::string>{"-4"}));
  EXPECT_TRUE(FindAllMgsmNumbers("x 12-").empty());
  EXPECT_EQ(FindAllMgsmNumbers("1,000. and 2.5"), (std::vector<std::string>{"1,000.", "2.5"}));
  EXPECT_EQ(FindAllMgsmNumbers("--7"), (std::vector<std::string>{"-7"}));
}

}  // namespace
}  // namespace fathom::driver::bench
