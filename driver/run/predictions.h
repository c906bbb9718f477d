// Predictions files: JSONL rows {"id", "completion"} or {"id", "completions": [...]},
// plus "subtask" when ids repeat across sub-task files; the data file itself with a
// `completion` field added works too (its id then comes from the benchmark's id field or
// the line's record index, and its sub-task from the benchmark's sub-task field).
//
// The file is indexed once (key -> byte offset of its line) and each prediction is read
// back when its data row comes, so memory holds the keys, never the completions.
//
// Thread safety: ParsePredictionLine is pure; a PredictionIndex is used by one thread.
#ifndef FATHOM_DRIVER_RUN_PREDICTIONS_H_
#define FATHOM_DRIVER_RUN_PREDICTIONS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "driver/benchmark.h"

namespace fathom::driver::run {

struct Prediction {
  std::string id;
  std::string subtask;
  std::vector<std::string> completions;
  // What the model client records (driver/client/generate.cc): the shots the prompt that
  // was sent held (-1: not given, the benchmark's full count), and whether the prompt did
  // not fit the model's window even with none.
  int shots = -1;
  bool out_of_window = false;
};

// Parses one predictions line (`index`: its 0-based record index among the file's
// non-blank lines, the id when the row has neither "id" nor the benchmark's id field).
// InvalidArgument names the field ("completion: expected a string, got number"); a blank
// line is NotFound.
absl::StatusOr<Prediction> ParsePredictionLine(std::string_view line, const BenchmarkInfo& info,
                                               int64_t index);

// The key a prediction and a data row are matched on.
std::string PredictionKey(std::string_view subtask, std::string_view id);

class PredictionIndex {
 public:
  // Indexes `path`. Bad lines and duplicate keys are collected in errors() (path:line:
  // field) and left out; NotFound / PermissionDenied when the file cannot be read.
  // Gzip is not supported here (the lines are read back by offset).
  static absl::StatusOr<PredictionIndex> Open(const std::string& path,
                                              const BenchmarkInfo& info);
  PredictionIndex(PredictionIndex&&) noexcept;
  PredictionIndex& operator=(PredictionIndex&&) noexcept;
  ~PredictionIndex();

  // The prediction for (subtask, id): first by the exact key, then by id alone when the
  // prediction named no sub-task. NotFound when there is none. Each is handed out once;
  // unused() lists the keys never asked for.
  absl::StatusOr<Prediction> Take(const std::string& subtask, const std::string& id);

  const std::vector<std::string>& errors() const { return errors_; }
  int64_t size() const { return static_cast<int64_t>(offsets_.size()); }
  // Keys of predictions no data row took, in file order (at most `limit`), and how many.
  std::vector<std::string> Unused(size_t limit) const;
  int64_t unused_count() const;
  const std::string& path() const { return path_; }

 private:
  PredictionIndex() = default;
  struct Entry {
    int64_t offset = 0;
    int64_t length = 0;
    int64_t line = 0;
    int64_t index = 0;
    bool taken = false;
  };
  std::string path_;
  const BenchmarkInfo* info_ = nullptr;
  int fd_ = -1;
  std::unordered_map<std::string, Entry> offsets_;
  std::vector<std::string> order_;  // keys in file order
  std::vector<std::string> errors_;
};

}  // namespace fathom::driver::run

#endif  // FATHOM_DRIVER_RUN_PREDICTIONS_H_
