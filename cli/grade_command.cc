// `fathom grade`: flags -> grading setup (grading_plan.h) -> grader::Grade -> summary.
#include "cli/grade_command.h"

#include <unistd.h>

#include <cmath>
#include <iostream>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/common.h"
#include "cli/flags.h"
#include "grader/formats/evalplus_report.h"
#include "grader/formats/extract.h"
#include "grader/formats/problems.h"
#include "grader/formats/samples.h"
#include "grader/iomode/io_mode.h"
#include "grader/pipeline/compile_cache.h"
#include "grader/pipeline/grade.h"
#include "grader/pipeline/grading_plan.h"
#include "grader/pipeline/pass_at_k.h"
#include "grader/pipeline/result_cache.h"
#include "grader/pipeline/runtime_context.h"
#include "grader/pipeline/scheduler.h"
#include "grader/pipeline/summary.h"
#include "grader/pipeline/time_limits.h"
#include "grader/policy/policy.h"

namespace fathom::cli {
namespace {

constexpr char kUsage[] =
    "usage: fathom grade --problems FILE --samples FILE|DIR [--out FILE] [--workers N]\n"
    "                    [--time-limit auto|SECONDS | --timeout SECONDS] [--k 1,10,100]\n"
    "                    [--extract none|fenced|stop] [--stop SEQ ...]\n"
    "                    [--cache DIR | --no-cache] [--json] [--strict]\n"
    "                    [--no-resume] [--no-progress] [--language L] [--no-zygote]\n"
    "                    [--mode auto|io|assert] [--test-details] [--format human-eval|evalplus]\n"
    "                    [--min-time-limit S] [--gt-time-limit-factor F]\n"
    "                    [--limit key=value ...] [--require LAYER ...] [--policies DIR]\n"
    "Grades every sample in the sandbox, writes <samples>_results.jsonl (human-eval's\n"
    "format plus fathom fields) and prints human-eval's pass@k line and a summary.\n"
    "A killed run resumes when the same command is run again.\n"
    "Time limits: by default (--time-limit auto) each problem gets the CPU limit\n"
    "max(1 s, 1.5 x (start-up + 10 x its canonical solution's own CPU time)), measured\n"
    "once on this machine and cached (--cache DIR, else $XDG_CACHE_HOME/fathom or\n"
    "~/.cache/fathom). --timeout S, --time-limit S or --limit cpu_time_ms=N give every\n"
    "sample one fixed CPU limit instead.\n"
    "Modes: I/O mode (default for problems with inputs: HumanEval+, MBPP+) runs the\n"
    "entry point on each input and compares the returned values outside the sandbox with\n"
    "the canonical solution's; assert mode runs the problem's own tests (human-eval).\n"
    "--format evalplus also writes <samples>.eval_results.json in EvalPlus's layout.\n"
    "Languages: HumanEval-X files (task_ids CPP/0, Python/0, ...) are graded by the\n"
    "runtime their prefix names; other files by --language L (default python; `fathom\n"
    "runtimes` lists them). A compiled language compiles each distinct program once, in\n"
    "the sandbox (kept in --cache DIR across runs); compile_error is its own status.\n"
    "Exit codes: 0 grading completed, 1 some samples hit sandbox_error, 2 usage or\n"
    "unreadable input (or --strict stopped at bad input).\n";

int Usage(const std::string& message) {
  PrintError("grade", absl::StrCat(message, "\n", kUsage));
  return kExitUsage;
}


void DeclareFlags(Flags& flags) {
  flags.Value("problems", "problem file: HumanEval / HumanEval+ / MBPP(+) JSONL or .jsonl.gz");
  flags.Value("samples", "samples: JSONL(.gz), EvalPlus folder, or bigcode JSON list of lists");
  flags.Value("out", "results file (default <samples>_results.jsonl)");
  flags.Value("workers", "concurrent sandbox runs (default: the cores available)");
  flags.Value("time-limit",
              "auto (default): per problem, calibrated; or a fixed CPU limit in seconds");
  flags.Value("timeout", "fixed per-sample CPU-time limit in seconds (turns calibration off)");
  flags.Value("k", "pass@k values (default 1,10,100)");
  flags.Value("extract", "none | fenced | stop (default none)");
  flags.Value("stop", "stop sequence for --extract stop (\\n escapes; repeatable)", true);
  flags.Value("cache",
              "content-addressed verdict cache directory kept across runs (also holds the "
              "time-limit calibration)");
  flags.Bool("no-cache", "do not use the --cache directory");
  flags.Bool("json", "print one JSON object instead of the summary");
  flags.Bool("strict", "stop at the first bad input record");
  flags.Bool("no-resume", "discard a previous run's journal and start over");
  flags.Bool("no-progress", "no progress bar or progress lines");
  flags.Value("language", "runtime from the policy (default: the problems' own, else python)");
  flags.Value("runtime", "the same as --language");
  flags.Value("limit", "override a limit, e.g. memory_bytes=536870912", true);
  flags.Value("require", "fail unless this isolation layer is active", true);
  flags.Value("policies", "policy directory (default: next to the binary)");
  flags.Bool("no-zygote", "start a fresh interpreter per sample instead of forking warm zygotes");
  DeclareIoModeFlags(flags);
  flags.Value("format", "human-eval (default): results JSONL; evalplus: also EvalPlus's file");
  flags.Bool("help", "show this help");
}

// The options the flags give, before any file is read. InvalidArgument: a usage error.
absl::Status OptionsFromFlags(const Flags& flags, grader::GradeOptions& options,
                              std::string& format) {
  options.out_path = flags.Get("out");
  options.strict = flags.GetBool("strict");
  options.resume = !flags.GetBool("no-resume");
  options.progress = !flags.GetBool("no-progress") && !flags.GetBool("json");
  options.progress_tty = isatty(STDERR_FILENO) == 1;
  options.workers = grader::AvailableCores();
  if (flags.Has("workers")) {
    if (!absl::SimpleAtoi(flags.Get("workers"), &options.workers) || options.workers < 1) {
      return absl::InvalidArgumentError("--workers: expected a positive integer");
    }
  }
  if (flags.Has("k")) {
    absl::StatusOr<std::vector<int64_t>> ks = grader::ParseKs(flags.Get("k"));
    if (!ks.ok()) return absl::InvalidArgumentError(absl::StrCat("--k: ", ks.status().message()));
    options.ks = *ks;
  }
  absl::StatusOr<grader::ExtractMode> extract =
      grader::ParseExtractMode(flags.Get("extract", "none"));
  if (!extract.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--extract ", extract.status().message()));
  }
  options.extract = *extract;
  if (flags.Has("stop")) {
    options.stops.clear();
    for (const std::string& s : flags.GetAll("stop")) {
      options.stops.push_back(grader::UnescapeStopSequence(s));
    }
  }
  if (flags.Has("cache") && !flags.GetBool("no-cache")) options.cache_dir = flags.Get("cache");
  if (absl::Status s = ParseIoModeFlags(flags, &options.mode, &options.io_settings); !s.ok()) {
    return s;
  }
  format = flags.Get("format", "human-eval");
  if (format != "human-eval" && format != "evalplus") {
    return absl::InvalidArgumentError("--format: expected human-eval or evalplus");
  }
  return absl::OkStatus();
}

// The runtime's limits as --timeout, --time-limit and --limit change them. Time limits
// are auto unless a fixed one is given (*auto_time_limit false): --timeout S and
// --time-limit S are the same thing (give one); --limit cpu_time_ms=N is applied last
// and wins over both. InvalidArgument: a usage error.
absl::Status LimitsFromFlags(const Flags& flags, sandbox::Limits& limits,
                             bool* auto_time_limit) {
  *auto_time_limit = true;
  std::string fixed_flag;
  for (const char* name : {"timeout", "time-limit"}) {
    const bool is_time_limit = std::string(name) == "time-limit";
    if (!flags.Has(name) || (is_time_limit && flags.Get(name) == "auto")) continue;
    if (!fixed_flag.empty()) {
      return absl::InvalidArgumentError("give one of --timeout and --time-limit");
    }
    fixed_flag = name;
    double seconds = 0;
    if (!absl::SimpleAtod(flags.Get(name), &seconds) || !(seconds > 0) || seconds > 86400) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": expected seconds > 0",
                                                     is_time_limit ? " or auto" : ""));
    }
    limits.cpu_time_ms = static_cast<int64_t>(std::llround(seconds * 1000));
    *auto_time_limit = false;
  }
  for (const std::string& kv : flags.GetAll("limit")) {
    if (kv.rfind("cpu_time_ms=", 0) == 0) {
      fixed_flag = "limit cpu_time_ms";
      *auto_time_limit = false;
    }
  }
  if (flags.Get("time-limit") == "auto" && !*auto_time_limit) {
    return absl::InvalidArgumentError(
        absl::StrCat("--time-limit auto conflicts with --", fixed_flag));
  }
  return ApplyLimitFlags(flags.GetAll("limit"), limits);
}

