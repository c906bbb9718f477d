// `fathom report` / `fathom compare`: flags -> driver::report -> OUT.html and OUT.md.
#include "cli/report_command.h"

#include <filesystem>
#include <iostream>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/common.h"
#include "cli/flags.h"
#include "driver/report/compare_page.h"
#include "driver/report/report_page.h"
#include "driver/run/run_dir.h"

namespace fathom::cli {
namespace {

namespace fs = std::filesystem;
namespace rp = driver::report;

constexpr char kReportUsage[] =
    "usage: fathom report RUN|RESULTS... [--out FILE.html] [--md FILE.md] [--labels A,B,...]\n"
    "                     [--title TEXT]\n"
    "Draws runs of `fathom eval` (run directories holding report.json) and results of\n"
    "`fathom grade` (<samples>_results.jsonl, EvalPlus's eval_results.json) as one\n"
    "self-contained HTML page (no script, nothing fetched: inline CSS and SVG) and its\n"
    "Markdown twin: the benchmark x model table by capability category with 95% CIs and the\n"
    "best per row marked, radar charts over the categories, and for code benchmarks pass@k\n"
    "for k = 1..n and the status mix per model. Every number comes from the runs' files.\n"
    "--out defaults to report.html; the Markdown goes beside it (report.md) unless --md.\n"
    "--labels names the inputs in order (default: the run's model.json model, else the\n"
    "directory's or file's name).\n"
    "Exit codes: 0 written, 2 usage or unreadable input.\n";

constexpr char kCompareUsage[] =
    "usage: fathom compare A B [--out FILE.html] [--md FILE.md] [--labels A,B]\n"
    "                      [--allow-mismatch] [--bootstrap N] [--seed N] [--max-flips N]\n"
    "Compares two runs of `fathom eval`: per benchmark A, B, the difference B - A with a\n"
    "paired bootstrap 95% CI (items paired by sub-task and id, N resamples, default 10000,\n"
    "seeded) and its p-value; improvements and regressions sorted; the seesaw chart; the\n"
    "items that flipped, with prompts and both answers; benchmarks only one run has.\n"
    "Runs that differ in mode, data, few-shot files, benchmark definitions (templates) or\n"
    "prompt form are refused unless --allow-mismatch (then the page says what differs).\n"
    "--out defaults to compare.html; the Markdown goes beside it unless --md.\n"
    "--max-flips N: items listed per benchmark and direction (default 200; all are counted).\n"
    "Exit codes: 0 written, 2 usage, unreadable input, or runs not comparable.\n";

int Usage(const std::string& cmd, const std::string& message, const char* usage) {
  PrintError(cmd, absl::StrCat(message, "\n", usage));
  return kExitUsage;
}

std::string MarkdownPath(const Flags& flags, const std::string& html) {
  if (flags.Has("md")) return flags.Get("md");
  fs::path p(html);
  if (p.extension() == ".html" || p.extension() == ".htm") return p.replace_extension(".md").string();
  return html + ".md";
}

std::vector<std::string> Labels(const Flags& flags) {
  std::vector<std::string> out;
  if (!flags.Has("labels")) return out;
  for (absl::string_view l : absl::StrSplit(flags.Get("labels"), ',')) out.emplace_back(l);
  return out;
}

// Writes both files (each atomically) and says where they are.
int Write(const std::string& cmd, const rp::Page& page, const std::string& html_path,
          const std::string& md_path) {
  for (const auto& [path, text] : {std::pair<std::string, const std::string*>{html_path, &page.html},
                                   {md_path, &page.markdown}}) {
    if (absl::Status s = driver::run::WriteFileAtomic(path, *text); !s.ok()) {
      PrintError(cmd, std::string(s.message()));
      return kExitUsage;
    }
  }
  std::cout << html_path << " (" << page.html.size() << " bytes)\n"
            << md_path << " (" << page.markdown.size() << " bytes)\n";
  return kExitOk;
}

// Declares the flags both commands have (besides `flags`' own) and parses argv. Returns
// the exit code when the command is done (a usage error, or --help printed), else nullopt.
std::optional<int> ParseFlags(Flags& flags, const std::string& cmd, const char* usage,
                              const std::string& default_out, int argc, char** argv) {
  flags.Value("out", absl::StrCat("the HTML page (default ", default_out, ")"));
  flags.Value("md", "the Markdown twin (default: beside --out, .md)");
  flags.Value("labels", "names for the inputs, comma-separated, in order");
  flags.Bool("help", "show this help");
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) {
    return Usage(cmd, std::string(s.message()), usage);
  }
  if (flags.GetBool("help")) {
    std::cout << usage << flags.Help();
    return kExitOk;
  }
  return std::nullopt;
}

}  // namespace

