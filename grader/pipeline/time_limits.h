// Calibrated time limits (`fathom grade --time-limit auto`): every problem gets its own
// CPU limit from its canonical solution's CPU time, measured on this machine, in the same
// sandbox (through the same sandbox::Runner) that grades, and cached in a small JSON file.
//
// The rule, with S the runner's start-up CPU (the harness running an empty program: about
// 80 ms on the fresh-exec path, near 0 on a zygote) and W = max(0, C - S) the canonical
// solution's own CPU (C as measured):
//   limit = max(kTimeLimitFloorMs, kTimeLimitMargin x (S + kTimeLimitPromise x W))
// that is, 1.5 x what a sample doing 10x the canonical's work uses, and never under 1 s.
// The numbers (measured; see README "Time limits"):
//   kTimeLimitFloorMs  1000  the promise is that a correct sample using up to 0.8 s of CPU
//                            (its cpu_ms, start-up included) passes; 0.2 s more covers
//                            what the sandbox counts around the program (its init and
//                            exit). Every infinite loop costs this much, so no more.
//   kTimeLimitPromise  10    the promise: 10x the canonical solution's CPU time.
//   kTimeLimitMargin   1.5   the same work costs up to 1.36x its median CPU time (1.6x its
//                            fastest run) on a busy 2-core VM, and calibration and grading
//                            are different runs.
// Subtracting S keeps the limits of both runners alike (a fresh interpreter's start-up is
// not the canonical's work, and 10x of it would lift every limit off the floor).
//
// Measuring: S is the fastest of kStartupRuns runs of the empty program (the safe side:
// a smaller S is a larger W). C is the slowest of kCalibrationRuns runs (a run that
// happened to be fast must not make the limit tight). Runs 2 and 3 are skipped for a task
// whose first run, even doubled, would leave the limit on the floor.
//
// A canonical solution that does not pass (HumanEval+'s task 32 is broken upstream) or
// that hits kCalibrationCpuCapMs gets the fallback limit: the largest calibrated limit of
// the set (no task is treated more strictly than the most generous working one), or the
// configured cpu_time_ms when no task calibrated. It is logged once per run.
//
// Cache file: <dir>/calibration-<key>.json, written atomically. The key covers the
// problem file's contents, the runtime fingerprint, the runner ("fresh-exec", "zygote"),
// every non-CPU limit, the harness version, the calibration procedure and the CPU model.
// The file holds measurements, not limits: the rule is applied when it is read. A missing,
// unreadable or corrupt file means measuring again (with a log line); an unwritable
// directory is logged and not an error.
//
// Thread safety: the free functions are pure except CalibrateTimeLimits and
// MeasureCanonicalSolutions, which run sandboxes on their own threads and return when
// they are done.
#ifndef FATHOM_GRADER_PIPELINE_TIME_LIMITS_H_
#define FATHOM_GRADER_PIPELINE_TIME_LIMITS_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grader/formats/problems.h"
#include "grader/pipeline/cpu_model.h"
#include "grader/pipeline/runtime_context.h"
#include "sandbox/run_spec.h"
#include "sandbox/sandbox.h"

namespace fathom::grader {

inline constexpr int64_t kTimeLimitFloorMs = 1000;
inline constexpr int64_t kTimeLimitPromise = 10;
inline constexpr double kTimeLimitMargin = 1.5;
inline constexpr int kCalibrationRuns = 3;
inline constexpr int kStartupRuns = 5;
// CPU cap of one calibration run: HumanEval+/MBPP+ plus tests need up to ~17 s of CPU for
// some canonical solutions; a broken one that loops costs this once (it is not repeated).
inline constexpr int64_t kCalibrationCpuCapMs = 60000;
// Bumped whenever the procedure above changes what gets measured (part of the key).
inline constexpr int kCalibrationVersion = 1;

// The limit for a canonical solution that took `canonical_cpu_ms` on a runner whose
// start-up takes `startup_cpu_ms` (the rule above, rounded up to a millisecond).
int64_t CalibratedLimitMs(int64_t canonical_cpu_ms, int64_t startup_cpu_ms);

// What calibration found for one problem.
struct CanonicalMeasurement {
  bool passed = false;          // every run passed
  std::vector<int64_t> cpu_ms;  // one per run made (>= 1 when passed)
  std::string failure;          // when !passed: status and result of the failing run
  bool transient = false;       // failed with sandbox_error: not the problem's fault

