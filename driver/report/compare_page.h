// `fathom compare A B`: how run B differs from run A, benchmark by benchmark, as one
// self-contained HTML page and its Markdown twin:
//   - per benchmark both headline values (report.json's), their difference B - A, a paired
//     bootstrap 95% CI of the difference and its p-value (paired_bootstrap.h: the items both
//     runs scored, paired by sub-task and id, stratified by sub-task, seeded);
//   - improvements and regressions, each sorted by size, and the seesaw chart (a bar per
//     benchmark, up when B is better: for lower-is-better benchmarks a fall is up);
//   - the items that flipped (right in A and wrong in B, and the reverse), with prompts and
//     both answers, in collapsible sections;
//   - the benchmarks only one run has, by name.
// Runs that differ in mode, data, few-shot files, benchmark definitions (templates) or
// prompt form are refused unless allow_mismatch; then the page says what differs.
//
// Thread safety: reads the runs' items files; otherwise pure.
#ifndef FATHOM_DRIVER_REPORT_COMPARE_PAGE_H_
#define FATHOM_DRIVER_REPORT_COMPARE_PAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "driver/report/inputs.h"
#include "driver/report/report_page.h"

namespace fathom::driver::report {

struct CompareOptions {
  int replicates = 10000;      // bootstrap resamples
  uint64_t seed = 0;
  bool allow_mismatch = false;
  size_t max_flips = 200;      // items listed per benchmark and direction (all are counted)
  std::string generator;       // footer text, e.g. "fathom 0.1.0"
};

// What differs between the runs in the ways that make a comparison unfair, one line each
// ("mode: faithful vs strict", "mmlu: data files differ (A 7cfe9baf6fa6, B 834b95a2fe98)").
std::vector<std::string> RunDifferences(const Run& a, const Run& b);

// The page. FailedPrecondition listing RunDifferences when there are any and
// !allow_mismatch; errors reading an items file name the file and line.
absl::StatusOr<Page> BuildCompare(const Run& a, const Run& b, const CompareOptions& options);

}  // namespace fathom::driver::report

#endif  // FATHOM_DRIVER_REPORT_COMPARE_PAGE_H_
