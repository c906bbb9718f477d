// The file-to-file grading engine (`fathom grade`): streams samples, gives each to the
// grading plan (grading_plan.h) for its program, key and limits, grades it once (in-run
// dedup + optional disk cache), runs the rest on a bounded worker pool through a
// sandbox::Runner, journals verdicts as they finish, and writes the results file in
// input order; resumes a killed run from its journal.
//
// Files, for results path R (default "<samples>_results.jsonl"):
//   R.partial  results written so far, in input order (a prefix of the final file)
//   R.journal  every finished verdict, in finishing order (see journal.h)
//   R          renamed from R.partial when the run completes; the journal is then deleted.
//   R.lock     flock'ed while the run writes (a second run on R is refused); deleted with
//              the journal.
// Resume: the same command finds R.journal (matching fingerprint) and R.partial, keeps the
// valid prefix of R.partial, takes the journal's verdicts for the rest and runs only what
// is missing. The final file equals an uninterrupted run's, timings aside (cache_hit too:
// the in-run dedup table is rebuilt from the journal).
//
// Thread safety: Grade() is called from one thread; it owns its threads and joins them.
#ifndef FATHOM_GRADER_PIPELINE_GRADE_H_
#define FATHOM_GRADER_PIPELINE_GRADE_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "grader/formats/extract.h"
#include "grader/formats/problems.h"
#include "grader/iomode/io_mode.h"
#include "grader/pipeline/grading_plan.h"
#include "grader/pipeline/pass_at_k.h"
#include "grader/pipeline/runtime_context.h"
#include "grader/pipeline/shard.h"
#include "grader/pipeline/verdict.h"
#include "sandbox/run_spec.h"
#include "sandbox/sandbox.h"

namespace fathom::grader {

struct GradeOptions {
  std::string samples_path;
  std::string out_path;  // empty: DefaultResultsPath(samples_path)
  ExtractMode extract = ExtractMode::kNone;
  std::vector<std::string> stops = DefaultStopSequences();  // for ExtractMode::kStop
  int workers = 1;                                           // concurrent runs, >= 1
  // The runtime's limits; a task's own CPU limit (calibrated, or I/O mode's) replaces
  // theirs.
  sandbox::Limits limits;
  // What the setup found (grading_plan.h's PrepareGrading): per-problem CPU limits in
  // ProblemSet order (empty: limits.cpu_time_ms everywhere) and I/O mode's expected
  // outputs (empty: assert mode everywhere). A sample runs, is keyed and deduplicated
  // under its problem's limit; the limit table and the oracles are part of the
  // journal's fingerprint (a resume under others is refused).
  GradingSetup setup;
  std::vector<int64_t> ks = {1, 10, 100};
  // I/O mode (io_mode.h): problems for which UsesIoMode(mode, problem) holds and whose
  // oracle in setup.io is usable are graded by their inputs; the rest in assert mode.
  GradeMode mode = GradeMode::kAuto;
  IoSettings io_settings;
  // I/O mode: the run's CPU limit is limits.cpu_time_ms as given (--timeout), not derived
  // from the per-input limits.
  bool io_fixed_cpu = false;
  std::string cache_dir;  // empty: no disk cache
  // Grade only the samples of the tasks this shard holds (shard.h); the other samples are
  // still read (bad input is reported by every shard) and counted, so that the results'
  // places among all samples and every task's sample count go into the report. Not
  // sharded: every sample.
  ShardSpec shard;
  // Bytes of finished verdicts the in-run dedup keeps (oldest evicted first), so that
  // memory stays flat in the number of distinct programs.
  int64_t max_dedup_bytes = int64_t{32} << 20;
  bool strict = false;    // stop at the first bad record
  bool resume = true;     // false: discard an existing journal and start over
  // Progress on `log`: a redrawn bar when `progress_tty`, else a line every
  // `progress_interval_ms`; a stall warning naming in-flight task_ids after
  // `stall_warning_ms` without a finished sample. `progress` false: none of it.
  bool progress = true;
  bool progress_tty = false;
  int64_t progress_interval_ms = 10000;
  int64_t stall_warning_ms = 20000;
  // The progress total when the caller knows it (ScanSamples' records); -1: counted here.
  int64_t total_samples = -1;
  // Non-empty: every run records its phases (phase_trace.h), written to this file as
  // one JSON object per run: {"index", "task_id", "completion_id", "status", "phases"}.
  std::string trace_phases_path;
  std::ostream* log = nullptr;       // one line per event, no command prefix; null: std::cerr
  std::ostream* terminal = nullptr;  // the bar's terminal when progress_tty; null: log
};

struct GradeReport {
  std::string results_path;
  size_t tasks_total = 0;                                // problems in the problem file
  std::vector<std::pair<std::string, TaskCount>> tasks;  // covered tasks, problem order
  int64_t samples = 0;                                   // graded samples in the results
  int64_t status_counts[static_cast<size_t>(SampleStatus::kCount)] = {};
  int64_t bad_records = 0;
  int64_t resumed = 0;      // verdicts taken from a previous run's journal/results
  int64_t ran = 0;          // sandbox runs made by this invocation
  int64_t cache_hits = 0;   // verdicts from dedup or the disk cache (this invocation)
  double elapsed_s = 0;     // this invocation
  std::vector<std::pair<int64_t, double>> pass_at_k;
  // I/O mode: samples graded by their inputs, and pass@k on the base inputs alone
  // (`pass_at_k` above counts a sample only when base and plus both passed).
  int64_t io_samples = 0;
  std::vector<std::pair<std::string, TaskCount>> base_tasks;  // covered tasks
  std::vector<std::pair<int64_t, double>> base_pass_at_k;
  // Where the results sit among all samples of the file, for `fathom merge`
  // (results_sidecar.h): "good" samples are those that passed the input checks, numbered
  // from 0 in file order; bad records have no number.
  int64_t file_samples = 0;                             // good samples in the whole file
  std::vector<std::pair<std::string, int64_t>> file_tasks;  // samples per task, problem order
  std::vector<std::pair<int64_t, int64_t>> index_runs;  // (first, count) of the results lines
  std::string samples_digest;  // SHA-256 over every good sample's task_id and fields
  bool completed = false;   // false: stopped early (--strict, unreadable input)
  std::string stop_reason;  // why, when !completed
};


// Grades every sample of options.samples_path against `problems` with `runner`.
// Non-OK: usage or setup errors before any grading (unreadable samples, unwritable
// output, journal from another configuration). Once grading started, problems are
// reported in the GradeReport (completed=false) and the journal is kept for a resume.
absl::StatusOr<GradeReport> Grade(const GradeOptions& options, const ProblemSet& problems,
                                  sandbox::Runner& runner, const RuntimeContext& runtime);

// One line of the results file (with its newline): the sample's input `fields`, then
// result, passed, status, cpu_ms, cpu_limit_ms, wall_ms, max_rss_kb, stderr_tail,
// cache_hit, syscall and syscall_name (syscall_violation only), and the I/O-mode fields.
// `fathom serve` writes the same lines for --format evalplus (service/core.cc).
std::string ResultLine(nlohmann::ordered_json fields, const Verdict& v, int64_t cpu_limit_ms);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_GRADE_H_
