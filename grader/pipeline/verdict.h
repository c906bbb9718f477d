// From what the sandbox saw (RunResult + the harness record) to a sample's verdict: the
// fathom `status`, human-eval's `passed` and `result` strings, and the measurements.
//
// Mapping (first match wins):
//   Run() failed, or kSandboxError        -> sandbox_error  "failed: sandbox error: ..."
//   kCpuTimeout, kWallTimeout             -> timeout        "timed out"
//   kMemoryLimit                          -> memory_limit
//   kOutputLimit                          -> output_limit
//   kSyscallViolation                     -> syscall_violation
//   kOk + record "passed"                 -> passed         "passed"
//   record exception, AssertionError      -> failed         "failed: <message>"
//   record exception, MemoryError         -> memory_limit   "failed: <message>"
//   record exception, anything else       -> error          "failed: <message>"
//   no record (os._exit, signal, crash)   -> error
// A compiled language's refused program never runs: compile_error, "failed: compile error:
// <how the compile run ended>", its diagnostics as the stderr tail (sample_grader.h).
// `result` for a run that left no record is "timed out": that is what human-eval writes
// whenever its worker process dies without reporting (its check_correctness fills an empty
// result list with "timed out"). The `status` field says what really happened.
// A pass needs the record AND a clean exit; an exit status alone is never a pass.
//
// Runtimes whose exit status decides (policy `verdict: exit_status`: C, C++, Bash, and
// every HumanEval-X / MultiPL-E language; DecideExitVerdict), as CodeGeeX and MultiPL-E
// decide, with the sandbox's statuses kept apart:
//   Run() failed, or kSandboxError        -> sandbox_error
//   kCpuTimeout, kWallTimeout             -> timeout        "timed out"
//   kMemoryLimit / kOutputLimit / kSyscallViolation -> memory_limit / output_limit /
//                                            syscall_violation, "failed: <output>"
//   kOk (exit 0)                          -> passed         "passed"
//   kNonzeroExit                          -> failed         "failed: <output>"
//   kSignaled SIGABRT (a failed assert()) -> failed         "failed: <output>"
//   kSignaled, any other signal           -> error          "failed: <output>"
// <output> is the end of stderr, or of stdout when stderr is empty (CodeGeeX's choice),
// at most kStderrTailBytes. With `silence` (policy.h's RequireSilence: a runtime's
// `verdict.require_silence`, MultiPL-E's Racket and Scala: stderr; HumanEval-X's
// JavaScript, whose console.assert prints and goes on, humanevalx.h: both), kOk that
// wrote anything to a stream the rule names is failed "failed: <output>", as MultiPL-E
// and CodeGeeX decide it; output on a stream it does not name changes nothing.
//
// Pure functions; thread-safe.
#ifndef FATHOM_GRADER_PIPELINE_VERDICT_H_
#define FATHOM_GRADER_PIPELINE_VERDICT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grader/policy/policy.h"
#include "nlohmann/json.hpp"
#include "sandbox/run_spec.h"

namespace fathom::grader {

enum class SampleStatus {
  kPassed,
  kFailed,            // a failed assertion
  kError,             // any other exception, exit or signal
  kTimeout,
  kMemoryLimit,
  kOutputLimit,
  kSyscallViolation,
  kSandboxError,      // we failed; never a model failure
  kCompileError,      // the language's compile step refused the program (language.h)
  kCount,
};

// "passed", "failed", "error", "timeout", "memory_limit", "output_limit",
// "syscall_violation", "sandbox_error", "compile_error".
const char* SampleStatusName(SampleStatus status);
bool ParseSampleStatus(absl::string_view name, SampleStatus* status);

// EvalPlus's status of one group of inputs (base or plus) in I/O mode: "pass", "fail",
// "timeout"; kNone outside I/O mode (written as null).
enum class PhaseStatus { kNone, kPass, kFail, kTimeout };
const char* PhaseStatusName(PhaseStatus status);  // "pass", "fail", "timeout", "" (kNone)
bool ParsePhaseStatus(absl::string_view name, PhaseStatus* status);

// Bytes of stderr kept in `stderr_tail`.
inline constexpr size_t kStderrTailBytes = 2048;

struct Verdict {
  SampleStatus status = SampleStatus::kSandboxError;
  bool passed = false;
  std::string result;  // human-eval's string
  int64_t cpu_ms = 0;
  int64_t wall_ms = 0;
  int64_t max_rss_kb = 0;
  std::string stderr_tail;
  bool cache_hit = false;
  // syscall_violation only: the syscall the filter stopped, as the sandbox reported it
  // (RunResult::syscall, syscall_name): -1 and "" when the kernel did not say which.
  int64_t syscall = -1;
  std::string syscall_name;
  // The compile step's CPU (0 when its outcome came from the compile cache); -1 when the
  // runtime has no compile step. Written to results and the journal only when >= 0.
  int64_t compile_cpu_ms = -1;
  // I/O mode only (io_mode.h): EvalPlus's per-group statuses and the indices of the
  // failing inputs (all of them with --test-details, else the first).
  bool io = false;
  PhaseStatus base_status = PhaseStatus::kNone;
  PhaseStatus plus_status = PhaseStatus::kNone;
  std::vector<int64_t> base_failed;
  std::vector<int64_t> plus_failed;
  // With phase tracing (phase_trace.h): the run's points, the harness's included. Not
  // journaled or cached.
  sandbox::RunTrace trace;

  bool operator==(const Verdict&) const = default;
};

// Decides the verdict of one run whose stdin carried `nonce`.
Verdict DecideVerdict(const absl::StatusOr<sandbox::RunResult>& run, absl::string_view nonce);

// Decides the verdict of one run by its exit status (the second table above).
Verdict DecideExitVerdict(const absl::StatusOr<sandbox::RunResult>& run,
                          RequireSilence silence = {});

// Round trip through JSON (journal and cache entries). FromJson is InvalidArgument on
// missing or mistyped fields.
nlohmann::json VerdictToJson(const Verdict& v);
absl::StatusOr<Verdict> VerdictFromJson(const nlohmann::json& j);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_VERDICT_H_
