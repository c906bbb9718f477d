// `fathom prepare`: a problem set's grading setup (calibrated time limits, I/O mode's
// expected outputs; grading_plan.h) measured once, in a directory that shards of one run
// read with `fathom grade --prepared DIR`, so that N shards do not measure N times and all
// grade under the same limits, whatever machine each runs on.
//
// DIR holds the measurements as the grader caches them (time_limits.h's
// calibration-<key>.json, io_mode.h's io-expected-<key>.jsonl, read through their own
// APIs with DIR as the cache directory) and DIR/prepared.json, this manifest:
//   {"fathom_prepared": 1, "fathom_version", "problems": {"path", "sha256"},
//    "runtime", "runner", "machine", "limits", "mode",
//    "time_limits": {"calibrated", "file", "table"},
//    "expected_outputs": {"file", "tasks": [task_id, ...]},
//    "id": SHA-256 of the measurement files}
// The cache keys hold the CPU model; a shard uses the manifest's ("machine"), so its
// lookups find the prepared files on any CPU. Everything else in the keys (problem file,
// runtime, runner, limits) must match, and CheckPrepared says what does not.
//
// Thread safety: pure functions of their arguments and files.
#ifndef FATHOM_GRADER_PIPELINE_PREPARED_H_
#define FATHOM_GRADER_PIPELINE_PREPARED_H_

#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "grader/formats/problems.h"
#include "grader/pipeline/grading_plan.h"

namespace fathom::grader {

inline constexpr int kPreparedVersion = 1;

struct PreparedManifest {
  std::string fathom_version;
  std::string problems_path;
  std::string problems_sha256;
  std::string runtime;  // RuntimeContext::fingerprint
  std::string runner;   // SetupOptions::runner_name
  std::string machine;  // the CPU model measured on
  std::string limits;   // PreparedLimitsText of the grading limits
  std::string mode;     // GradeModeName
  bool calibrated = false;          // time limits measured (a calibration file)
  std::string calibration_file;     // its name in DIR ("" when not calibrated)
  std::string limit_table;          // LimitTableHash of the calibrated limits
  std::string expected_outputs_file;  // its name in DIR ("" when none)
  std::set<std::string> io_tasks;     // tasks whose expected outputs were measured
  std::set<std::string> unusable_tasks;  // ... whose canonical solution failed (assert mode)
  std::string id;                     // SHA-256 of the measurement files' bytes
};

// "DIR/prepared.json".
std::string PreparedManifestPath(const std::string& dir);

// The limits that decide the measurements: every limit but the CPU and wall time (the
// calibration and the reference runs have caps of their own).
std::string PreparedLimitsText(sandbox::Limits limits);

// The manifest of `setup` just built with `options` (cache_dir = DIR) for `problems`;
// reads the measurement files to compute the id. Internal when one is missing.
absl::StatusOr<PreparedManifest> MakePreparedManifest(const ProblemSet& problems,
                                                      const RuntimeContext& runtime,
                                                      const SetupOptions& options,
                                                      const GradingSetup& setup,
                                                      const std::string& fathom_version);

absl::Status WritePreparedManifest(const std::string& dir, const PreparedManifest& manifest);
// NotFound / InvalidArgument name the file and the field.
absl::StatusOr<PreparedManifest> ReadPreparedManifest(const std::string& dir);

// Whether a run with `options` (limits, runner, mode, auto time limits) of `problems`
// under `runtime`, grading `tasks` of which `io_tasks` in I/O mode, finds everything it
// needs in `manifest` (PrepareGrading would measure nothing). FailedPrecondition names the
// first field that differs, with both values, and what to do.
absl::Status CheckPrepared(const PreparedManifest& manifest, const std::string& dir,
                           const ProblemSet& problems, const RuntimeContext& runtime,
                           const SetupOptions& options, const std::set<std::string>& tasks,
                           const std::set<std::string>& io_tasks);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_PREPARED_H_
