// Python str operations on code points (see py_text.h).
#include "driver/bench/py_text.h"

#include <unicode/locid.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <string_view>

namespace fathom::driver::bench {

std::u32string DecodeUtf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(c);
      ++i;
      continue;
    }
    int len = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    }
    bool ok = len > 0 && i + len <= n;
    for (int k = 1; ok && k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) {
        ok = false;
      } else {
        cp = (cp << 6) | (cc & 0x3f);
      }
    }
    if (ok && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
    if (ok) {
      out.push_back(cp);
      i += len;
    } else {
      out.push_back(0xfffd);
      ++i;
    }
  }
  return out;
}

std::string EncodeUtf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xe0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xf0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
    }
  }
  return out;
}

bool PyIsSpace(char32_t c) {
  // CPython Objects/unicodetype_db.h, _PyUnicode_IsWhitespace: bidirectional class WS, B
  // or S, or category Zs.
  switch (c) {
    case 0x09: case 0x0a: case 0x0b: case 0x0c: case 0x0d:
    case 0x1c: case 0x1d: case 0x1e: case 0x1f: case 0x20:
    case 0x85: case 0xa0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202f: case 0x205f: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200a;
  }
}

bool PyIsDecimal(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return u_charType(static_cast<UChar32>(c)) == U_DECIMAL_DIGIT_NUMBER;
}

bool PyIsWord(char32_t c) {
  if (c < 0x80) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '_';
  }
  const UChar32 u = static_cast<UChar32>(c);
  return u_isalpha(u) ||
         u_getIntPropertyValue(u, UCHAR_NUMERIC_TYPE) != U_NT_NONE;
}

std::string PyLower(std::string_view text) {
  bool ascii = true;
  for (char ch : text) {
    if (static_cast<unsigned char>(ch) >= 0x80) {
      ascii = false;
      break;
    }
  }
  std::string out;
  if (ascii) {
    out.assign(text);
    for (char& ch : out) {
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    }
    return out;
  }
  // Through UTF-32 first so invalid bytes become U+FFFD as everywhere else.
  const std::string valid = EncodeUtf8(DecodeUtf8(text));
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(valid);
  u.toLower(icu::Locale::getRoot());
  u.toUTF8String(out);
  return out;
}

namespace {
std::string StripImpl(std::string_view text, bool left, bool right) {
  const std::u32string u = DecodeUtf8(text);
  size_t b = 0;
  size_t e = u.size();
  if (left) {
    while (b < e && PyIsSpace(u[b])) ++b;
  }
  if (right) {
    while (e > b && PyIsSpace(u[e - 1])) --e;
  }
  return EncodeUtf8(std::u32string_view(u).substr(b, e - b));
}
}  // namespace

std::string PyStrip(std::string_view text) { return StripImpl(text, true, true); }
std::string PyLStrip(std::string_view text) { return StripImpl(text, true, false); }
std::string PyRStrip(std::string_view text) { return StripImpl(text, false, true); }

std::vector<std::string> PySplit(std::string_view text) {
  const std::u32string u = DecodeUtf8(text);
  std::vector<std::string> out;
  size_t i = 0;
  while (i < u.size()) {
    while (i < u.size() && PyIsSpace(u[i])) ++i;
    if (i == u.size()) break;
    size_t j = i;
    while (j < u.size() && !PyIsSpace(u[j])) ++j;
    out.push_back(EncodeUtf8(std::u32string_view(u).substr(i, j - i)));
    i = j;
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.append(sep);
    out.append(parts[i]);
  }
  return out;
}

std::vector<std::string> SplitOn(std::string_view text, std::string_view sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t pos = text.find(sep, start);
    if (pos == std::string_view::npos) {
      out.emplace_back(text.substr(start));
      return out;
    }
    out.emplace_back(text.substr(start, pos - start));
    start = pos + sep.size();
  }
}