// --format evalplus: EvalPlus's results file beside the samples, and its pass@k lines.
absl::StatusOr<std::string> WriteEvalPlus(const Flags& flags, const grader::ProblemSet& problems,
                                          const grader::GradeOptions& options,
                                          const grader::GradeReport& report,
                                          std::string* path) {
  grader::EvalPlusReportOptions ep;
  ep.results_path = report.results_path;
  ep.out_path = *path = grader::EvalPlusResultsPath(options.samples_path);
  absl::StatusOr<std::string> md5 = grader::ProblemFileMd5(flags.Get("problems"));
  ep.dataset_hash = md5.ok() ? *md5 : "";
  ep.extract = options.extract;
  ep.stops = options.stops;
  ep.ks = options.ks;
  absl::StatusOr<grader::EvalPlusPassAtK> result = grader::WriteEvalPlusResults(problems, ep);
  if (!result.ok()) return result.status();
  const grader::Problem& first = problems.problems.front();
  return grader::EvalPlusPassAtKText(
      first.format == grader::ProblemFormat::kHumanEval ? "humaneval" : "mbpp", *result);
}

// Where and how the samples ran, for the summary.
grader::RunInfo RunInfoOf(const grader::RuntimePolicy& rt, const grader::RuntimeContext& runtime,
                          const std::string& policy_hash, const sandbox::LayerSet& layers,
                          const grader::GradeOptions& options) {
  grader::RunInfo info;
  info.runtime_name = rt.name;
  info.interpreter = rt.interpreter;
  info.interpreter_version = runtime.interpreter_version;
  info.policy_hash = policy_hash;
  info.layers = layers.Names();
  info.fathom_version = kFathomVersion;
  info.limits = options.limits;
  info.workers = options.workers;
  info.mode = grader::GradeModeName(options.mode);
  const grader::GradingSetup& setup = options.setup;
  if (!setup.io_tasks.empty()) {
    info.io_time_limit = grader::IoTimeLimitText(options.io_settings, options.io_fixed_cpu,
                                                 options.limits.cpu_time_ms);
    info.io_note =
        grader::IoNote(setup.io.cached, setup.io.measure_s, setup.io.unusable_tasks.size());
  }
  info.time_limit = setup.time_limit;
  return info;
}