int ReportMain(int argc, char** argv) {
  Flags flags;
  flags.Value("title", "the page's heading (default \"Evaluation report\")");
  if (std::optional<int> rc = ParseFlags(flags, "report", kReportUsage, "report.html", argc, argv)) {
    return *rc;
  }
  if (flags.positionals().empty()) {
    return Usage("report", "give at least one run directory or results file", kReportUsage);
  }
  const std::vector<std::string> labels = Labels(flags);
  if (labels.size() > flags.positionals().size()) {
    return Usage("report", absl::StrCat("--labels: ", labels.size(), " labels for ",
                                        flags.positionals().size(), " inputs"),
                 kReportUsage);
  }
  absl::StatusOr<rp::ReportData> data = rp::LoadReportData(flags.positionals(), labels);
  if (!data.ok()) {
    PrintError("report", std::string(data.status().message()));
    return kExitUsage;
  }
  const rp::Page page = rp::BuildReport(*data, flags.Get("title", "Evaluation report"),
                                        absl::StrCat("Generated by fathom ", kFathomVersion));
  const std::string out = flags.Get("out", "report.html");
  return Write("report", page, out, MarkdownPath(flags, out));
}

int CompareMain(int argc, char** argv) {
  Flags flags;
  flags.Bool("allow-mismatch", "compare runs made differently (mode, data, templates), saying so");
  flags.Value("bootstrap", "paired bootstrap resamples (default 10000)");
  flags.Value("seed", "bootstrap seed (default 0)");
  flags.Value("max-flips", "flipped items listed per benchmark and direction (default 200)");
  if (std::optional<int> rc = ParseFlags(flags, "compare", kCompareUsage, "compare.html", argc, argv)) {
    return *rc;
  }
  if (flags.positionals().size() != 2) {
    return Usage("compare", "give two run directories, A and B", kCompareUsage);
  }
  rp::CompareOptions o;
  o.allow_mismatch = flags.GetBool("allow-mismatch");
  if (flags.Has("bootstrap") && (!absl::SimpleAtoi(flags.Get("bootstrap"), &o.replicates) ||
                                 o.replicates < 0 || o.replicates > 1000000)) {
    return Usage("compare", "--bootstrap: expected an integer in [0, 1000000]", kCompareUsage);
  }
  if (flags.Has("seed") && !absl::SimpleAtoi(flags.Get("seed"), &o.seed)) {
    return Usage("compare", "--seed: expected a non-negative integer", kCompareUsage);
  }
  if (flags.Has("max-flips") && !absl::SimpleAtoi(flags.Get("max-flips"), &o.max_flips)) {
    return Usage("compare", "--max-flips: expected a non-negative integer", kCompareUsage);
  }
  o.generator = absl::StrCat("Generated by fathom ", kFathomVersion);
  const std::vector<std::string> labels = Labels(flags);
  if (labels.size() > 2) return Usage("compare", "--labels: at most two labels", kCompareUsage);
  std::vector<rp::Run> runs;
  for (size_t i = 0; i < 2; ++i) {
    const std::string& path = flags.positionals()[i];
    absl::StatusOr<rp::Run> run = rp::LoadRun(path, i < labels.size() ? labels[i] : "");
    if (!run.ok()) {
      PrintError("compare", std::string(run.status().message()));
      return kExitUsage;
    }
    runs.push_back(*std::move(run));
  }
  if (runs[0].label == runs[1].label) {
    runs[0].label += " (A)";
    runs[1].label += " (B)";
  }
  absl::StatusOr<rp::Page> page = rp::BuildCompare(runs[0], runs[1], o);
  if (!page.ok()) {
    PrintError("compare", std::string(page.status().message()));
    return kExitUsage;
  }
  const std::string out = flags.Get("out", "compare.html");
  return Write("compare", *page, out, MarkdownPath(flags, out));
}

}  // namespace fathom::cli