std::vector<std::string> FindAllDigitRuns(std::string_view text) {
  const std::u32string u = DecodeUtf8(text);
  std::vector<std::string> out;
  size_t i = 0;
  while (i < u.size()) {
    if (!PyIsDecimal(u[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < u.size() && PyIsDecimal(u[j])) ++j;
    out.push_back(EncodeUtf8(std::u32string_view(u).substr(i, j - i)));
    i = j;
  }
  return out;
}

std::vector<std::string> FindAllMgsmNumbers(std::string_view text) {
  const std::u32string u = DecodeUtf8(text);
  const size_t n = u.size();
  auto digit = [&](size_t p) { return p < n && PyIsDecimal(u[p]); };
  // The end of a match of -?\d[\d,]*\.?\d*(?![\d-]) starting at i, or npos; the
  // alternatives are tried in re's backtracking order (greedy first).
  auto match_at = [&](size_t i) -> size_t {
    const int dash_options[2] = {u[i] == U'-' ? 1 : 0, 0};
    const int n_dash = u[i] == U'-' ? 2 : 1;
    for (int d = 0; d < n_dash; ++d) {
      size_t p = i + dash_options[d];
      if (!digit(p)) continue;
      ++p;
      size_t a_max = 0;
      while (p + a_max < n && (PyIsDecimal(u[p + a_max]) || u[p + a_max] == U',')) ++a_max;
      for (size_t a = a_max + 1; a-- > 0;) {
        const size_t q = p + a;
        const bool has_dot = q < n && u[q] == U'.';
        for (int dot = has_dot ? 1 : 0; dot >= 0; --dot) {
          const size_t r = q + dot;
          size_t b_max = 0;
          while (digit(r + b_max)) ++b_max;
          for (size_t b = b_max + 1; b-- > 0;) {
            const size_t e = r + b;
            if (e == n || !(PyIsDecimal(u[e]) || u[e] == U'-')) return e;
          }
        }
      }
    }
    return std::u32string::npos;
  };
  std::vector<std::string> out;
  size_t i = 0;
  while (i < n) {
    const size_t e = match_at(i);
    if (e == std::u32string::npos) {
      ++i;
      continue;
    }
    out.push_back(EncodeUtf8(std::u32string_view(u).substr(i, e - i)));
    i = e;
  }
  return out;
}

bool SearchAsciiWord(std::string_view text, std::string* match) {
  const std::u32string u = DecodeUtf8(text);
  auto ascii_letter = [](char32_t c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  };
  for (size_t i = 0; i < u.size(); ++i) {
    if (!ascii_letter(u[i])) continue;
    if (i > 0 && PyIsWord(u[i - 1])) continue;  // no \b before
    size_t j = i;
    while (j < u.size() && ascii_letter(u[j])) ++j;
    // Backtracking to a shorter run never helps: it would end between two letters.
    if (j == u.size() || !PyIsWord(u[j])) {
      *match = EncodeUtf8(std::u32string_view(u).substr(i, j - i));
      return true;
    }
  }
  return false;
}

bool SearchParenLetter(std::string_view text, char* letter) {
  for (size_t i = 0; i + 2 < text.size(); ++i) {
    if (text[i] == '(' && text[i + 1] >= 'A' && text[i + 1] <= 'Z' && text[i + 2] == ')') {
      *letter = text[i + 1];
      return true;
    }
  }
  return false;
}

std::string RemoveArticles(std::string_view text) {
  const std::u32string s = DecodeUtf8(text);
  // Alternatives in order; \b is tested against the original text.
  static const std::u32string kArticles[] = {U"a", U"an", U"the"};
  std::u32string out;
  size_t i = 0;
  while (i < s.size()) {
    bool replaced = false;
    if (i == 0 || !PyIsWord(s[i - 1])) {
      for (const std::u32string& art : kArticles) {
        if (s.compare(i, art.size(), art) != 0) continue;
        const size_t e = i + art.size();
        if (e < s.size() && PyIsWord(s[e])) continue;
        out.push_back(U' ');
        i = e;
        replaced = true;
        break;
      }
    }
    if (!replaced) out.push_back(s[i++]);
  }
  return EncodeUtf8(out);
}

std::string SquadNormalize(std::string_view text) {
  static constexpr std::string_view kPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  std::u32string s;
  for (char32_t c : DecodeUtf8(PyLower(text))) {
    if (c < 0x80 && kPunctuation.find(static_cast<char>(c)) != std::string_view::npos) {
      continue;
    }
    s.push_back(c);
  }
  return Join(PySplit(RemoveArticles(EncodeUtf8(s))), " ");
}

}  // namespace fathom::driver::bench
