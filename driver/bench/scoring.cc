// Extractors and matchers (see scoring.h).
#include "driver/bench/scoring.h"

#include <algorithm>
#include <map>

#include <unicode/uchar.h>

#include "driver/bench/math_equiv.h"
#include "driver/bench/py_text.h"

namespace fathom::driver::bench {
namespace {

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsAsciiLetter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// One number as a sign, integer digits and fraction digits (ASCII), or false.
bool ParseDecimal(std::string_view s, bool* negative, std::string* integer,
                  std::string* fraction) {
  std::string t;
  for (char c : PyStrip(s)) {
    if (c != ',') t.push_back(c);
  }
  std::string_view v = t;
  *negative = false;
  if (!v.empty() && (v[0] == '-' || v[0] == '+')) {
    *negative = v[0] == '-';
    v.remove_prefix(1);
  }
  const size_t dot = v.find('.');
  std::string_view ip = v.substr(0, dot);
  std::string_view fp = dot == std::string_view::npos ? std::string_view() : v.substr(dot + 1);
  if (ip.empty() && fp.empty()) return false;
  for (char c : ip) {
    if (c < '0' || c > '9') return false;
  }
  for (char c : fp) {
    if (c < '0' || c > '9') return false;
  }
  size_t lead = 0;
  while (lead < ip.size() && ip[lead] == '0') ++lead;
  *integer = std::string(ip.substr(lead));
  size_t trail = fp.size();
  while (trail > 0 && fp[trail - 1] == '0') --trail;
  *fraction = std::string(fp.substr(0, trail));
  if (integer->empty() && fraction->empty()) *negative = false;  // -0 == 0
  return true;
}

// Digits of any script as ASCII (strict numbers compare values, not scripts).
std::string AsciiDigits(std::string_view s) {
  std::u32string u = DecodeUtf8(s);
  for (char32_t& c : u) {
    if (c >= 0x80 && PyIsDecimal(c)) {
      c = U'0' + static_cast<char32_t>(u_charDigitValue(static_cast<UChar32>(c)));
    }
  }
  return EncodeUtf8(u);
}

}  // namespace

std::optional<std::string> PrefixPick(std::string_view sampled,
                                      const std::vector<std::string>& expected) {
  for (const std::string& e : expected) {
    if (sampled.substr(0, e.size()) == e) return e;
  }
  return std::nullopt;
}

std::string McLetterScan(std::string_view output, bool lstrip, bool* found) {
  for (char l = 'A'; l <= 'Z'; ++l) {
    const char option[4] = {'(', l, ')', 0};
    if (output.find(option) != std::string_view::npos) {
      *found = true;
      return std::string(1, l);
    }
  }
  *found = false;
  return lstrip ? PyLStrip(output) : std::string(output);
}

std::string StrictMcLetter(std::string_view output) {
  char letter = 0;
  if (SearchParenLetter(output, &letter)) return std::string(1, letter);
  const std::string s = PyLStrip(output);
  size_t i = 0;
  if (i < s.size() && s[i] == '(') ++i;
  if (i < s.size() && IsUpper(s[i]) && (i + 1 == s.size() || !IsAsciiLetter(s[i + 1]))) {
    return std::string(1, s[i]);
  }
  for (std::string_view marker : {"answer is (", "answer is "}) {
    const size_t pos = s.find(marker);
    if (pos == std::string::npos) continue;
    const size_t j = pos + marker.size();
    if (j < s.size() && IsUpper(s[j]) && (j + 1 == s.size() || !IsAsciiLetter(s[j + 1]))) {
      return std::string(1, s[j]);
    }
  }
  return "";
}

std::string CevalExtract(std::string_view output, bool* found) {
  static constexpr std::string_view kMarker = "所以答案是 ";
  std::string text(output);
  if (text.find(kMarker) != std::string::npos) text = SplitOn(text, kMarker)[1];
  char letter = 0;
  *found = SearchParenLetter(text, &letter);
  if (*found) text = std::string(1, letter);
  return PyLStrip(text);
}

std::string LambadaExtract(std::string_view output, bool* found) {
  std::string text = PyStrip(PyLStrip(output));
  if (text.rfind("A:", 0) == 0) text = text.substr(2);
  std::string word;
  *found = SearchAsciiWord(text, &word);
  return *found ? word : text;
}

std::string MarkerExtract(std::string_view output, std::string_view marker, bool* found) {
  std::string text(output);
  *found = text.find(marker) != std::string::npos;
  if (*found) text = SplitOn(text, marker)[1];
  return PyStrip(text);
}

std::optional<std::string> Gsm8kGold(std::string_view solution) {
  const std::vector<std::string> parts = SplitOn(solution, "####");
  if (parts.size() < 2) return std::nullopt;
  return PyStrip(parts[1]);
}

std::optional<std::string> Gsm8kExtract(std::string_view output, std::string_view gold_solution,
                                        std::vector<std::string>* expected) {
  const std::string reference = Gsm8kGold(gold_solution).value_or("");
  static constexpr std::string_view kMarker = "The answer is ";
  std::optional<std::string> picked;
  if (output.find(kMarker) == std::string_view::npos) {
    std::vector<std::string> runs = FindAllDigitRuns(output);
    if (!runs.empty()) picked = runs.back();
  } else {
    std::vector<std::string> runs = FindAllDigitRuns(SplitOn(output, kMarker)[1]);
    if (!runs.empty()) picked = runs.front();
  }
  if (picked) {
    *expected = FindAllDigitRuns(reference);
  } else {
    *expected = {reference};
  }
  return picked;
}

std::optional<std::string> MgsmExtract(std::string_view output) {
  std::vector<std::string> m = FindAllMgsmNumbers(output);
  if (m.empty()) return std::nullopt;
  return m.back();
}

namespace {
// Every -?\d[\d,]*(\.\d+)? in the text (commas only between digits), digits as ASCII.
std::vector<std::string> AllNumbers(std::string_view text) {
  const std::u32string u = DecodeUtf8(text);
  std::vector<std::string> out;
  size_t i = 0;
  while (i < u.size()) {
    if (!PyIsDecimal(u[i])) {
      ++i;
      continue;
    }
    const size_t b = (i > 0 && u[i - 1] == U'-') ? i - 1 : i;
    size_t j = i;
    while (j < u.size() && (PyIsDecimal(u[j]) || (u[j] == U',' && j + 1 < u.size() &&
                                                  PyIsDecimal(u[j + 1])))) {
      ++j;
    }
    if (j + 1 < u.size() && u[j] == U'.' && PyIsDecimal(u[j + 1])) {
      ++j;
      while (j < u.size() && PyIsDecimal(u[j])) ++j;
    }
    out.push_back(AsciiDigits(EncodeUtf8(std::u32string_view(u).substr(b, j - b))));
    i = j;
  }
  return out;
}
}  // namespace

std::optional<std::string> StrictLastNumber(std::string_view output, std::string_view marker) {
  if (!marker.empty()) {
    const size_t pos = output.rfind(marker);
    if (pos != std::string_view::npos) {
      std::vector<std::string> after = AllNumbers(output.substr(pos + marker.size()));
      if (!after.empty()) return after.front();
    }
  }
  std::vector<std::string> all = AllNumbers(output);
  if (all.empty()) return std::nullopt;
  return all.back();
}

bool NumbersEqual(std::string_view a, std::string_view b) {
  bool na, nb;
  std::string ia, fa, ib, fb;
  if (!ParseDecimal(AsciiDigits(a), &na, &ia, &fa)) return false;
  if (!ParseDecimal(AsciiDigits(b), &nb, &ib, &fb)) return false;
  return na == nb && ia == ib && fa == fb;
}

std::optional<std::string> MathExtract(std::string_view output) {
  return RemoveBoxed(LastBoxedOnlyString(output));
}

std::string AgievalExtract(AgievalType type, std::string_view output, bool* found) {
  switch (type) {
    case AgievalType::kMC:
      return McLetterScan(output, /*lstrip=*/false, found);
    case AgievalType::kIMC: {
      std::string joined;
      *found = false;
      for (char l = 'A'; l <= 'Z'; ++l) {
        const char option[4] = {'(', l, ')', 0};
        if (output.find(option) == std::string_view::npos) continue;
        if (*found) joined.push_back(',');
        joined.push_back(l);
        *found = true;
      }
      return joined;
    }
    case AgievalType::kCloze:
      *found = false;
      return std::string(output);
  }
  return std::string(output);
}

bool FuzzyMatch(std::string_view a, std::string_view b) {
  const std::string s1 = SquadNormalize(a);
  const std::string s2 = SquadNormalize(b);
  if (s1.empty() || s2.empty()) return s1 == s2;
  return s1.find(s2) != std::string::npos || s2.find(s1) != std::string::npos;
}

bool ContainsMatch(std::string_view output, std::string_view gold) {
  const std::string g = SquadNormalize(gold);
  if (g.empty()) return false;
  const std::string o = " " + SquadNormalize(output) + " ";
  return o.find(" " + g + " ") != std::string::npos;
}

double TokenF1(std::string_view prediction, const std::vector<std::string>& golds) {
  const std::vector<std::string> p = PySplit(SquadNormalize(prediction));
  std::map<std::string, int> pc;
  for (const std::string& t : p) ++pc[t];
  double best = 0.0;
  bool first = true;
  for (const std::string& gold : golds) {
    const std::vector<std::string> g = PySplit(SquadNormalize(gold));
    std::map<std::string, int> gc;
    for (const std::string& t : g) ++gc[t];
    int same = 0;
    for (const auto& [tok, n] : gc) {
      auto it = pc.find(tok);
      if (it != pc.end()) same += std::min(n, it->second);
    }
    double f1 = 0.0;
    if (same != 0) {
      const double precision = 1.0 * same / p.size();
      const double recall = 1.0 * same / g.size();
      f1 = (2 * precision * recall) / (precision + recall);
    }
    if (first || f1 > best) best = f1;
    first = false;
  }
  return best;
}

std::string FirstLine(std::string_view output) {
  for (const std::string& line : SplitOn(output, "\n")) {
    std::string s = PyStrip(line);
    if (!s.empty()) return s;
  }
  return "";
}

}  // namespace fathom::driver::bench
