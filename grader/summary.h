// What `fathom grade` prints at the end: human-eval's pass@k line and a short table, or
// (--json) one JSON object with pass@k, per-task n and c, status counts, coverage, limits
// and the runtime fingerprint.
//
// Pure functions; thread-safe.
#ifndef FATHOM_GRADER_SUMMARY_H_
#define FATHOM_GRADER_SUMMARY_H_

#include <string>
#include <vector>

#include "grader/grade.h"
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
  int workers = 1;
};

// human-eval's line, then the table (tasks covered / total, samples, status counts, bad
// input, time, samples/s, results file). Ends with a newline.
std::string SummaryText(const GradeReport& report);

// The --json object.
nlohmann::ordered_json SummaryJson(const GradeReport& report, const RunInfo& info);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_SUMMARY_H_
