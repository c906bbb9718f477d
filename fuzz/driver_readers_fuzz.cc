// Fuzzes the eval driver's line parsers (driver/run/readers.h, predictions.h), which read
// user data and saved model completions. Invariants: nothing throws; a parsed JSONL line is
// an object that serializes (strictly: no bytes that are not UTF-8) and parses back equal;
// a CSV record that splits re-encodes (RFC 4180 quoting) to a record that splits into the
// same fields; a CSV row object serializes strictly; a row id and a prediction are either
// values or errors, and a prediction's completions serialize strictly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "driver/benchmark.h"
#include "driver/run/predictions.h"
#include "driver/run/readers.h"
#include "fuzz/fuzz_util.h"
#include "nlohmann/json.hpp"

namespace {

namespace run = fathom::driver::run;

// Throws nlohmann::json::type_error on bytes that are not UTF-8, as every writer of ours
// that does not sanitize would.
std::string StrictDump(const nlohmann::json& j) { return j.dump(); }

std::string CsvEncode(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : fields[i]) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
    out += '"';
  }
  return out;
}

void CheckJsonLine(std::string_view line) {
  absl::StatusOr<nlohmann::json> row = run::ParseJsonObjectLine(line);
  if (!row.ok()) return;
  FUZZ_CHECK(row->is_object());
  const std::string text = StrictDump(*row);
  FUZZ_CHECK(nlohmann::json::parse(text) == *row);
  // A row id is the field's value (which may be "", as a dataset may say) or the index.
  for (const std::string field : {"", "id", "task_id"}) {
    absl::StatusOr<std::string> id = run::RowId(*row, field, 7);
    if (id.ok() && !row->contains(field)) FUZZ_CHECK(*id == "7");
  }
}

void CheckCsv(std::string_view record) {
  const bool complete = run::CsvRecordComplete(record);
  absl::StatusOr<std::vector<std::string>> fields = run::SplitCsvRecord(record);
  if (!complete || !fields.ok()) return;
  absl::StatusOr<std::vector<std::string>> again = run::SplitCsvRecord(CsvEncode(*fields));
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *fields);
  const std::vector<std::string> columns = {"question", "A", "B", "C", "D", "answer"};
  absl::StatusOr<nlohmann::json> object = run::CsvFieldsToObject(*fields, columns);
  if (!object.ok()) return;
  FUZZ_CHECK(object->size() == columns.size());
  StrictDump(*object);
}

void CheckPrediction(std::string_view line) {
  fathom::driver::BenchmarkInfo info;
  info.id_field = "task_id";
  info.subtask_field = "subject";
  absl::StatusOr<run::Prediction> p = run::ParsePredictionLine(line, info, 3);
  if (!p.ok()) return;
  StrictDump(nlohmann::json(p->completions));
  StrictDump(nlohmann::json({p->id, p->subtask}));
  FUZZ_CHECK(run::PredictionKey(p->subtask, p->id) == run::PredictionKey(p->subtask, p->id));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckJsonLine(bytes);
  CheckCsv(bytes);
  CheckPrediction(bytes);
  return 0;
}
