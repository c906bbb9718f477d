// The official DROP metric (see drop_metric.h).
#include "driver/bench/drop_metric.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>

#include <unicode/uchar.h>

#include "driver/bench/py_text.h"

namespace fathom::driver::bench {
namespace {

constexpr std::string_view kPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

std::string NormalizeToken(std::string_view token) {
  std::string t = PyLower(token);
  const bool number = PyFloat(t).has_value();
  if (!number) {  // _remove_punc
    std::string kept;
    for (char c : t) {
      if (kPunctuation.find(c) == std::string_view::npos) kept.push_back(c);
    }
    t = kept;
  }
  if (std::optional<double> v = PyFloat(t)) t = PyFloatRepr(*v);  // _normalize_number
  t = RemoveArticles(t);
  return Join(PySplit(t), " ");  // _white_space_fix
}

std::set<std::string> Bag(std::string_view normalized) {
  std::set<std::string> bag;
  for (std::string& w : PySplit(normalized)) bag.insert(std::move(w));
  return bag;
}

double BagF1(const std::set<std::string>& predicted, const std::set<std::string>& gold) {
  size_t common = 0;
  for (const std::string& w : gold) common += predicted.count(w);
  const double precision =
      predicted.empty() ? 1.0 : static_cast<double>(common) / predicted.size();
  const double recall = gold.empty() ? 1.0 : static_cast<double>(common) / gold.size();
  if (precision == 0.0 && recall == 0.0) return 0.0;
  return (2 * precision * recall) / (precision + recall);
}

bool MatchNumbersIfPresent(const std::set<std::string>& gold,
                           const std::set<std::string>& predicted) {
  std::set<std::string> gold_numbers;
  for (const std::string& w : gold) {
    if (PyFloat(w)) gold_numbers.insert(w);
  }
  if (gold_numbers.empty()) return true;
  for (const std::string& w : predicted) {
    if (PyFloat(w) && gold_numbers.count(w)) return true;
  }
  return false;
}

// Maximum-weight one-to-one assignment of rows to columns (scipy's
// linear_sum_assignment on -scores), by dynamic programming over column subsets.
std::vector<double> AlignBags(const std::vector<std::set<std::string>>& predicted,
                              const std::vector<std::set<std::string>>& gold) {
  const size_t rows = gold.size();
  const size_t cols = predicted.size();
  std::vector<std::vector<double>> scores(rows, std::vector<double>(cols, 0.0));
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      if (MatchNumbersIfPresent(gold[r], predicted[c])) {
        scores[r][c] = BagF1(predicted[c], gold[r]);
      }
    }
  }
  std::vector<double> max_scores(std::max(rows, cols), 0.0);
  // Assign the smaller side; spans per answer are few (DROP has at most a handful).
  const bool transpose = cols > rows;
  const size_t small = transpose ? rows : cols;
  const size_t large = transpose ? cols : rows;
  if (small == 0 || small > 20) return max_scores;
  auto score = [&](size_t s, size_t l) { return transpose ? scores[s][l] : scores[l][s]; };
  // best[l][mask]: best total using large items < l, with the small items in `mask` used.
  const size_t masks = size_t{1} << small;
  std::vector<std::vector<double>> best(large + 1, std::vector<double>(masks, -1.0));
  std::vector<std::vector<int>> choice(large + 1, std::vector<int>(masks, -2));
  best[0][0] = 0.0;
  for (size_t l = 0; l < large; ++l) {
    for (size_t m = 0; m < masks; ++m) {
      if (best[l][m] < 0) continue;
      if (best[l][m] > best[l + 1][m]) {
        best[l + 1][m] = best[l][m];
        choice[l + 1][m] = -1;
      }
      for (size_t s = 0; s < small; ++s) {
        if (m & (size_t{1} << s)) continue;
        const size_t nm = m | (size_t{1} << s);
        const double v = best[l][m] + score(s, l);
        if (v > best[l + 1][nm]) {
          best[l + 1][nm] = v;
          choice[l + 1][nm] = static_cast<int>(s);
        }
      }
    }
  }
  // A complete assignment uses every small item.
  size_t m = masks - 1;
  for (size_t l = large; l > 0; --l) {
    const int s = choice[l][m];
    if (s >= 0) {
      const size_t gold_row = transpose ? static_cast<size_t>(s) : l - 1;
      const size_t pred_col = transpose ? l - 1 : static_cast<size_t>(s);
      max_scores[gold_row] = std::max(max_scores[gold_row], scores[gold_row][pred_col]);
      m &= ~(size_t{1} << s);
    }
  }
  return max_scores;
}

}  // namespace

