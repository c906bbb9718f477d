// EvalPlus's results file (`fathom grade --format evalplus`): <samples>.eval_results.json
// with EvalPlus's layout, written from a finished fathom results file:
//   {"date": "%Y-%m-%d %H:%M", "hash": md5 of the problem file's (decompressed) bytes,
//    "eval": {task_id: [{"task_id", "solution", "base_status", "plus_status",
//                        "base_fail_tests", "plus_fail_tests"}, ...]},
//    "pass_at_k": {"base": {"pass@1": ...}, "plus": {...}}}
// Entries keep the samples' order within a task. Statuses are "pass", "fail", "timeout";
// fail tests are the failing inputs' argument lists, byte for byte as in the problem
// file (the first one, or all with --test-details). A sample graded in assert mode (a
// problem without inputs) gets its single verdict as both statuses and no fail tests.
// pass@k: base counts base passes, plus counts samples whose base and plus both passed;
// a k is reported when every task has at least k samples (EvalPlus's rule).
//
// Thread safety: pure functions of their inputs and files.
#ifndef FATHOM_GRADER_FORMATS_EVALPLUS_REPORT_H_
#define FATHOM_GRADER_FORMATS_EVALPLUS_REPORT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "grader/formats/extract.h"
#include "grader/formats/problems.h"

namespace fathom::grader {

// "<samples minus .jsonl/.jsonl.gz>.eval_results.json"; for a directory, DIR/eval_results.json.
std::string EvalPlusResultsPath(const std::string& samples_path);

// MD5 (hex) of a problem file's decompressed contents: EvalPlus's dataset "hash".
absl::StatusOr<std::string> ProblemFileMd5(const std::string& path);

struct EvalPlusReportOptions {
  std::string results_path;  // fathom's finished results JSONL
  std::string out_path;      // where the EvalPlus file goes
  std::string dataset_hash;  // ProblemFileMd5 of the problem file
  ExtractMode extract = ExtractMode::kNone;
  std::vector<std::string> stops = DefaultStopSequences();
  std::vector<int64_t> ks = {1, 10, 100};
  std::string date;          // empty: now, local time
};

struct EvalPlusPassAtK {
  std::vector<std::pair<int64_t, double>> base, plus;
};

// Writes the file (atomically) and returns the pass@k it holds. Errors name the file
// and line of a results record that cannot be read.
absl::StatusOr<EvalPlusPassAtK> WriteEvalPlusResults(const ProblemSet& problems,
                                                     const EvalPlusReportOptions& options);

// One entry of the file's "eval" lists: its JSON text as written, and its outcome.
struct EvalPlusEntry {
  std::string text;
  bool base_pass = false;
  bool plus_pass = false;  // base and plus both passed
};

// The file's text for `eval` (tasks in the order given, entries as they are), with the
// pass@k over them (every k of `ks` that each task has samples for) in *pass_at_k.
// WriteEvalPlusResults and `fathom merge` both write through it.
std::string EvalPlusFileText(
    const std::string& date, const std::string& dataset_hash,
    const std::vector<std::pair<std::string, std::vector<EvalPlusEntry>>>& eval,
    const std::vector<int64_t>& ks, EvalPlusPassAtK* pass_at_k);

// EvalPlus's printout: "<name> (base tests)" and "<name>+ (base + extra tests)", each
// followed by "pass@k:\t0.xxx" lines.
std::string EvalPlusPassAtKText(const std::string& dataset_name, const EvalPlusPassAtK& p);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_FORMATS_EVALPLUS_REPORT_H_
