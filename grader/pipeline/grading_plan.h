// The one grading pipeline, shared by `fathom grade`, `fathom serve` and the eval driver.
//
// Setup, once per problem set (PrepareGrading): the expected outputs of the tasks graded
// in I/O mode (iomode/io_mode.h) and, unless a fixed time limit was given, every task's
// calibrated CPU limit (time_limits.h). Both are measured through the runner that grades
// and cached on disk.
//
// Per sample (GradingPlan): the mode it is graded in, its run limits, the program the
// sandbox runs with the key it is deduplicated and cached under (sample_grader.h), and
// one decided run of it. Who calls what:
//
//   fathom grade  (grade.h: file in, results file out, journal, resume)  --+
//   fathom serve  (service/core.h: requests in, responses out)           --+--> GradingPlan
//   eval driver   (GradeSamples below: samples in, verdicts out)         --+
//
// Thread safety: a GradingSetup is immutable once built; a GradingPlan is a view over
// one (and its problems and runtime, which must outlive it) and may be used by every
// thread at once, as far as the runner it is given allows.
#ifndef FATHOM_GRADER_PIPELINE_GRADING_PLAN_H_
#define FATHOM_GRADER_PIPELINE_GRADING_PLAN_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "grader/formats/problems.h"
#include "grader/iomode/io_mode.h"
#include "grader/pipeline/pass_at_k.h"
#include "grader/pipeline/runtime_context.h"
#include "grader/pipeline/sample_grader.h"
#include "grader/pipeline/time_limits.h"
#include "grader/pipeline/verdict.h"
#include "grader/policy/policy.h"
#include "sandbox/run_spec.h"
#include "sandbox/sandbox.h"

namespace fathom::grader {

// What the setup found for one problem set.
struct GradingSetup {
  // Calibrated CPU limits in ProblemSet order; empty: every task gets the fixed limit.
  std::vector<int64_t> task_cpu_time_ms;
  TimeLimitInfo time_limit;        // how they were chosen (automatic false: fixed)
  IoOracleSet io;                  // I/O mode's expected outputs; empty: none built
  std::set<std::string> io_tasks;  // the tasks the setup's mode grades in I/O mode
};

struct SetupOptions {
  sandbox::Limits limits;  // the runtime's limits, which grading uses
  GradeMode mode = GradeMode::kAuto;
  // Calibrate the CPU limits (`--time-limit auto`); false: limits.cpu_time_ms for all.
  bool auto_time_limit = true;
  // Calibrate even when every task is graded in I/O mode (whose limits come from the
  // expected-output run): a server's request may ask for assert mode.
  bool calibrate_io_tasks = false;
  std::string cache_dir;                   // measurements' cache; empty: measure each time
  std::string runner_name = "fresh-exec";  // "zygote": its calibrations are cached apart
  int workers = 1;
  std::ostream* log = nullptr;  // one line per event, no command prefix; null: std::cerr
  std::ostream* io_log = nullptr;  // the expected-output lines apart; null: log
};

// Measures (or reads from the cache) what grading `tasks` of `problems` needs, into
// *setup. Never fails for a broken canonical solution (it is logged and its task graded
// in assert mode); FailedPrecondition under GradeMode::kIo when one of `tasks` has no
// inputs or no usable expected outputs, with *setup filled as far as it got (the
// expected outputs that were built; nothing calibrated).
absl::Status PrepareGrading(const ProblemSet& problems, const std::set<std::string>& tasks,
                            sandbox::Runner& runner, const RuntimeContext& runtime,
                            const SetupOptions& options, GradingSetup* setup);

// How samples of one problem set are graded.
struct PlanSettings {
  sandbox::Limits limits;  // the runtime's limits: a task's own CPU limit replaces theirs
  GradeMode mode = GradeMode::kAuto;  // the default mode (a request may override it)
  IoSettings io_settings;
  // I/O mode: the run's CPU limit is limits.cpu_time_ms as given (--timeout), not
  // derived from the per-input limits.
  bool io_fixed_cpu = false;
};

class GradingPlan {
 public:
  // `problems`, `runtime` and `setup` must outlive the plan. A default GradingSetup
  // grades in assert mode with limits.cpu_time_ms everywhere.
  GradingPlan(const ProblemSet& problems, const RuntimeContext& runtime,
              const GradingSetup& setup, PlanSettings settings)
      : problems_(problems), runtime_(runtime), setup_(setup), settings_(std::move(settings)) {}

