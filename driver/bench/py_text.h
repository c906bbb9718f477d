// Python str semantics on UTF-8 text, for GPT-Fathom's normalisers and regexes: they run on
// code points, with Unicode-aware classes. Character classes come from ICU (Unicode 15)
// except whitespace, which is CPython's own fixed list (_PyUnicode_IsWhitespace).
//
// Every function takes and returns UTF-8; invalid bytes decode to U+FFFD. Prefix and
// substring tests need no decoding (a UTF-8 byte prefix of valid text is a code-point
// prefix), so callers use std::string_view for those.
//
// Pure functions; thread-safe.
#ifndef FATHOM_DRIVER_BENCH_PY_TEXT_H_
#define FATHOM_DRIVER_BENCH_PY_TEXT_H_

#include <string>
#include <string_view>
#include <vector>

namespace fathom::driver::bench {

std::u32string DecodeUtf8(std::string_view text);
std::string EncodeUtf8(std::u32string_view text);

// str.isspace() for one code point (includes U+00A0, U+3000, U+2000..U+200A, U+1C..U+1F).
bool PyIsSpace(char32_t c);
// re's \d on str: Unicode general category Nd (Bengali, Thai, fullwidth digits...).
bool PyIsDecimal(char32_t c);
// re's \w on str: str.isalnum() (letters L*, any Numeric_Type) or '_'. Drives \b.
bool PyIsWord(char32_t c);

// str.lower(): full Unicode lowercase mapping (ICU root locale; final sigma included).
std::string PyLower(std::string_view text);
// str.strip(), str.lstrip(), str.rstrip() with no argument.
std::string PyStrip(std::string_view text);
std::string PyLStrip(std::string_view text);
std::string PyRStrip(std::string_view text);
// str.split() with no argument: runs of whitespace separate, no empty fields.
std::vector<std::string> PySplit(std::string_view text);
// sep.join(parts).
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
// str.split(sep) for a non-empty sep (always at least one field).
std::vector<std::string> SplitOn(std::string_view text, std::string_view sep);

// re.findall(r"\d+", text).
std::vector<std::string> FindAllDigitRuns(std::string_view text);
// re.findall(r"(-?\d[\d,]*\.?\d*)(?![\d-])", text) (MGSM), backtracking as re does.
std::vector<std::string> FindAllMgsmNumbers(std::string_view text);
// re.search(r"\b[a-zA-Z]+\b", text): the match, or false when there is none.
bool SearchAsciiWord(std::string_view text, std::string* match);
// re.search(r"\(([A-Z])\)", text): the letter, or false.
bool SearchParenLetter(std::string_view text, char* letter);

// re.sub(r"\b(a|an|the)\b", " ", text) with Unicode \b.
std::string RemoveArticles(std::string_view text);

// GPT-Fathom's utils.normalize (the SQuAD normaliser): lower(); delete every character of
// string.punctuation; re.sub(r"\b(a|an|the)\b", " "); " ".join(s.split()).
std::string SquadNormalize(std::string_view text);

}  // namespace fathom::driver::bench

#endif  // FATHOM_DRIVER_BENCH_PY_TEXT_H_