// Prints the summary (or --json's object) and returns the exit code.
int PrintReport(const Flags& flags, const std::string& format,
                const grader::ProblemSet& problems, const grader::GradeOptions& options,
                const grader::RunInfo& info, const RunnerChoice& runner,
                const grader::GradeReport& report, const grader::CompileCache* compile_cache) {
  nlohmann::ordered_json compile_json = nullptr;
  if (compile_cache != nullptr) {
    const grader::CompileCacheStats c = compile_cache->stats();
    compile_json = {{"compiles", c.compiles},
                    {"memory_hits", c.memory_hits},
                    {"disk_hits", c.disk_hits},
                    {"compile_cpu_ms", c.compile_cpu_ms}};
  }
  nlohmann::ordered_json zygote_json = nullptr;
  std::string zygote_line;
  if (runner.zygote != nullptr) {
    sandbox::ZygoteStats z = runner.zygote->stats();
    zygote_json = {{"slots", options.workers},          {"runs", z.runs},
                   {"fresh_runs", z.fresh_runs},        {"restarts", z.restarts},
                   {"retries", z.retries},              {"peak_rss_kb", z.peak_rss_kb}};
    zygote_line = absl::StrCat("runner:        ", runner.description, ", peak RSS ",
                               z.peak_rss_kb / 1024, " MiB, ", z.restarts, " restarts\n");
  } else {
    zygote_line = absl::StrCat("runner:        ", runner.description, "\n");
  }
  if (compile_cache != nullptr) {
    const grader::CompileCacheStats c = compile_cache->stats();
    absl::StrAppend(&zygote_line, "compile:       ", c.compiles, " compiled (",
                    absl::StrFormat("%.1f", c.compile_cpu_ms / 1000.0), " s CPU), ",
                    c.memory_hits + c.disk_hits, " from the compile cache (", c.disk_hits,
                    " from ", compile_cache->dir().empty() ? "no directory" : compile_cache->dir(),
                    ")\n");
  }
  std::string evalplus_text;
  std::string evalplus_path;
  if (format == "evalplus" && report.completed) {
    absl::StatusOr<std::string> text =
        WriteEvalPlus(flags, problems, options, report, &evalplus_path);
    if (!text.ok()) {
      PrintError("grade", absl::StrCat("--format evalplus: ", text.status().message()));
      return kExitUsage;
    }
    evalplus_text = *text;
  }
  if (flags.GetBool("json")) {
    nlohmann::ordered_json j = grader::SummaryJson(report, info);
    if (!evalplus_path.empty()) j["evalplus_results_file"] = evalplus_path;
    j["runner"] = runner.zygote != nullptr ? "zygote" : "fresh";
    j["zygote"] = zygote_json;
    j["compile"] = compile_json;
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << evalplus_text << grader::SummaryText(report, info) << zygote_line;
    if (!evalplus_path.empty()) std::cout << "evalplus:      " << evalplus_path << "\n";
  }
  std::cout.flush();
  if (!report.completed) {
    PrintError("grade", absl::StrCat("stopped: ", report.stop_reason,
                                     " (results so far are journaled; rerun to resume)"));
    return kExitUsage;
  }
  int64_t sandbox_errors =
      report.status_counts[static_cast<size_t>(grader::SampleStatus::kSandboxError)];
  if (sandbox_errors > 0) {
    PrintError("grade", absl::StrCat(sandbox_errors,
                                     " samples hit sandbox_error (not counted as model "
                                     "failures; see `fathom doctor`)"));
    return kExitSandboxErrors;
  }
  return kExitOk;
}

}  // namespace