  int64_t MaxCpuMs() const;
  bool operator==(const CanonicalMeasurement&) const = default;
};

// Everything calibration measured.
struct CalibrationData {
  std::vector<int64_t> startup_cpu_ms;         // runs of the empty program that passed
  std::vector<CanonicalMeasurement> canonical;  // ProblemSet order

  // The fastest start-up run; 0 when none passed (the safe side: W = C).
  int64_t StartupCpuMs() const;
  bool operator==(const CalibrationData&) const = default;
};

// Per-problem CPU limits derived from measurements.
struct LimitTable {
  std::vector<int64_t> cpu_limit_ms;  // ProblemSet order
  int64_t fallback_ms = 0;            // given to every problem in `fallback`
  std::vector<size_t> fallback;       // problems whose canonical did not pass
};

// Applies the rule to `data` (one canonical measurement per problem). `default_ms` is
// the fallback when no problem calibrated.
LimitTable LimitsFromMeasurements(const CalibrationData& data, int64_t default_ms);

// SHA-256 of the table and the task ids it applies to: part of the results journal's
// fingerprint, so a resume under other limits is refused.
std::string LimitTableHash(const ProblemSet& problems, const std::vector<int64_t>& cpu_limit_ms);

struct CalibrationOptions {
  std::string cache_dir;            // empty: no cache file (measure every time)
  std::string runtime_fingerprint;  // RuntimeContext::fingerprint
  std::string runner_name = "fresh-exec";
  std::string machine = CpuModel();
  sandbox::Limits limits;           // the grading limits: all but the CPU/wall ones apply
  int workers = 1;
  std::ostream* log = nullptr;      // one line per event; null: std::cerr
};

// The cache key (64 hex characters) of calibrating `problems` under `options`.
std::string CalibrationKey(const ProblemSet& problems, const CalibrationOptions& options);

// Runs the empty program kStartupRuns times and every canonical solution (kCalibrationRuns
// times where it matters) on `runner` with `runtime.make_spec`, at most `workers` at once.
CalibrationData MeasureCanonicalSolutions(const ProblemSet& problems, sandbox::Runner& runner,
                                          const RuntimeContext& runtime,
                                          const sandbox::Limits& limits, int workers);

// The cache file: reads `path` if it holds a calibration of `key` for exactly these
// problems (InvalidArgument / NotFound otherwise, naming the path and what is wrong), and
// writes one atomically.
absl::StatusOr<CalibrationData> ReadCalibrationFile(const std::string& path,
                                                    const std::string& key,
                                                    const ProblemSet& problems);
absl::Status WriteCalibrationFile(const std::string& path, const std::string& key,
                                  const ProblemSet& problems, const CalibrationData& data);

struct Calibration {
  CalibrationData data;
  LimitTable table;
  bool cached = false;     // read from the cache file, nothing measured
  double measure_s = 0;    // time spent measuring (0 when cached)
  std::string cache_path;  // empty when there is no cache directory
};

// The per-problem limits of `problems`: from the cache file when it is valid, otherwise
// measured (and stored unless a run hit sandbox_error). Never fails: cache problems are
// logged, broken canonical solutions get the fallback limit (logged once).
Calibration CalibrateTimeLimits(const ProblemSet& problems, sandbox::Runner& runner,
                                const RuntimeContext& runtime,
                                const CalibrationOptions& options);

// How CPU limits were chosen (`--time-limit`).
struct TimeLimitInfo {
  bool automatic = false;  // auto: per task, calibrated; else RunInfo::limits.cpu_time_ms
  // auto only:
  bool cached = false;       // calibration read from the cache file
  double measure_s = 0;      // time spent measuring (0 when cached)
  std::string cache_path;    // empty: no cache directory
  int64_t startup_ms = 0;    // the runner's start-up CPU, left out of the canonical's
  int64_t min_ms = 0, median_ms = 0, max_ms = 0;  // over the problem set
  int64_t fallback_ms = 0;
  std::vector<std::string> fallback_tasks;  // canonical solution did not pass
};

// The TimeLimitInfo of an automatic run.
TimeLimitInfo AutoTimeLimitInfo(const Calibration& calibration, const ProblemSet& problems);

// The default cache directory: $XDG_CACHE_HOME/fathom, else $HOME/.cache/fathom, else ""
// (no cache).
std::string DefaultCacheDir();

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_TIME_LIMITS_H_
