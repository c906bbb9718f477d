// The run engine of `fathom eval`: one benchmark's data, few-shot rows and predictions
// in, its items, GPT-Fathom events and report entry out; and the run directory that
// collects the benchmarks of one model's run (report.json, events.jsonl).
//
// Run directory (DIR = --out):
//   DIR/report.json            every benchmark of the run (see README "Run directory")
//   DIR/events.jsonl           the <name>.events.jsonl of every benchmark, in report order
//   DIR/<name>.events.jsonl    GPT-Fathom's recorder log for one benchmark: a spec line,
//                              sampling / match / metrics events, a final_report line
//   DIR/<name>.items.jsonl     one line per data record, in input order
//   DIR/<name>.prompts.jsonl   --prompts-only
//   DIR/<name>.work/           code and external scoring's working files
// Every file is written atomically (temp + rename). Rerunning with the same inputs leaves
// the benchmark as it is; changed inputs replace it; another benchmark is added.
//
// Thread safety: one run at a time per directory (the CLI holds RunLock); the functions
// are called from one thread.
#ifndef FATHOM_DRIVER_RUN_ENGINE_H_
#define FATHOM_DRIVER_RUN_ENGINE_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "driver/benchmark.h"
#include "driver/run/code_grading.h"
#include "nlohmann/json.hpp"

namespace fathom::driver::run {

struct EvalOptions {
  std::string data_path;         // this benchmark's data: file or directory
  std::string shots_path;        // --shots; "" = beside the data
  std::string predictions_path;  // this benchmark's predictions file
  std::string out_dir;
  Mode mode = Mode::kFaithful;
  Api api = Api::kChat;
  int bootstrap = 1000;          // replicates; 0 = no intervals
  uint64_t seed = 0;
  std::string scorer_command;    // Scoring::kExternal; "" = not configured
  std::string command_line;      // recorded in the events' spec line
  std::string fathom_version;
  std::string registry_hash;
  CodeGrader* code_grader = nullptr;  // Scoring::kCode; not owned
  std::ostream* log = nullptr;        // errors and notes, one line each; null: std::cerr
  size_t max_errors_logged = 20;      // per benchmark; the rest are counted
};

struct BenchmarkOutcome {
  std::string name;
  nlohmann::ordered_json report;  // the benchmark's entry in report.json
  bool unchanged = false;         // inputs as last time: files left as they were
  int64_t sandbox_errors = 0;     // code samples the sandbox failed on
};

// Scores `bench` into options.out_dir (which must exist). `previous`: the benchmark's
// entry in the existing report.json, or null. Non-OK only when nothing can be scored
// (unreadable data or predictions, missing few-shot split, no scorer configured, the code
// grader unavailable): bad rows and missing predictions are reported in the entry.
absl::StatusOr<BenchmarkOutcome> EvalBenchmark(const Benchmark& bench, const EvalOptions& options,
                                               const nlohmann::ordered_json* previous);

struct PromptsOutcome {
  int64_t prompts = 0;
  int64_t skipped = 0;
  std::string path;
};

// --prompts-only: writes DIR/<name>.prompts.jsonl, one line per good row:
// {"id", "subtask", "text", "messages", "shots"}.
absl::StatusOr<PromptsOutcome> WritePrompts(const Benchmark& bench, const EvalOptions& options);

// report.json of `out_dir`: the parsed object, or an empty one when there is none.
absl::StatusOr<nlohmann::ordered_json> ReadReport(const std::string& out_dir);

// Merges `outcomes` into report.json (replacing entries of the same name; benchmarks in
// `order`, then any others by name), sets its fingerprint, and rebuilds events.jsonl.
absl::Status CommitRun(const std::string& out_dir, const nlohmann::ordered_json& fingerprint,
                       const std::vector<BenchmarkOutcome>& outcomes,
                       const std::vector<std::string>& order);

// The stdout table: benchmark, category, metric, value ± CI (x100), n, skipped, missing.
std::string ReportTable(const nlohmann::ordered_json& report, const std::vector<std::string>& names);

}  // namespace fathom::driver::run

#endif  // FATHOM_DRIVER_RUN_ENGINE_H_
