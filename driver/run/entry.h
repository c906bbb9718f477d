// One benchmark's report entry (report.json) and its final_report event, computed from a
// tally of its items: the run engine tallies the items as it scores them, `fathom merge`
// tallies the merged items of a sharded run, and both build the entry through the same
// functions, so that a merged run's report equals an unsharded one's.
//
// Pure functions and a plain accumulator; a Tally is used by one thread.
#ifndef FATHOM_DRIVER_RUN_ENTRY_H_
#define FATHOM_DRIVER_RUN_ENTRY_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "driver/benchmark.h"
#include "nlohmann/json.hpp"

namespace fathom::driver::run {

// What the items of one benchmark add up to.
class Tally {
 public:
  explicit Tally(const BenchmarkInfo& info, size_t max_listed = 20)
      : info_(info), max_listed_(max_listed) {}

  // The sub-task's index (first seen: appended).
  size_t Subtask(const std::string& name);
  // The sub-tasks in report order: the benchmark's list first, then as first seen.
  std::vector<size_t> Order() const;

  // An error message of the benchmark (bad predictions, bad rows, skipped rows), in order;
  // the first max_listed are kept.
  void Error(const std::string& message);
  // A row without a prediction.
  void Missing(size_t subtask, const std::string& id, const std::string& subtask_name);

  // Adds one line of a <name>.items.jsonl (the merge's way of tallying). InvalidArgument
  // says what is wrong with it.
  absl::Status AddItemLine(const nlohmann::ordered_json& item);

  const BenchmarkInfo& info_;
  const size_t max_listed_;
  std::vector<std::string> names;
  std::vector<std::vector<double>> scores;  // per sub-task, per scored item
  // Code benchmarks: per sub-task, per scored item, (samples, passed).
  std::vector<std::vector<std::pair<int64_t, int64_t>>> code;
  std::vector<int64_t> subtask_skipped, subtask_missing;
  int64_t rows = 0, skipped = 0, missing = 0, held_out = 0;
  int64_t correct_count = 0;  // items whose every completion was correct
  int64_t sandbox_errors = 0;
  int64_t bad_predictions = 0, unused_predictions = 0;
  bool out_of_window = false;
  std::vector<std::string> errors;       // the first max_listed
  int64_t error_count = 0;
  std::vector<std::string> missing_ids;  // the first max_listed

 private:
  std::map<std::string, size_t> index_;
};

// "judge" | "code" | "external".
std::string ScoringName(Scoring scoring);

// The k of a code benchmark's pass@k: those of info.pass_at_k every item has samples for
// (`min_samples`, the fewest of any item), else 1 when every item has one.
std::vector<int64_t> CodeKs(const BenchmarkInfo& info, int64_t min_samples);

// The parts of an entry that do not come from the items.
struct EntryContext {
  std::string mode;   // "faithful" | "strict"
  std::string api;    // "chat" | "completions"
  nlohmann::ordered_json inputs;  // data, shots, predictions (files and hashes)
  std::string definition_sha256;  // the benchmark's YAML and exemplars; empty: not known
  int bootstrap = 1000;
  uint64_t seed = 0;
  std::string scorer;             // Scoring::kExternal
  nlohmann::ordered_json grader;  // Scoring::kCode: the code grader's fingerprint
  std::string inputs_sha256;
};

struct BuiltEntry {
  nlohmann::ordered_json entry;         // the benchmark's report.json entry
  nlohmann::ordered_json final_report;  // the final_report event, GPT-Fathom's keys
};

// The entry (README "Run directory") and final_report of `tally`.
BuiltEntry BuildEntry(const Tally& tally, const EntryContext& context);

}  // namespace fathom::driver::run

#endif  // FATHOM_DRIVER_RUN_ENTRY_H_
