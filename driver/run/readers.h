// The run engine's readers: data rows (JSONL, headerless CSV), where a benchmark's files
// are (driver/README.md "Data layout"), and the few-shot rows of Benchmark::shots(mode).
// Rows are streamed one at a time, so memory stays flat in the size of the data.
//
// The line parsers (ParseJsonObjectLine, SplitCsvRecord, CsvRecordComplete) are pure
// functions from bytes to a value or an error, for the fuzzers.
//
// Thread safety: the free functions are thread-safe; a DataReader is used by one thread.
#ifndef FATHOM_DRIVER_RUN_READERS_H_
#define FATHOM_DRIVER_RUN_READERS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "driver/benchmark.h"
#include "grader/formats/line_reader.h"
#include "nlohmann/json.hpp"

namespace fathom::driver::run {

// One line of JSONL as an object. InvalidArgument ("not JSON: ...", "expected a JSON
// object, got an array") otherwise; a blank line is NotFound (callers skip it).
absl::StatusOr<nlohmann::json> ParseJsonObjectLine(std::string_view line);

// RFC 4180: true when `record` (one or more physical lines joined with "\n") has no
// unterminated quoted field, i.e. it is a whole record.
bool CsvRecordComplete(std::string_view record);
// The fields of one whole CSV record (RFC 4180: fields separated by ',', a field in double
// quotes may hold ',', '\n' and '""' for a quote; a trailing "\r" is dropped).
// InvalidArgument for a quote inside an unquoted field or text after a closing quote.
absl::StatusOr<std::vector<std::string>> SplitCsvRecord(std::string_view record);

// A CSV record's fields as a row object keyed by `columns`; InvalidArgument when the count
// differs ("expected 6 fields (question,A,B,C,D,answer), got 5").
absl::StatusOr<nlohmann::json> CsvFieldsToObject(const std::vector<std::string>& fields,
                                                 const std::vector<std::string>& columns);

// The id of a row object: its `id_field` (strings as they are, integers in decimal) or,
// when `id_field` is empty or the row has no such field, `index` in decimal.
// InvalidArgument names the field when it has another type.
absl::StatusOr<std::string> RowId(const nlohmann::json& fields, const std::string& id_field,
                                  int64_t index);

// One data file and the sub-task its rows belong to ("" = single-task, or the rows name
// their sub-task in BenchmarkInfo::subtask_field).
struct DataFile {
  std::string path;
  std::string subtask;
  bool csv = false;
};

// The files of `split` under `path` (driver/README.md): a file is itself (its split is
// whatever the user says it is); a directory holds `<split>.jsonl|.csv` or `<split>/`, whose
// files are one per sub-task (name minus extension minus a trailing `_<split>`), sorted
// by the benchmark's sub-task order, then by name. For the evaluated split, `test.*` is
// the fallback (the shipped sample sets name their scored file so). NotFound says what
// was looked for.
absl::StatusOr<std::vector<DataFile>> ResolveSplit(const BenchmarkInfo& info,
                                                   const std::string& path,
                                                   const std::string& split);

// For a FILE given as --data: the files of `split` beside it (the same directory).
absl::StatusOr<std::vector<DataFile>> ResolveSplitBeside(const BenchmarkInfo& info,
                                                         const std::string& file,
                                                         const std::string& split);

enum class ReadOutcome { kRow, kBadRow, kEnd, kIoError };

// Streams the rows of `files` in order. Each row gets its id (per-file 0-based index of
// the record when the benchmark has no id field), its sub-task (the file's, else the
// row's subtask_field), and source "path:line". A bad row (not JSON, bad CSV, missing id
// or sub-task field, unknown sub-task) is reported with path:line and field, and the
// stream goes on; its index still counts, so the ids of later rows stay the file's.
class DataReader {
 public:
  DataReader(const BenchmarkInfo& info, std::vector<DataFile> files)
      : info_(info), files_(std::move(files)) {}
  // `*row` filled (kRow); or `*error` says where and what (kBadRow: go on; kIoError:
  // the file cannot be read; the reader moves to the next file).
  ReadOutcome Next(Row* row, std::string* error);

 private:
  bool OpenNext(std::string* error);
  const BenchmarkInfo& info_;
  std::vector<DataFile> files_;
  size_t file_index_ = 0;
  std::unique_ptr<grader::LineReader> reader_;
  int64_t record_index_ = 0;
};

// The sub-task of a row object read from a file without one: `info.subtask_field`'s
// string value, checked against `info.subtasks` when that list is not empty.
absl::StatusOr<std::string> RowSubtask(const BenchmarkInfo& info, const nlohmann::json& fields);

// Few-shot rows, per sub-task ("" for single-task benchmarks or sources without one).
using ShotRows = std::map<std::string, std::vector<Row>>;

struct ShotOptions {
  std::string data_path;      // --data (file or directory)
  std::string shots_path;     // --shots; empty: beside the data
};

struct LoadedShots {
  ShotRows rows;
  std::vector<std::string> files;  // the files read (for the report's hashes)
};

// Reads the rows `source` names (kNone: none; kSplit: first `count` per sub-task of the
// split from --shots or beside the data; kBuiltin: none, the benchmark holds its shipped
// exemplars; kTestHead: first `count` per sub-task of the evaluated files
// `eval_files`). Any bad shot row is an error: the prompts would silently change.
absl::StatusOr<LoadedShots> LoadShots(const BenchmarkInfo& info, const ShotSource& source,
                                      const ShotOptions& options,
                                      const std::vector<DataFile>& eval_files);

// The rows to pass to BuildPrompt for a row of `subtask`: that sub-task's, else the ones
// without a sub-task.
std::span<const Row> ShotsFor(const ShotRows& shots, const std::string& subtask);

}  // namespace fathom::driver::run

#endif  // FATHOM_DRIVER_RUN_READERS_H_
