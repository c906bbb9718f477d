// Bytes a program may write that are not UTF-8, one of each class, for the end-to-end
// tests that check no output of Fathom's crashes on them or carries them on.
#ifndef FATHOM_TESTS_ILL_FORMED_UTF8_H_
#define FATHOM_TESTS_ILL_FORMED_UTF8_H_

#include <string>

namespace fathom::e2e {

// Valid text first (é, €, 😀), then every class of ill-formed sequence between ASCII
// letters; it ends in a truncated sequence, so the end of the stream is covered too.
inline const std::string kIllFormedUtf8 =
    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
    "a\xed\xa0\x80"          // lone high surrogate U+D800 (what crashed `run --json`)
    "b\xed\xbf\xbf"          // lone low surrogate U+DFFF
    "c\xc0\xaf"              // overlong '/'
    "d\xe0\x9f\xbf"          // overlong U+07FF
    "e\xf0\x8f\xbf\xbf"      // overlong U+FFFF
    "f\xf4\x90\x80\x80"      // U+110000, above the last code point
    "g\xf5\xff"              // bytes that never lead
    "h\x80\xbf"              // stray continuation bytes
    "i\xe2\x82"              // truncated, followed by ASCII
    "j\xf0\x9f\x98";         // truncated at the very end

// kIllFormedUtf8 as the validator (grader/utf8.h) gives it: U+FFFD per bad byte.
#define FATHOM_R "\xef\xbf\xbd"
inline const std::string kIllFormedUtf8Sanitized =
    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
    "a" FATHOM_R FATHOM_R FATHOM_R
    "b" FATHOM_R FATHOM_R FATHOM_R
    "c" FATHOM_R FATHOM_R
    "d" FATHOM_R FATHOM_R FATHOM_R
    "e" FATHOM_R FATHOM_R FATHOM_R FATHOM_R
    "f" FATHOM_R FATHOM_R FATHOM_R FATHOM_R
    "g" FATHOM_R FATHOM_R
    "h" FATHOM_R FATHOM_R
    "i" FATHOM_R FATHOM_R
    "j" FATHOM_R FATHOM_R FATHOM_R;
#undef FATHOM_R

// A Python statement that writes kIllFormedUtf8 to file descriptor `fd` (below Python's
// own stdio objects, which the grading harness replaces).
inline std::string WriteIllFormedUtf8(int fd) {
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : kIllFormedUtf8) {
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  return "__import__('os').write(" + std::to_string(fd) + ", bytes.fromhex('" + hex + "'))";
}

}  // namespace fathom::e2e

#endif  // FATHOM_TESTS_ILL_FORMED_UTF8_H_
