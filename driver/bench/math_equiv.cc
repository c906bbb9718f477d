// Hendrycks MATH normalisation, step for step (see math_equiv.h). Python indexes code
// points; every test below is on ASCII characters or on whole substrings, so byte
// offsets give the same results except for the two length checks, which count code points.
#include "driver/bench/math_equiv.h"

#include <vector>

#include "driver/bench/py_text.h"

namespace fathom::driver::bench {
namespace {

std::string ReplaceAll(std::string s, std::string_view from, std::string_view to) {
  if (from.empty()) return s;
  std::string out;
  size_t start = 0;
  while (true) {
    const size_t pos = s.find(from, start);
    if (pos == std::string::npos) break;
    out.append(s, start, pos - start);
    out.append(to);
    start = pos + from.size();
  }
  out.append(s, start, std::string::npos);
  return out;
}

size_t CodePoints(std::string_view s) { return DecodeUtf8(s).size(); }

// _fix_fracs; nullopt where Python raises IndexError (an empty piece after "\frac").
std::optional<std::string> FixFracs(const std::string& string) {
  std::vector<std::string> substrs = SplitOn(string, "\\frac");
  std::string new_str = substrs[0];
  for (size_t k = 1; k < substrs.size(); ++k) {
    const std::string& substr = substrs[k];
    new_str += "\\frac";
    if (substr.empty()) return std::nullopt;  // substr[0]
    if (substr[0] == '{') {
      new_str += substr;
      continue;
    }
    // substr[0] and substr[1] are code points.
    const std::u32string u = DecodeUtf8(substr);
    if (u.size() < 2) return string;
    const std::string a = EncodeUtf8(u.substr(0, 1));
    const std::string b = EncodeUtf8(u.substr(1, 1));
    const std::string post = EncodeUtf8(u.substr(2));
    if (b != "{") {
      new_str += "{" + a + "}{" + b + "}" + post;
    } else {
      new_str += "{" + a + "}" + b + post;
    }
  }
  return new_str;
}

// int(s) == a canonical decimal (str(int(s)) == s), as _fix_a_slash_b requires.
bool IsCanonicalInt(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  if (s.empty()) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string FixASlashB(const std::string& string) {
  const std::vector<std::string> parts = SplitOn(string, "/");
  if (parts.size() != 2) return string;
  // int() accepts more ("+3", " 3", "٣"), but then "{}/{}".format(a, b) differs from the
  // string and the original is returned, as here. "-0" likewise.
  if (!IsCanonicalInt(parts[0]) || !IsCanonicalInt(parts[1])) return string;
  if (parts[0] == "-0" || parts[1] == "-0") return string;
  return "\\frac{" + parts[0] + "}{" + parts[1] + "}";
}

// _fix_sqrt; nullopt where Python raises IndexError (nothing after "\sqrt").
std::optional<std::string> FixSqrt(const std::string& string) {
  if (string.find("\\sqrt") == std::string::npos) return string;
  const std::vector<std::string> splits = SplitOn(string, "\\sqrt");
  std::string new_string = splits[0];
  for (size_t k = 1; k < splits.size(); ++k) {
    const std::string& split = splits[k];
    if (split.empty()) return std::nullopt;
    if (split[0] != '{') {
      const std::u32string u = DecodeUtf8(split);
      new_string += "\\sqrt{" + EncodeUtf8(u.substr(0, 1)) + "}" + EncodeUtf8(u.substr(1));
    } else {
      new_string += "\\sqrt" + split;
    }
  }
  return new_string;
}

}  // namespace

std::optional<std::string> LastBoxedOnlyString(std::string_view s) {
  size_t idx = s.rfind("\\boxed");
  if (idx == std::string_view::npos) {
    idx = s.rfind("\\fbox");
    if (idx == std::string_view::npos) return std::nullopt;
  }
  int open = 0;
  for (size_t i = idx; i < s.size(); ++i) {
    if (s[i] == '{') ++open;
    if (s[i] == '}') {
      --open;
      if (open == 0) return std::string(s.substr(idx, i + 1 - idx));
    }
  }
  return std::nullopt;
}

std::optional<std::string> RemoveBoxed(const std::optional<std::string>& s) {
  static constexpr std::string_view kLeft = "\\boxed{";
  if (!s.has_value()) return std::nullopt;
  if (s->compare(0, kLeft.size(), kLeft) != 0) return std::nullopt;
  if (s->empty() || s->back() != '}') return std::nullopt;
  if (s->size() < kLeft.size() + 1) return std::nullopt;
  return s->substr(kLeft.size(), s->size() - kLeft.size() - 1);
}

std::optional<std::string> StripMathString(std::string_view text) {
  std::string s(text);
  s = ReplaceAll(s, "\n", "");                  // 1 linebreaks
  s = ReplaceAll(s, "\\!", "");                 // 2 inverse spaces
  s = ReplaceAll(s, "\\\\", "\\");              // 3 \\ -> \ .
  s = ReplaceAll(s, "tfrac", "frac");           // 4
  s = ReplaceAll(s, "dfrac", "frac");
  s = ReplaceAll(s, "\\left", "");              // 5
  s = ReplaceAll(s, "\\right", "");
  s = ReplaceAll(s, "^{\\circ}", "");           // 6 degrees
  s = ReplaceAll(s, "^\\circ", "");
  s = ReplaceAll(s, "\\$", "");                 // 7 dollars
  if (s.find("\\text{ ") != std::string::npos) {  // 8 units on the right
    const std::vector<std::string> splits = SplitOn(s, "\\text{ ");
    if (splits.size() != 2) return std::nullopt;  // assert len(splits) == 2
    s = splits[0];
  }
  s = ReplaceAll(s, "\\%", "");                 // 9 percent (twice in the source)
  s = ReplaceAll(s, " .", " 0.");               // 10
  s = ReplaceAll(s, "{.", "{0.");
  if (s.empty()) return s;
  if (s[0] == '.') s = "0" + s;
  {                                             // 11 "k = " prefix
    const std::vector<std::string> eq = SplitOn(s, "=");
    if (eq.size() == 2 && CodePoints(eq[0]) <= 2) s = eq[1];
  }
  std::optional<std::string> sq = FixSqrt(s);   // 12
  if (!sq) return std::nullopt;
  s = ReplaceAll(*sq, " ", "");                 // 13 spaces
  std::optional<std::string> fr = FixFracs(s);  // 14
  if (!fr) return std::nullopt;
  s = *fr;
  if (s == "0.5") s = "\\frac{1}{2}";           // 15
  return FixASlashB(s);                         // 16
}

bool MathIsEquiv(const std::optional<std::string>& a, const std::optional<std::string>& b) {
  if (!a && !b) return true;
  if (!a || !b) return false;
  const std::optional<std::string> sa = StripMathString(*a);
  if (!sa) return *a == *b;
  const std::optional<std::string> sb = StripMathString(*b);
  if (!sb) return *a == *b;
  return *sa == *sb;
}

}  // namespace fathom::driver::bench
