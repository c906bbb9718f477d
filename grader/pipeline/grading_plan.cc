// The grading plan: setup once, then per sample its mode, limits, program and verdict.
#include "grader/pipeline/grading_plan.h"

#include <iostream>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "grader/formats/humanevalx.h"
#include "grader/pipeline/scheduler.h"

namespace fathom::grader {

absl::Status PrepareGrading(const ProblemSet& problems, const std::set<std::string>& tasks,
                            sandbox::Runner& runner, const RuntimeContext& runtime,
                            const SetupOptions& options, GradingSetup* setup) {
  *setup = GradingSetup{};
  absl::StatusOr<std::set<std::string>> io_tasks = IoModeTasks(problems, options.mode, tasks);
  if (!io_tasks.ok()) return io_tasks.status();
  setup->io_tasks = *std::move(io_tasks);
  if (!setup->io_tasks.empty()) {
    IoBuildOptions io;
    io.cache_dir = options.cache_dir;
    io.runtime_fingerprint = runtime.fingerprint;
    io.limits = options.limits;
    io.workers = options.workers;
    io.machine = options.machine;
    io.task_ids = setup->io_tasks;
    io.log = options.io_log != nullptr ? options.io_log : options.log;
    setup->io = BuildIoOracles(problems, runner, runtime, io);
    // GradeMode::kIo promises I/O verdicts: no silent fallback to assert mode.
    if (absl::Status s = CheckIoOracles(problems, options.mode, setup->io, setup->io_tasks);
        !s.ok()) {
      return s;
    }
  }
  // Calibration is for the tasks graded in assert mode; I/O mode derives its limits from
  // the expected-output run.
  bool needs_calibration = options.calibrate_io_tasks;
  for (const std::string& id : tasks) {
    if (setup->io_tasks.count(id) == 0 || !setup->io.oracles[problems.by_id.at(id)].usable) {
      needs_calibration = true;
    }
  }
  if (!options.auto_time_limit || !needs_calibration) return absl::OkStatus();
  std::ostream& log = options.log != nullptr ? *options.log : std::cerr;
  if (options.cache_dir.empty()) {
    log << "time limits: no cache directory ($XDG_CACHE_HOME and $HOME unset; use --cache "
           "DIR): calibrating every run\n";
  }
  CalibrationOptions calibration;
  calibration.cache_dir = options.cache_dir;
  calibration.runtime_fingerprint = runtime.fingerprint;
  calibration.runner_name = options.runner_name;
  calibration.limits = options.limits;
  calibration.machine = options.machine;
  calibration.workers = options.workers;
  calibration.log = options.log;
  Calibration c = CalibrateTimeLimits(problems, runner, runtime, calibration);
  setup->task_cpu_time_ms = c.table.cpu_limit_ms;
  setup->time_limit = AutoTimeLimitInfo(c, problems);
  return absl::OkStatus();
}

SampleMode GradingPlan::ModeOf(size_t problem, GradeMode mode) const {
  const IoOracleSet& io = setup_.io;
  // I/O mode's harness is Python's: other runtimes are graded by their own tests.
  if (RuleOf(runtime_) != VerdictRule::kHarness || io.oracles.size() != problems_.problems.size() ||
      !UsesIoMode(mode, problems_.problems[problem]) || !io.oracles[problem].usable) {
    return AssertMode{};
  }
  return IoMode{&io.oracles[problem], settings_.io_settings};
}

bool GradingPlan::HasTaskLimits(size_t problem, const SampleMode& mode) const {
  (void)problem;
  return std::holds_alternative<IoMode>(mode) || !setup_.task_cpu_time_ms.empty();
}

sandbox::Limits GradingPlan::TaskLimits(size_t problem, const SampleMode& mode) const {
  sandbox::Limits limits = settings_.limits;
  if (const IoMode* io = std::get_if<IoMode>(&mode)) {
    return IoRunLimits(*io->oracle, io->settings, limits, settings_.io_fixed_cpu);
  }
  if (!setup_.task_cpu_time_ms.empty()) limits.cpu_time_ms = setup_.task_cpu_time_ms[problem];
  return limits;
}

GradedSample GradingPlan::Sample(size_t problem, const SampleCode& code, const SampleMode& mode,
                                 const sandbox::Limits& limits) const {
  return MakeGradedSample(problems_.problems[problem], code, mode, runtime_.fingerprint, limits,
                          RuleOf(runtime_), SilenceOf(runtime_));
}

GradedSample GradingPlan::Sample(size_t problem, const SampleCode& code) const {
  const SampleMode mode = ModeOf(problem);
  return Sample(problem, code, mode, TaskLimits(problem, mode));
}

Verdict GradingPlan::Run(sandbox::Runner& runner, const GradedSample& sample,
                         std::shared_ptr<sandbox::CancelToken> cancel) const {
  return RunGradedSample(runner, runtime_, sample, std::move(cancel), settings_.trace_phases);
}

absl::StatusOr<GradedBatch> GradeSamples(const GradingPlan& plan, sandbox::Runner& runner,
                                         const std::vector<SampleToGrade>& samples,
                                         const BatchOptions& options) {
  const ProblemSet& problems = plan.problems();
  std::vector<size_t> problem_of(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    auto it = problems.by_id.find(samples[i].task_id);
    if (it == problems.by_id.end()) {
      return absl::NotFoundError(
          absl::StrCat("samples[", i, "]: no task '", samples[i].task_id, "'"));
    }
    problem_of[i] = it->second;
  }
  GradedBatch batch;
  batch.verdicts.resize(samples.size());
  std::mutex mu;
  DedupTable<size_t> dedup;  // GUARDED_BY(mu): waiters are sample indices
  {
    WorkerPool pool(options.workers, static_cast<size_t>(options.workers) * 2);
    for (size_t i = 0; i < samples.size(); ++i) {
      const SampleCode code{samples[i].code, samples[i].is_solution, options.extract,
                            &options.stops};
      GradedSample graded = plan.Sample(problem_of[i], code);
      {
        std::lock_guard<std::mutex> lock(mu);
        if (dedup.ClaimKey(graded.key, i, &batch.verdicts[i]) != DedupTable<size_t>::Claim::kRun) {
          continue;
        }
      }
      pool.Submit([&, i, graded = std::move(graded)] {
        Verdict v = plan.Run(runner, graded);
        std::lock_guard<std::mutex> lock(mu);
        for (size_t w : dedup.Finish(graded.key, v)) batch.verdicts[w] = SharedVerdict(v);
        batch.verdicts[i] = std::move(v);
      });
    }
    pool.Finish();
  }
  std::vector<TaskCount> counts(problems.problems.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    ++counts[problem_of[i]].n;
    if (batch.verdicts[i].passed) ++counts[problem_of[i]].c;
  }
  batch.tasks = CoveredTasks(problems, counts);
  batch.pass_at_k = MeanPassAtK(batch.tasks, options.ks);
  return batch;
}

std::string ProblemsLanguage(const ProblemSet& problems) {
  for (const Problem& p : problems.problems) {
    if (!p.language.empty()) return p.language;
  }
  return "";
}

absl::Status KeepGradableProblems(const RuntimePolicy& runtime, ProblemSet* problems,
                                  std::vector<std::string>* errors) {
  auto names_runtime = [&](const std::string& language) {
    return language == runtime.name ||
           std::find(runtime.aliases.begin(), runtime.aliases.end(), language) !=
               runtime.aliases.end();
  };
  const bool harness = runtime.verdict == VerdictRule::kHarness;
  std::vector<Problem> kept;
  size_t dropped = 0;
  for (Problem& p : problems->problems) {
    std::string why;
    if (!p.language.empty() && !names_runtime(p.language)) {
      why = absl::StrCat("is a ", p.language, " problem, not ", runtime.name,
                         " (drop --language to grade it with ", p.language, ")");
    } else if (p.format == ProblemFormat::kHumanEvalX && !HumanEvalXAssembled(p)) {
      why = absl::StrCat("is HumanEval-X ", p.language,
                         ", whose programs fathom does not assemble yet");
    } else if (!harness && p.format != ProblemFormat::kHumanEval &&
               p.format != ProblemFormat::kHumanEvalX && p.format != ProblemFormat::kMultiplE) {
      why = absl::StrCat("is a ", ProblemFormatName(p.format), " problem (Python only), not ",
                         runtime.name);
    }
    if (why.empty()) {
      kept.push_back(std::move(p));
      continue;
    }
    ++dropped;
    errors->push_back(absl::StrCat(problems->path, ":", p.line, ": task ", p.task_id, " ", why));
  }
  if (kept.empty() && dropped > 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        errors->front(), dropped > 1 ? absl::StrCat(" (and ", dropped - 1, " more)") : ""));
  }
  problems->problems = std::move(kept);
  problems->by_id.clear();
  for (size_t i = 0; i < problems->problems.size(); ++i) {
    problems->by_id[problems->problems[i].task_id] = i;
  }
  return absl::OkStatus();
}

std::vector<std::pair<std::string, TaskCount>> CoveredTasks(const ProblemSet& problems,
                                                            const std::vector<TaskCount>& counts) {
  std::vector<std::pair<std::string, TaskCount>> out;
  for (size_t p = 0; p < counts.size(); ++p) {
    if (counts[p].n > 0) out.emplace_back(problems.problems[p].task_id, counts[p]);
  }
  return out;
}

std::vector<std::pair<int64_t, double>> MeanPassAtK(
    const std::vector<std::pair<std::string, TaskCount>>& tasks, const std::vector<int64_t>& ks) {
  std::vector<TaskCount> counts;
  for (const auto& [task_id, count] : tasks) counts.push_back(count);
  return MeanPassAtK(counts, ks);
}

}  // namespace fathom::grader
