// The UTF-8 validator: each class of ill-formed sequence, every string of up to three
// bytes against an independent oracle, and agreement with nlohmann::json's strict dump.
#include "grader/formats/utf8.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace fathom::grader {
namespace {

const std::string kR = "\xef\xbf\xbd";  // U+FFFD

// The oracle: the UTF-8 encoding of a code point by the textbook bit layout.
std::string Encode(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xc0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xe0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    s += static_cast<char>(0xf0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  }
  return s;
}

bool IsScalarValue(uint32_t cp) { return cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff); }

struct Case {
  const char* what;
  std::string bytes;
  std::string sanitized;
};

// One of each class of ill-formed input, alone and between valid text.
std::vector<Case> BadCases() {
  return {
      {"lone high surrogate U+D800", "\xed\xa0\x80", kR + kR + kR},
      {"lone low surrogate U+DFFF", "\xed\xbf\xbf", kR + kR + kR},
      {"surrogate pair encoded as two (CESU-8)", "\xed\xa0\xbd\xed\xb8\x80",
       kR + kR + kR + kR + kR + kR},
      {"overlong '/' in two bytes", "\xc0\xaf", kR + kR},
      {"overlong NUL in two bytes", "\xc0\x80", kR + kR},
      {"overlong U+007F in two bytes", "\xc1\xbf", kR + kR},
      {"overlong U+07FF in three bytes", "\xe0\x9f\xbf", kR + kR + kR},
      {"overlong U+FFFF in four bytes", "\xf0\x8f\xbf\xbf", kR + kR + kR + kR},
      {"U+110000", "\xf4\x90\x80\x80", kR + kR + kR + kR},
      {"lead byte F5", "\xf5\x80\x80\x80", kR + kR + kR + kR},
      {"lead byte FF", "\xff", kR},
      {"five-byte form", "\xf8\x88\x80\x80\x80", kR + kR + kR + kR + kR},
      {"stray continuation byte", "\x80", kR},
      {"two stray continuation bytes", "\xbf\x80", kR + kR},
      {"truncated two-byte sequence", "\xc3", kR},
      {"truncated three-byte sequence", "\xe2\x82", kR + kR},
      {"truncated four-byte sequence", "\xf0\x9f\x98", kR + kR + kR},
      {"lead byte followed by ASCII", "\xe2" "A", kR + "A"},
      {"lead byte followed by a lead byte", "\xc3\xc3\xa9", kR + "\xc3\xa9"},
  };
}

TEST(Utf8Test, ValidTextIsKeptAsIs) {
  for (const std::string& s :
       {std::string(), std::string("plain ASCII\n"), std::string("\0nul inside", 11),
        std::string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),  // é € 😀
        Encode(0x7f) + Encode(0x80) + Encode(0x7ff) + Encode(0x800) + Encode(0xd7ff) +
            Encode(0xe000) + Encode(0xfffd) + Encode(0xffff) + Encode(0x10000) +
            Encode(0x10ffff)}) {
    EXPECT_TRUE(IsValidUtf8(s)) << s;
    bool lossy = true;
    EXPECT_EQ(SanitizeUtf8(s, &lossy), s);
    EXPECT_FALSE(lossy);
  }
}

TEST(Utf8Test, EachClassOfIllFormedSequenceIsReplacedBytewise) {
  for (const Case& c : BadCases()) {
    SCOPED_TRACE(c.what);
    EXPECT_FALSE(IsValidUtf8(c.bytes));
    bool lossy = false;
    EXPECT_EQ(SanitizeUtf8(c.bytes, &lossy), c.sanitized);
    EXPECT_TRUE(lossy);
    EXPECT_TRUE(IsValidUtf8(c.sanitized));
    // Between valid text, the neighbours survive untouched.
    const std::string framed = "a\xc3\xa9" + c.bytes + "\xe2\x82\xac" "z";
    EXPECT_FALSE(IsValidUtf8(framed));
    EXPECT_EQ(SanitizeUtf8(framed), "a\xc3\xa9" + c.sanitized + "\xe2\x82\xac" "z");
  }
}

TEST(Utf8Test, EveryCodePointIsValidAndEverySurrogateIsNot) {
  for (uint32_t cp = 0; cp <= 0x10ffff; ++cp) {
    const std::string s = Encode(cp);
    ASSERT_EQ(IsValidUtf8(s), IsScalarValue(cp)) << std::hex << cp;
  }
}