std::optional<double> PyFloat(std::string_view text) {
  std::u32string u = DecodeUtf8(PyStrip(text));
  std::string ascii;
  for (size_t i = 0; i < u.size(); ++i) {
    char32_t c = u[i];
    if (c >= 0x80) {
      if (!PyIsDecimal(c)) return std::nullopt;
      c = U'0' + u_charDigitValue(static_cast<UChar32>(c));
    }
    ascii.push_back(static_cast<char>(c));
  }
  std::string_view s = ascii;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  std::string lower;
  for (char c : s) lower.push_back(static_cast<char>(std::tolower(c)));
  if (lower == "inf" || lower == "infinity") return negative ? -INFINITY : INFINITY;
  if (lower == "nan") return NAN;
  // digits with single '_' between digits, optional '.', optional exponent.
  std::string clean;
  bool digits = false;
  size_t i = 0;
  auto take_digits = [&](bool* any) {
    bool prev_digit = false;
    while (i < lower.size()) {
      const char c = lower[i];
      if (c >= '0' && c <= '9') {
        clean.push_back(c);
        prev_digit = true;
        *any = true;
        ++i;
      } else if (c == '_' && prev_digit && i + 1 < lower.size() && lower[i + 1] >= '0' &&
                 lower[i + 1] <= '9') {
        prev_digit = false;
        ++i;
      } else {
        break;
      }
    }
  };
  take_digits(&digits);
  if (i < lower.size() && lower[i] == '.') {
    clean.push_back('.');
    ++i;
    take_digits(&digits);
  }
  if (!digits) return std::nullopt;
  if (i < lower.size() && lower[i] == 'e') {
    clean.push_back('e');
    ++i;
    if (i < lower.size() && (lower[i] == '+' || lower[i] == '-')) clean.push_back(lower[i++]);
    bool exp_digits = false;
    take_digits(&exp_digits);
    if (!exp_digits) return std::nullopt;
  }
  if (i != lower.size()) return std::nullopt;
  const double v = std::strtod(clean.c_str(), nullptr);
  return negative ? -v : v;
}

std::string PyFloatRepr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  if (value == 0.0) return std::signbit(value) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  std::string sci(buf, res.ptr);  // d[.ddd]e[+-]XX
  const size_t e = sci.find('e');
  std::string mantissa = sci.substr(0, e);
  const int exponent = std::atoi(sci.c_str() + e + 1);
  std::string sign;
  if (mantissa[0] == '-') {
    sign = "-";
    mantissa.erase(0, 1);
  }
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits.push_back(c);
  }
  if (exponent < -4 || exponent >= 16) {
    std::string out = sign + digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char exp[16];
    std::snprintf(exp, sizeof(exp), "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return out + exp;
  }
  std::string out;
  if (exponent < 0) {
    out = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  } else if (static_cast<size_t>(exponent) + 1 >= digits.size()) {
    out = digits + std::string(exponent + 1 - digits.size(), '0') + ".0";
  } else {
    out = digits.substr(0, exponent + 1) + "." + digits.substr(exponent + 1);
  }
  return sign + out;
}

std::string DropNormalizeAnswer(std::string_view text) {
  // _tokenize: re.split(" |-", text)
  std::vector<std::string> parts;
  std::string cur;
  for (char c : text) {
    if (c == ' ' || c == '-') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  parts.push_back(cur);
  std::vector<std::string> kept;
  for (const std::string& p : parts) {
    std::string n = NormalizeToken(p);
    if (!PyStrip(n).empty()) kept.push_back(std::move(n));
  }
  return PyStrip(Join(kept, " "));
}

DropScore DropMetrics(const std::vector<std::string>& predicted,
                      const std::vector<std::string>& gold) {
  auto to_bags = [](const std::vector<std::string>& spans, std::vector<std::string>* norm,
                    std::vector<std::set<std::string>>* bags) {
    for (const std::string& s : spans) {
      norm->push_back(DropNormalizeAnswer(s));
      bags->push_back(Bag(norm->back()));
    }
  };
  std::vector<std::string> pn, gn;
  std::vector<std::set<std::string>> pb, gb;
  to_bags(predicted, &pn, &pb);
  to_bags(gold, &gn, &gb);
  DropScore out;
  // exact match: the sets of normalised spans are equal and have the same length.
  const std::set<std::string> ps(pn.begin(), pn.end());
  const std::set<std::string> gs(gn.begin(), gn.end());
  out.exact_match = (ps == gs && pn.size() == gn.size()) ? 1.0 : 0.0;
  const std::vector<double> per_bag = AlignBags(pb, gb);
  double sum = 0.0;
  for (double v : per_bag) sum += v;
  const double f1 = per_bag.empty() ? 0.0 : sum / per_bag.size();
  out.f1 = std::round(f1 * 100.0) / 100.0;
  return out;
}

}  // namespace fathom::driver::bench
