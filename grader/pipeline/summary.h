// What `fathom grade` prints at the end: human-eval's pass@k line and a short table, or
// (--json) one JSON object with pass@k, per-task n and c, status counts, coverage, limits
// and the runtime fingerprint.
//
// Pure functions; thread-safe.
#ifndef FATHOM_GRADER_PIPELINE_SUMMARY_H_
#define FATHOM_GRADER_PIPELINE_SUMMARY_H_

#include <string>
#include <vector>

#include "grader/formats/problems.h"
#include "grader/pipeline/grade.h"
#include "grader/pipeline/time_limits.h"
#include "nlohmann/json.hpp"
#include "sandbox/run_spec.h"

namespace fathom::grader {

// Where and how the samples ran, for the fingerprint.
struct RunInfo {
  std::string runtime_name;          // "python"
  std::string interpreter;           // "/usr/bin/python3"
  std::string interpreter_version;   // "3.11.2"
  std::string policy_hash;
  std::vector<std::string> layers;   // active isolation layers
  std::string fathom_version;
  sandbox::Limits limits;
  TimeLimitInfo time_limit;
  int workers = 1;
  // I/O mode: "io", "assert" or "auto", and how the expected outputs were obtained
  // (e.g. "expected outputs cached"); empty io_note when no problem used I/O mode.
  std::string mode = "assert";
  std::string io_note;
  std::string io_time_limit;  // the I/O-mode rule, for the "time limit" line
};

// RunInfo::io_time_limit: the per-input rule of `settings`, and the run's CPU limit when
// it is fixed (`fixed_cpu`, --timeout) rather than derived from the inputs'.
std::string IoTimeLimitText(const IoSettings& settings, bool fixed_cpu, int64_t cpu_time_ms);

// RunInfo::io_note: how the expected outputs were obtained, and how many of
// `unusable_tasks` (tasks graded in assert mode because their canonical solution failed).
std::string IoNote(bool cached, double measure_s, size_t unusable_tasks);

// human-eval's line, then the table (tasks covered / total, samples, status counts, bad
// input, time limit, time, samples/s, results file). Ends with a newline.
std::string SummaryText(const GradeReport& report, const RunInfo& info);

// The --json object.
nlohmann::ordered_json SummaryJson(const GradeReport& report, const RunInfo& info);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_SUMMARY_H_
