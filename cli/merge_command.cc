// `fathom merge`: flags -> grader::MergeResultsFiles / MergeEvalPlusFiles (grade shards) or
// driver::run::MergeRunDirs (eval shards) -> what `fathom grade` / `fathom eval` print.
#include "cli/merge_command.h"

#include <filesystem>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/common.h"
#include "cli/flags.h"
#include "grader/formats/problems.h"
#include "grader/pipeline/merge.h"
#include "grader/pipeline/pass_at_k.h"
#include "grader/pipeline/summary.h"
#ifdef FATHOM_HAVE_EVAL
#include "driver/run/engine.h"
#include "driver/run/merge_runs.h"
#endif

namespace fathom::cli {
namespace {

namespace fs = std::filesystem;

constexpr char kUsage[] =
    "usage: fathom merge --problems FILE --out MERGED [--k 1,10,100] [--json]\n"
    "                    [--allow-mismatch] [--allow-incomplete] RESULTS...\n"
    "       fathom merge --out DIR [--json] [--allow-mismatch] [--allow-incomplete] RUN_DIR...\n"
    "Joins the shards of one run into one and prints what an unsharded run prints:\n"
    "- results files of `fathom grade --shard` (each with its <results>.fathom.json sidecar)\n"
    "  into MERGED, in the order an unsharded run writes them, with the sidecar, the EvalPlus\n"
    "  file when the shards wrote one, and pass@k recomputed from the per-task (n, c);\n"
    "- EvalPlus files (*.eval_results.json) into MERGED, tasks in problem order;\n"
    "- `fathom eval --shard` run directories into the run directory DIR: items, events and\n"
    "  report.json recomputed from the merged items.\n"
    "Refuses inputs whose fingerprints differ (problem file, samples, runtime, policy,\n"
    "limits, time limits, mode, fathom version: --allow-mismatch merges anyway) and inputs\n"
    "that are not one whole run (missing shards, missing, incomplete or duplicated tasks:\n"
    "--allow-incomplete merges what is there, a duplicated task from the first file).\n"
    "Exit codes: 0 merged, 1 some samples hit sandbox_error, 2 usage, unreadable input or\n"
    "a refused merge.\n";

int Usage(const std::string& message) {
  PrintError("merge", absl::StrCat(message, "\n", kUsage));
  return kExitUsage;
}

enum class Layout { kResults, kEvalPlus, kRunDir };

Layout LayoutOf(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return Layout::kRunDir;
  if (absl::EndsWith(path, ".json")) return Layout::kEvalPlus;
  return Layout::kResults;
}

void PrintNotes(const std::vector<std::string>& notes) {
  for (const std::string& n : notes) PrintError("merge", n);
}

int MergeGrade(const Flags& flags, const grader::MergeOptions& options, Layout layout) {
  if (!flags.Has("problems")) return Usage("--problems is required to merge results files");
  absl::StatusOr<grader::ProblemSet> problems = grader::LoadProblems(flags.Get("problems"));
  if (!problems.ok()) {
    PrintError("merge", std::string(problems.status().message()));
    return kExitUsage;
  }
  absl::StatusOr<grader::MergeOutcome> merged =
      layout == Layout::kEvalPlus ? grader::MergeEvalPlusFiles(*problems, options)
                                  : grader::MergeResultsFiles(*problems, options);
  if (!merged.ok()) {
    PrintError("merge", std::string(merged.status().message()));
    return kExitUsage;
  }
  PrintNotes(merged->notes);
  if (layout == Layout::kEvalPlus) {
    if (flags.GetBool("json")) {
      nlohmann::ordered_json base = nlohmann::ordered_json::object(), plus = base;
      for (const auto& [k, v] : merged->evalplus.base) base[absl::StrCat("pass@", k)] = v;
      for (const auto& [k, v] : merged->evalplus.plus) plus[absl::StrCat("pass@", k)] = v;
      nlohmann::ordered_json j = {{"pass_at_k", {{"base", base}, {"plus", plus}}},
                                  {"tasks_covered", merged->evalplus_tasks},
                                  {"tasks_total", merged->report.tasks_total},
                                  {"evalplus_results_file", merged->evalplus_path}};
      std::cout << j.dump() << "\n";
    } else {
      std::cout << grader::EvalPlusPassAtKText(merged->evalplus_name, merged->evalplus)
                << "  tasks      " << merged->evalplus_tasks << " / "
                << merged->report.tasks_total << " covered\n"
                << "evalplus:      " << merged->evalplus_path << "\n";
    }
    return kExitOk;
  }
  const grader::GradeReport& report = merged->report;
  const grader::ResultsSidecar& sidecar = merged->sidecar;
  if (flags.GetBool("json")) {
    nlohmann::ordered_json j = grader::SummaryJson(report, sidecar.info);
    if (!merged->evalplus_path.empty()) j["evalplus_results_file"] = merged->evalplus_path;
    j["runner"] = sidecar.runner;
    j["merged_from"] = sidecar.merged_from;
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (merged->have_info) {
    std::string evalplus_text;
    if (!merged->evalplus_path.empty()) {
      evalplus_text = grader::EvalPlusPassAtKText(merged->evalplus_name, merged->evalplus);
    }
    std::cout << evalplus_text << grader::SummaryText(report, sidecar.info)
              << "runner:        " << sidecar.runner << "\n";
    if (!merged->evalplus_path.empty()) {
      std::cout << "evalplus:      " << merged->evalplus_path << "\n";
    }
  } else {
    // Files from elsewhere: what they tell, no more (no limits, no runtime, no timings).
    std::cout << grader::HumanEvalPassAtKLine(report.pass_at_k) << "\n"
              << "  tasks      " << report.tasks.size() << " / " << report.tasks_total
              << " covered\n"
              << "  samples    " << report.samples << " merged\n"
              << "  results    " << report.results_path << "\n";
  }
  std::cout.flush();
  std::cerr << "fathom merge: " << options.inputs.size() << " files, " << report.samples
            << " samples of " << report.tasks.size() << " tasks -> " << report.results_path
            << "\n";
  const int64_t sandbox_errors =
      report.status_counts[static_cast<size_t>(grader::SampleStatus::kSandboxError)];
  if (sandbox_errors > 0) {
    PrintError("merge", absl::StrCat(sandbox_errors, " merged samples hit sandbox_error (not "
                                                     "counted as model failures)"));
    return kExitSandboxErrors;
  }
  return kExitOk;
}

}  // namespace

int MergeMain(int argc, char** argv) {
  Flags flags;
  flags.Value("problems", "the problem file the shards graded (results and EvalPlus files)");
  flags.Value("out", "the merged results file, EvalPlus file or run directory");
  flags.Value("k", "pass@k values (default: the shards')");
  flags.Bool("allow-mismatch", "merge even when the inputs' fingerprints differ");
  flags.Bool("allow-incomplete", "merge even with missing shards or missing/duplicated tasks");
  flags.Bool("json", "print one JSON object instead of the summary");
  flags.Bool("help", "show this help");
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) return Usage(std::string(s.message()));
  if (flags.GetBool("help")) {
    std::cout << kUsage << flags.Help();
    return kExitOk;
  }
  if (!flags.Has("out")) return Usage("--out is required");
  if (flags.positionals().empty()) return Usage("give the files or run directories to merge");
  grader::MergeOptions options;
  options.inputs = flags.positionals();
  options.out_path = flags.Get("out");
  options.allow_mismatch = flags.GetBool("allow-mismatch");
  options.allow_incomplete = flags.GetBool("allow-incomplete");
  if (flags.Has("k")) {
    absl::StatusOr<std::vector<int64_t>> ks = grader::ParseKs(flags.Get("k"));
    if (!ks.ok()) return Usage(absl::StrCat("--k: ", ks.status().message()));
    options.ks = *ks;
  }
  const Layout layout = LayoutOf(options.inputs.front());
  for (const std::string& in : options.inputs) {
    if (!fs::exists(in)) {
      PrintError("merge", absl::StrCat(in, ": not found"));
      return kExitUsage;
    }
    if (LayoutOf(in) != layout) {
      return Usage(absl::StrCat("give one kind of input: ", options.inputs.front(), " and ", in,
                                " differ (results files, EvalPlus .json files, run directories)"));
    }
  }
  if (layout != Layout::kRunDir) return MergeGrade(flags, options, layout);
#ifdef FATHOM_HAVE_EVAL
  driver::run::MergeRunsOptions ro;
  ro.inputs = options.inputs;
  ro.out_dir = options.out_path;
  ro.allow_mismatch = options.allow_mismatch;
  ro.allow_incomplete = options.allow_incomplete;
  absl::StatusOr<driver::run::MergedRun> run = driver::run::MergeRunDirs(ro);
  if (!run.ok()) {
    PrintError("merge", std::string(run.status().message()));
    return kExitUsage;
  }
  PrintNotes(run->notes);
  if (flags.GetBool("json")) {
    std::cout << run->report.dump(2) << "\n";
  } else {
    std::cout << driver::run::ReportTable(run->report, run->names);
  }
  return run->sandbox_errors > 0 ? kExitSandboxErrors : kExitOk;
#else
  return Usage("this build has no `fathom eval`: run directories cannot be merged");
#endif
}

}  // namespace fathom::cli
