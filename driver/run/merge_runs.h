// `fathom merge` for `fathom eval --shard` run directories: each benchmark's items and
// events from every shard, put back in the whole run's item order (the "shard" object of
// each shard's report entry says where its items sit), and its report entry and
// final_report recomputed from the merged items through the engine's own functions
// (entry.h), so that the merged run directory equals an unsharded run's apart from
// timestamps and each events file's recorded command line.
//
// Refused (FailedPrecondition listing everything found, nothing written) unless allowed:
// runs whose fingerprints (fathom version, registry, mode) or a benchmark's inputs
// (data, shots and predictions hashes, mode, api, grader, bootstrap) differ
// (allow_mismatch); items missing (a shard absent, or a benchmark missing from one) or
// given twice (allow_incomplete: the first directory's copy is kept).
//
// Thread safety: one call at a time per output directory (it takes the run's lock).
#ifndef FATHOM_DRIVER_RUN_MERGE_RUNS_H_
#define FATHOM_DRIVER_RUN_MERGE_RUNS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace fathom::driver::run {

struct MergeRunsOptions {
  std::vector<std::string> inputs;  // run directories (shards of one run)
  std::string out_dir;              // the merged run directory (created)
  bool allow_mismatch = false;
  bool allow_incomplete = false;
};

struct MergedRun {
  nlohmann::ordered_json report;   // the merged report.json
  std::vector<std::string> names;  // its benchmarks, in report order
  int64_t sandbox_errors = 0;      // code samples the sandbox failed on, over all shards
  std::vector<std::string> notes;  // what was merged despite a problem, one line each
};

absl::StatusOr<MergedRun> MergeRunDirs(const MergeRunsOptions& options);

}  // namespace fathom::driver::run

#endif  // FATHOM_DRIVER_RUN_MERGE_RUNS_H_
