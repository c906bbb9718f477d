// pass@k and Python float formatting.
#include "grader/pipeline/pass_at_k.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace fathom::grader {

double PassAtK(int64_t n, int64_t c, int64_t k) {
  if (n - c < k) return 1.0;
  // 1 - prod (1 - k/i): no huge binomials, no cancellation beyond the last subtraction.
  double prod = 1.0;
  for (int64_t i = n - c + 1; i <= n; ++i) {
    prod *= 1.0 - static_cast<double>(k) / static_cast<double>(i);
  }
  return 1.0 - prod;
}

namespace {

// Blocks of at most this many values are summed without further splitting (numpy's
// PW_BLOCKSIZE); 8 is the number of interleaved running sums within a block.
constexpr size_t kPairwiseBlock = 128;
constexpr size_t kLanes = 8;
// numpy's reduction hands its inner loop at most a buffer's worth of values at a time
// (np.getbufsize(), 8192 by default) and carries the running total from one call to the
// next, so pairwise summation happens within each such chunk only.
constexpr size_t kNumpyBufferValues = 8192;

double PairwiseSum(const double* a, size_t n) {
  if (n < kLanes) {
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) sum += a[i];
    return sum;
  }
  if (n <= kPairwiseBlock) {
    double lane[kLanes];
    for (size_t j = 0; j < kLanes; ++j) lane[j] = a[j];
    const size_t whole = n - n % kLanes;
    size_t i = kLanes;
    for (; i < whole; i += kLanes) {
      for (size_t j = 0; j < kLanes; ++j) lane[j] += a[i + j];
    }
    double sum = ((lane[0] + lane[1]) + (lane[2] + lane[3])) +
                 ((lane[4] + lane[5]) + (lane[6] + lane[7]));
    for (; i < n; ++i) sum += a[i];
    return sum;
  }
  size_t half = n / 2;
  half -= half % kLanes;
  return PairwiseSum(a, half) + PairwiseSum(a + half, n - half);
}

}  // namespace

double NumpyPairwiseSum(const std::vector<double>& values) {
  double total = 0.0;  // numpy starts the reduction from add's identity
  for (size_t start = 0; start < values.size(); start += kNumpyBufferValues) {
    total += PairwiseSum(values.data() + start,
                         std::min(kNumpyBufferValues, values.size() - start));
  }
  return total;
}

std::vector<std::pair<int64_t, double>> MeanPassAtK(const std::vector<TaskCount>& tasks,
                                                    const std::vector<int64_t>& ks) {
  std::vector<std::pair<int64_t, double>> out;
  if (tasks.empty()) return out;
  int64_t min_n = tasks[0].n;
  for (const TaskCount& t : tasks) min_n = std::min(min_n, t.n);
  for (int64_t k : ks) {
    if (k < 1 || k > min_n) continue;
    std::vector<double> per_task;
    per_task.reserve(tasks.size());
    for (const TaskCount& t : tasks) per_task.push_back(PassAtK(t.n, t.c, k));
    out.emplace_back(k, NumpyPairwiseSum(per_task) / static_cast<double>(tasks.size()));
  }
  return out;
}

absl::StatusOr<std::vector<int64_t>> ParseKs(absl::string_view text) {
  std::vector<int64_t> out;
  std::set<int64_t> seen;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    int64_t k = 0;
    if (!absl::SimpleAtoi(part, &k) || k < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", part, "' is not a positive integer"));
    }
    if (seen.insert(k).second) out.push_back(k);
  }
  if (out.empty()) return absl::InvalidArgumentError("no values");
  return out;
}

std::string PythonFloatRepr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  if (x == 0) return std::signbit(x) ? "-0.0" : "0.0";
  // Shortest round-trip digits in scientific form: d[.ddd]e[+-]XX.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), x, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  std::string sign;
  if (sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  size_t e = sci.find('e');
  int exponent = std::atoi(sci.c_str() + e + 1);
  std::string digits;
  for (size_t i = 0; i < e; ++i) {
    if (sci[i] != '.') digits.push_back(sci[i]);
  }
  if (exponent < -4 || exponent >= 16) {
    std::string mant = digits.substr(0, 1);
    if (digits.size() > 1) absl::StrAppend(&mant, ".", digits.substr(1));
    char exp_buf[16];
    std::snprintf(exp_buf, sizeof(exp_buf), "e%c%02d", exponent < 0 ? '-' : '+',
                  std::abs(exponent));
    return sign + mant + exp_buf;
  }
  std::string out;
  int point = exponent + 1;  // digits before the decimal point
  if (point <= 0) {
    out = "0." + std::string(-point, '0') + digits;
  } else if (static_cast<size_t>(point) >= digits.size()) {
    out = digits + std::string(point - digits.size(), '0') + ".0";
  } else {
    out = digits.substr(0, point) + "." + digits.substr(point);
  }
  return sign + out;
}

std::string HumanEvalPassAtKLine(const std::vector<std::pair<int64_t, double>>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    absl::StrAppend(&out, "'pass@", values[i].first, "': ", PythonFloatRepr(values[i].second));
  }
  out += "}";
  return out;
}

}  // namespace fathom::grader