  // How `problem` (its ProblemSet index) is graded under `mode`: I/O mode when the mode
  // allows it, the problem has inputs and its expected outputs are usable; else assert.
  SampleMode ModeOf(size_t problem, GradeMode mode) const;
  SampleMode ModeOf(size_t problem) const { return ModeOf(problem, settings_.mode); }

  // Whether the task has limits of its own (I/O mode's or a calibrated CPU limit).
  bool HasTaskLimits(size_t problem, const SampleMode& mode) const;
  // The run limits: settings.limits with the task's own CPU limit (IoRunLimits in I/O
  // mode, else the calibrated one when there is one).
  sandbox::Limits TaskLimits(size_t problem, const SampleMode& mode) const;

  // The program the sandbox runs for `code`, its key and its verdict's rule.
  GradedSample Sample(size_t problem, const SampleCode& code, const SampleMode& mode,
                      const sandbox::Limits& limits) const;
  // ... in the plan's default mode, under TaskLimits.
  GradedSample Sample(size_t problem, const SampleCode& code) const;

  // Runs `sample` once through `runner` (with `cancel`, when given) and decides its
  // verdict. A runner error, a cancelled run included, is a sandbox_error verdict.
  Verdict Run(sandbox::Runner& runner, const GradedSample& sample,
              std::shared_ptr<sandbox::CancelToken> cancel = nullptr) const;

  const ProblemSet& problems() const { return problems_; }
  const RuntimeContext& runtime() const { return runtime_; }
  const GradingSetup& setup() const { return setup_; }
  const PlanSettings& settings() const { return settings_; }

 private:
  const ProblemSet& problems_;
  const RuntimeContext& runtime_;
  const GradingSetup& setup_;
  const PlanSettings settings_;
};

// The tasks of `counts` (one per problem, ProblemSet order) that have samples, by task_id,
// and pass@k averaged over them.
std::vector<std::pair<std::string, TaskCount>> CoveredTasks(const ProblemSet& problems,
                                                            const std::vector<TaskCount>& counts);
std::vector<std::pair<int64_t, double>> MeanPassAtK(
    const std::vector<std::pair<std::string, TaskCount>>& tasks, const std::vector<int64_t>& ks);

// --- Which runtime grades a problem file ---

// The runtime `problems` name for themselves (HumanEval-X's task_id prefix: "cpp"), the
// first problem's; "" when they name none (HumanEval, MBPP: any runtime, Python's by
// default).
std::string ProblemsLanguage(const ProblemSet& problems);

// Drops from `problems` every problem `runtime` cannot grade, with one line per dropped
// problem in *errors ("PATH:LINE: task CPP/3 is a cpp problem, not python"): a problem
// that names another language, a HumanEval-X language not assembled yet, or a
// Python-only format (MBPP, MBPP+) under a runtime without the harness. InvalidArgument
// (its message the first error, and how many more) when none is left.
absl::Status KeepGradableProblems(const RuntimePolicy& runtime, ProblemSet* problems,
                                  std::vector<std::string>* errors);

// --- The eval driver's entry point: a list of samples in, their verdicts out. ---

struct SampleToGrade {
  std::string task_id;
  std::string code;          // the completion, or the whole program
  bool is_solution = false;  // `code` is a whole program (not appended to the prompt)
};

struct GradedBatch {
  std::vector<Verdict> verdicts;                         // one per sample, in input order
  std::vector<std::pair<std::string, TaskCount>> tasks;  // covered tasks, problem order
  std::vector<std::pair<int64_t, double>> pass_at_k;
};

struct BatchOptions {
  ExtractMode extract = ExtractMode::kNone;
  std::vector<std::string> stops = DefaultStopSequences();  // for ExtractMode::kStop
  int workers = 1;                                           // concurrent runs, >= 1
  std::vector<int64_t> ks = {1, 10, 100};
};

// Grades `samples` with `plan` in its default mode and limits, identical programs once,
// at most options.workers runs at once, and computes pass@k. NotFound names a task_id
// the problems lack (and nothing runs). Called from one thread; returns when every run
// is over.
absl::StatusOr<GradedBatch> GradeSamples(const GradingPlan& plan, sandbox::Runner& runner,
                                         const std::vector<SampleToGrade>& samples,
                                         const BatchOptions& options);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_GRADING_PLAN_H_