// Every string of one, two and three bytes (16.8 million) against an oracle that knows
// only the encodings of scalar values: a string is valid exactly when it splits into them.
TEST(Utf8Test, EveryShortStringAgreesWithTheOracle) {
  // is_encoding[len - 1][bytes packed little-endian]
  std::vector<std::vector<bool>> is_encoding = {std::vector<bool>(1u << 8),
                                                std::vector<bool>(1u << 16),
                                                std::vector<bool>(1u << 24)};
  for (uint32_t cp = 0; cp < 0x10000; ++cp) {
    if (!IsScalarValue(cp)) continue;
    const std::string e = Encode(cp);
    uint32_t packed = 0;
    for (size_t k = 0; k < e.size(); ++k) packed |= static_cast<uint8_t>(e[k]) << (8 * k);
    is_encoding[e.size() - 1][packed] = true;
  }
  auto piece = [&](uint32_t v, size_t from, size_t len) {  // bytes [from, from + len) of v
    return is_encoding[len - 1][(v >> (8 * from)) & ((1u << (8 * len)) - 1)];
  };
  std::string s;
  for (size_t len = 1; len <= 3; ++len) {
    s.resize(len);
    for (uint32_t v = 0; v < (1u << (8 * len)); ++v) {
      for (size_t k = 0; k < len; ++k) s[k] = static_cast<char>((v >> (8 * k)) & 0xff);
      bool splits = piece(v, 0, len);
      if (len == 2) splits = splits || (piece(v, 0, 1) && piece(v, 1, 1));
      if (len == 3) {
        splits = splits || (piece(v, 0, 1) && piece(v, 1, 2)) ||
                 (piece(v, 0, 2) && piece(v, 2, 1)) ||
                 (piece(v, 0, 1) && piece(v, 1, 1) && piece(v, 2, 1));
      }
      ASSERT_EQ(IsValidUtf8(s), splits) << "bytes " << std::hex << v << " length " << len;
    }
  }
}

// Four-byte strings whose first byte leads a four-byte form (or would, past F4), with every
// second byte and the boundary values of the third and fourth.
TEST(Utf8Test, FourByteFormsAgreeWithTheOracle) {
  for (uint32_t lead = 0xf0; lead <= 0xff; ++lead) {
    for (uint32_t b1 = 0; b1 <= 0xff; ++b1) {
      for (uint32_t b2 : {0x00u, 0x7fu, 0x80u, 0xbfu, 0xc0u}) {
        for (uint32_t b3 : {0x7fu, 0x80u, 0xbfu, 0xc0u}) {
          const std::string s = {static_cast<char>(lead), static_cast<char>(b1),
                                 static_cast<char>(b2), static_cast<char>(b3)};
          const bool continuations = (b1 & 0xc0) == 0x80 && (b2 & 0xc0) == 0x80 &&
                                     (b3 & 0xc0) == 0x80;
          const uint32_t cp = ((lead & 0x07) << 18) | ((b1 & 0x3f) << 12) |
                              ((b2 & 0x3f) << 6) | (b3 & 0x3f);
          const bool valid = lead <= 0xf4 && continuations && cp >= 0x10000 && cp <= 0x10ffff;
          ASSERT_EQ(IsValidUtf8(s), valid) << std::hex << lead << " " << b1 << " " << b2 << " "
                                           << b3;
        }
      }
    }
  }
}

// What the sanitizer lets through, nlohmann::json's strict dump (which throws
// type_error 316 on ill-formed UTF-8) accepts; what it rejects, so does the dump.
TEST(Utf8Test, AgreesWithTheJsonLibrarysStrictDump) {
  auto dump_throws = [](const std::string& s) {
    try {
      (void)nlohmann::json(s).dump();
      return false;
    } catch (const nlohmann::json::type_error&) {
      return true;
    }
  };
  for (const Case& c : BadCases()) {
    SCOPED_TRACE(c.what);
    EXPECT_TRUE(dump_throws(c.bytes));
    EXPECT_FALSE(dump_throws(SanitizeUtf8(c.bytes)));
  }
  std::string s(2, '\0');
  for (uint32_t v = 0; v < 0x10000; ++v) {
    s[0] = static_cast<char>(v & 0xff);
    s[1] = static_cast<char>(v >> 8);
    ASSERT_EQ(dump_throws(s), !IsValidUtf8(s)) << std::hex << v;
    ASSERT_FALSE(dump_throws(SanitizeUtf8(s))) << std::hex << v;
  }
}

TEST(Utf8Test, TailStartsOnACharacterAndIsSanitized) {
  const std::string euro = "\xe2\x82\xac";
  EXPECT_EQ(Utf8Tail("abc", 10), "abc");
  EXPECT_EQ(Utf8Tail("ab" + euro + "cd", 4), "...cd");  // cut inside the euro: skip it
  EXPECT_EQ(Utf8Tail("ab" + euro + "cd", 5), "..." + euro + "cd");
  EXPECT_EQ(Utf8Tail("x\xed\xa0\x80", 3), "..." + kR + kR + kR);
  EXPECT_EQ(Utf8Tail("\xed\xa0\x80x", 2), "...x");  // no continuation byte leads a tail
  EXPECT_EQ(Utf8Tail("\xed\xa0\x80", 3), kR + kR + kR);
}

}  // namespace
}  // namespace fathom::grader
