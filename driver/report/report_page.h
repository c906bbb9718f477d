// `fathom report`: runs of `fathom eval` (and results files of `fathom grade`) as one
// self-contained HTML page and its Markdown twin:
//   1. the benchmark x model table, grouped by GPT-Fathom's capability categories: each
//      cell the headline value with its 95% CI (report.json's), the best per row marked,
//      the setting (shots, CoT) and metric per benchmark;
//   2. a radar chart over the categories, all models overlaid and one per model, with the
//      per-category means as a table;
//   3. per code benchmark (and per problem set of the results files): pass@k for k = 1..n
//      per model (grader::MeanPassAtK, what `fathom grade` prints) and the status mix;
//   4. notes: runs whose modes, data or benchmark definitions differ, skipped and missing
//      rows, prompts cut to fewer shots.
// Numbers are shown x100 with one decimal.
//
// Thread safety: LoadReportData reads files; BuildReport is a pure function.
#ifndef FATHOM_DRIVER_REPORT_REPORT_PAGE_H_
#define FATHOM_DRIVER_REPORT_REPORT_PAGE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "driver/report/inputs.h"

namespace fathom::driver::report {

struct ReportData {
  std::vector<Run> runs;
  std::vector<CodeSeries> code;  // runs' code benchmarks and results files, in input order
};

// Each path is a run directory (report.json) or a `fathom grade` results file (or a
// directory holding eval_results.json). labels[i], when given and not "", names input i.
// Labels are made unique ("name (2)"). Errors name the file and field.
absl::StatusOr<ReportData> LoadReportData(const std::vector<std::string>& paths,
                                          const std::vector<std::string>& labels);

struct Page {
  std::string html;
  std::string markdown;
};

// `title` heads both documents; `generator` (e.g. "fathom 0.1.0") goes in the footer.
Page BuildReport(const ReportData& data, const std::string& title, const std::string& generator);

}  // namespace fathom::driver::report

#endif  // FATHOM_DRIVER_REPORT_REPORT_PAGE_H_
