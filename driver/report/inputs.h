// What `fathom report` and `fathom compare` read: a run directory of `fathom eval`
// (report.json, <benchmark>.items.jsonl, model.json) and the results files of `fathom
// grade` (human-eval's <samples>_results.jsonl, EvalPlus's eval_results.json). Values are
// taken as the files hold them; the only thing computed here is pass@k at every k, by the
// grader's own estimator (grader/pipeline/pass_at_k.h), from the per-sample verdicts.
//
// Errors name the file (and line, for JSONL) and the field: "runs/a/report.json:
// benchmarks.mmlu.value: expected a number".
//
// Thread safety: pure functions of the files they read.
#ifndef FATHOM_DRIVER_REPORT_INPUTS_H_
#define FATHOM_DRIVER_REPORT_INPUTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "grader/pipeline/pass_at_k.h"
#include "nlohmann/json.hpp"

namespace fathom::driver::report {

struct Interval {
  double value = 0;
  double low = 0;   // 95% CI
  double high = 0;
  int64_t n = 0;
};

// One benchmark's entry in report.json (driver/run/README.md), the parts the pages use.
struct BenchmarkEntry {
  std::string name;      // "mmlu"
  std::string title;     // "MMLU"
  std::string category;  // GPT-Fathom's: Knowledge, Reasoning, ...
  std::string setting;   // "5-shot", "8-shot CoT"
  std::string metric;    // "accuracy", "f1", "pass@1", "toxicity"
  std::string scoring;   // judge | code | external
  bool higher_is_better = true;
  Interval headline;
  std::string aggregation;  // "macro" | "none"
  std::vector<std::pair<std::string, Interval>> pass_at_k;  // code: as report.json holds it
  int64_t shots = 0;
  std::string mode;
  std::string api;
  std::vector<std::string> data_sha256;   // the evaluated files' hashes, in file order
  std::vector<std::string> shots_sha256;  // the few-shot files' hashes
  std::string definition_sha256;          // "" in run directories older than the field
  int64_t rows = 0, skipped = 0, missing = 0;
  bool out_of_window = false;
  int64_t bootstrap_replicates = 0;
  uint64_t bootstrap_seed = 0;
  std::string items_path;  // <run>/<items_file>
};

struct Run {
  std::string path;   // the directory as given
  std::string label;  // what the pages call it
  std::string fathom_version;
  std::string registry_hash;
  std::string mode;
  std::vector<BenchmarkEntry> benchmarks;  // in report.json's order
  const BenchmarkEntry* Find(const std::string& name) const;
};

// Reads DIR/report.json. The label is `label` when given, else DIR/model.json's "model"
// (a run made with --model), else DIR's last path component.
absl::StatusOr<Run> LoadRun(const std::string& dir, const std::string& label);

// One scored line of an items file (lines without a "score" are not items: bad rows,
// missing predictions, held-out exemplars).
struct Item {
  std::string subtask;
  std::string id;               // the id as text (a number's JSON text)
  double score = 0;             // the headline metric's per-item value
  std::optional<bool> correct;  // GPT-Fathom's match verdict (every one, when a list); none
                                // for externally scored items
  int64_t offset = 0;           // byte offset of the line, for ReadItemAt
  int64_t line = 0;             // 1-based
};

// Every scored item of an items file, in file order.
absl::StatusOr<std::vector<Item>> ReadItems(const std::string& path);

// The whole JSON line at `offset` (as ReadItems found it).
absl::StatusOr<nlohmann::ordered_json> ReadItemAt(const std::string& path, int64_t offset);

// One model's code results on one problem set: the panels' data.
struct CodeSeries {
  std::string panel;   // the panel it belongs to: a benchmark's title ("HumanEval"), or for a
                       // results file its task ids' prefix ("HumanEval" from "HumanEval/0")
  std::string model;   // the run's label, or the results file's
  std::string label;   // `model`, with " (base tests)" / " (base + extra tests)" for
                       // EvalPlus's two scores
  std::string source;  // the file the verdicts came from
  std::vector<grader::TaskCount> tasks;                  // in first-seen order
  std::vector<std::pair<std::string, int64_t>> statuses;  // exact status -> samples, first seen
  // pass@k for k = 1 .. the smallest n: grader::MeanPassAtK, what `fathom grade` prints.
  std::vector<std::pair<int64_t, double>> curve;
};

// A code benchmark of a run, from its items file ("passed" and "status" per sample).
absl::StatusOr<CodeSeries> LoadRunCodeSeries(const Run& run, const BenchmarkEntry& entry);

// `fathom grade` output: a results JSONL (human-eval's layout: task_id, passed, result,
// and fathom's status when present) gives one series; EvalPlus's eval_results.json (a file,
// or a directory holding it) gives two, base and base + extra. `label` "" = the file's name
// without "_results.jsonl" / ".eval_results.json" (the directory's name for
// DIR/eval_results.json).
absl::StatusOr<std::vector<CodeSeries>> LoadGradeResults(const std::string& path,
                                                         const std::string& label);

// True when `path` is a run directory (holds report.json).
bool IsRunDirectory(const std::string& path);

// The status buckets of the status-mix chart, in display order: passed, failed (failed,
// error, compile_error), timeout, memory (memory_limit), violation (syscall_violation),
// other (output_limit, sandbox_error, anything else). EvalPlus's pass / fail / timeout
// and human-eval's "timed out" map to their namesakes.
const std::vector<std::string>& StatusBuckets();
size_t StatusBucket(const std::string& status);

}  // namespace fathom::driver::report

#endif  // FATHOM_DRIVER_REPORT_INPUTS_H_