int GradeMain(int argc, char** argv) {
  Flags flags;
  DeclareFlags(flags);
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) return Usage(std::string(s.message()));
  if (flags.GetBool("help")) {
    std::cout << kUsage << flags.Help();
    return kExitOk;
  }
  grader::GradeOptions options;
  options.samples_path = flags.Get("samples");
  if (options.samples_path.empty() && flags.positionals().size() == 1) {
    options.samples_path = flags.positionals()[0];
  } else if (!flags.positionals().empty()) {
    return Usage("unexpected arguments");
  }
  if (options.samples_path.empty()) return Usage("--samples is required");
  if (!flags.Has("problems")) return Usage("--problems is required");
  std::string format;
  if (absl::Status s = OptionsFromFlags(flags, options, format); !s.ok()) {
    return Usage(std::string(s.message()));
  }
  absl::StatusOr<grader::Policy> policy = LoadPolicyOrDefault(flags.Get("policies"));
  if (!policy.ok()) return Usage(std::string(policy.status().message()));
  absl::StatusOr<grader::ProblemSet> problems = grader::LoadProblems(flags.Get("problems"));
  if (!problems.ok()) {
    PrintError("grade", std::string(problems.status().message()));
    return kExitUsage;
  }
  // The runtime: --language, else the one the problems name (HumanEval-X), else Python.
  std::string language = flags.Get("language", flags.Get("runtime"));
  if (language.empty()) language = grader::ProblemsLanguage(*problems);
  absl::StatusOr<const grader::RuntimePolicy*> rt =
      policy->Runtime(language.empty() ? "python" : language);
  if (!rt.ok()) return Usage(std::string(rt.status().message()));
  if (std::vector<std::string> missing = grader::MissingToolchainPaths(**rt); !missing.empty()) {
    PrintError("grade", absl::StrCat("runtime '", (*rt)->name, "' is not installed (missing ",
                                     absl::StrJoin(missing, ", "),
                                     "); install it: apt-get install ",
                                     absl::StrJoin((*rt)->packages, " ")));
    return kExitUsage;
  }
  {
    std::vector<std::string> dropped;
    if (absl::Status s = grader::KeepGradableProblems(**rt, &*problems, &dropped); !s.ok()) {
      PrintError("grade", std::string(s.message()));
      return kExitUsage;
    }
    // The rest goes on; their samples are reported as bad input (no such task).
    for (const std::string& line : dropped) PrintError("grade", absl::StrCat("skipped: ", line));
  }
  options.limits = (*rt)->limits;
  bool auto_time_limit = true;
  if (absl::Status s = LimitsFromFlags(flags, options.limits, &auto_time_limit); !s.ok()) {
    return Usage(std::string(s.message()));
  }
  options.io_fixed_cpu = !auto_time_limit;

  // Unreadable samples fail now, before calibration spends time. The task ids sampled
  // decide which problems need expected outputs or calibrated limits; --mode io on a
  // task without inputs fails before any measuring.
  absl::StatusOr<grader::SampleScan> scan = grader::ScanSamples(options.samples_path, *problems);
  if (!scan.ok()) {
    PrintError("grade", std::string(scan.status().message()));
    return kExitUsage;
  }
  options.total_samples = scan->records;
  if (absl::Status s = grader::IoModeTasks(*problems, options.mode, scan->task_ids).status();
      !s.ok()) {
    PrintError("grade", std::string(s.message()));
    return kExitUsage;
  }
  if (!options.cache_dir.empty()) {
    if (absl::Status s = grader::DiskCache::Open(options.cache_dir).status(); !s.ok()) {
      PrintError("grade", absl::StrCat("--cache ", s.message()));
      return kExitUsage;
    }
  }
  // Pre-started inits serve the fresh path: one per worker when that is the runner.
  absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> sb = MakeSandbox(
      *policy, flags.GetAll("require"), flags.GetBool("no-zygote") ? options.workers : 0);
  if (!sb.ok()) {
    PrintError("grade", absl::StrCat(sb.status().message(),
                                     "\n(run `fathom doctor` to see what this host allows)"));
    return kExitUsage;
  }
  sandbox::LayerSet layers = (*sb)->active_layers();
  if (absl::Status s = grader::CheckRuntimeLayers(**rt, layers); !s.ok()) {
    PrintError("grade", std::string(s.message()));
    return kExitUsage;
  }
  absl::StatusOr<grader::PreparedRuntime> prepared =
      grader::PrepareRuntime(*policy, (*rt)->name, layers.Has(sandbox::Layer::kSeccomp));
  if (!prepared.ok()) {
    PrintError("grade", std::string(prepared.status().message()));
    return kExitUsage;
  }
  // The interpreter's version, asked in the sandbox itself: part of the fingerprint.
  // Compile outcomes (and a precompiled header) are kept across runs beside the verdicts.
  std::string pch_note;
  absl::StatusOr<grader::RuntimeContext> runtime =
      grader::ProbeRuntime(**sb, *prepared, options.limits, policy->hash, layers.Names(),
                           options.cache_dir, &pch_note);
  if (!runtime.ok()) {
    PrintError("grade", absl::StrCat("sandbox error: ", runtime.status().message()));
    return kExitSandboxErrors;
  }
  if (!pch_note.empty()) PrintError("grade", absl::StrCat("warning: ", pch_note));
  RunnerChoice runner =
      MakeRunner(**sb, *prepared, options.workers, !flags.GetBool("no-zygote"));
  if (options.progress) std::cerr << "fathom grade: programs run in " << runner.description << "\n";

  CommandLog log(std::cerr, "grade");
  options.log = &log;
  options.terminal = &std::cerr;
  grader::SetupOptions setup;
  setup.limits = options.limits;
  setup.mode = options.mode;
  setup.auto_time_limit = auto_time_limit;
  setup.cache_dir = !options.cache_dir.empty() ? options.cache_dir : grader::DefaultCacheDir();
  // The zygote's cpu_ms leaves out interpreter start-up, the fresh path's includes it:
  // their calibrations are cached apart.
  setup.runner_name = runner.zygote != nullptr ? "zygote" : "fresh-exec";
  setup.workers = options.workers;
  setup.log = &log;
  if (absl::Status s = grader::PrepareGrading(*problems, scan->task_ids, *runner.runner,
                                              *runtime, setup, &options.setup);
      !s.ok()) {
    PrintError("grade", std::string(s.message()));
    return kExitUsage;
  }
  const grader::RunInfo info = RunInfoOf(**rt, *runtime, policy->hash, layers, options);

  absl::StatusOr<grader::GradeReport> report =
      grader::Grade(options, *problems, *runner.runner, *runtime);
  if (!report.ok()) {
    PrintError("grade", std::string(report.status().message()));
    return kExitUsage;
  }
  return PrintReport(flags, format, *problems, options, info, runner, *report,
                     (*rt)->has_compile ? runtime->compile_cache.get() : nullptr);
}

}  // namespace fathom::cli
