// Data rows, data layout and few-shot rows for `fathom eval` (see readers.h).
#include "driver/run/readers.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grader/formats/utf8.h"

namespace fathom::driver::run {
namespace {

namespace fs = std::filesystem;

bool IsBlank(std::string_view line) {
  return std::all_of(line.begin(), line.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

const char* JsonTypeName(const nlohmann::json& j) { return j.type_name(); }

bool IsFile(const std::string& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}
bool IsDir(const std::string& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

// "abstract_algebra_test.csv" in split "test" -> "abstract_algebra".
std::string SubtaskFromFileName(const fs::path& file, const std::string& split) {
  std::string stem = file.filename().string();
  for (const char* ext : {".jsonl.gz", ".jsonl", ".csv"}) {
    if (absl::EndsWith(stem, ext)) {
      stem.resize(stem.size() - std::string_view(ext).size());
      break;
    }
  }
  const std::string suffix = "_" + split;
  if (!split.empty() && absl::EndsWith(stem, suffix) && stem.size() > suffix.size()) {
    stem.resize(stem.size() - suffix.size());
  }
  return stem;
}

bool IsDataFileName(const std::string& name) {
  return absl::EndsWith(name, ".jsonl") || absl::EndsWith(name, ".jsonl.gz") ||
         absl::EndsWith(name, ".csv");
}

bool IsCsvName(const std::string& name) { return absl::EndsWith(name, ".csv"); }

// Files of a sub-task directory, in the benchmark's sub-task order then by name.
absl::StatusOr<std::vector<DataFile>> SubtaskFiles(const BenchmarkInfo& info,
                                                   const std::string& dir,
                                                   const std::string& split) {
  std::vector<DataFile> files;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file() || !IsDataFileName(name)) continue;
    files.push_back({e.path().string(), SubtaskFromFileName(e.path(), split), IsCsvName(name)});
  }
  if (ec) return absl::NotFoundError(absl::StrCat(dir, ": ", ec.message()));
  if (files.empty()) {
    return absl::NotFoundError(absl::StrCat(dir, ": no .jsonl or .csv files"));
  }
  auto rank = [&](const DataFile& f) {
    auto it = std::find(info.subtasks.begin(), info.subtasks.end(), f.subtask);
    return it - info.subtasks.begin();
  };
  std::sort(files.begin(), files.end(), [&](const DataFile& a, const DataFile& b) {
    auto ra = rank(a), rb = rank(b);
    if (ra != rb) return ra < rb;
    return a.path < b.path;
  });
  if (!info.subtasks.empty()) {
    for (const DataFile& f : files) {
      if (rank(f) == static_cast<ptrdiff_t>(info.subtasks.size())) {
        return absl::InvalidArgumentError(
            absl::StrCat(f.path, ": unknown ", info.name, " sub-task '", f.subtask, "'"));
      }
    }
  }
  return files;
}

}  // namespace

absl::StatusOr<nlohmann::json> ParseJsonObjectLine(std::string_view line) {
  if (IsBlank(line)) return absl::NotFoundError("blank line");
  nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
  if (j.is_discarded()) return absl::InvalidArgumentError("not JSON");
  if (!j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a JSON object, got ", JsonTypeName(j)));
  }
  return j;
}

bool CsvRecordComplete(std::string_view record) {
  // Quotes toggle the quoted state; "" inside quotes toggles twice, which is the same.
  bool quoted = false;
  for (char c : record) {
    if (c == '"') quoted = !quoted;
  }
  return !quoted;
}

absl::StatusOr<std::vector<std::string>> SplitCsvRecord(std::string_view record) {
  if (!record.empty() && record.back() == '\r') record.remove_suffix(1);
  std::vector<std::string> fields;
  std::string field;
  size_t i = 0;
  const size_t n = record.size();
  while (true) {
    field.clear();
    if (i < n && record[i] == '"') {
      ++i;
      bool closed = false;
      while (i < n) {
        if (record[i] == '"') {
          if (i + 1 < n && record[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        field.push_back(record[i++]);
      }
      if (!closed) {
        return absl::InvalidArgumentError(
            absl::StrCat("field ", fields.size() + 1, ": unterminated quoted field"));
      }
      if (i < n && record[i] != ',') {
        return absl::InvalidArgumentError(
            absl::StrCat("field ", fields.size() + 1, ": text after a closing quote"));
      }
    } else {
      while (i < n && record[i] != ',') {
        if (record[i] == '"') {
          return absl::InvalidArgumentError(
              absl::StrCat("field ", fields.size() + 1, ": a quote inside an unquoted field"));
        }
        field.push_back(record[i++]);
      }
    }
    fields.push_back(field);
    if (i >= n) break;
    ++i;  // the comma
  }
  return fields;
}

absl::StatusOr<nlohmann::json> CsvFieldsToObject(const std::vector<std::string>& fields,
                                                 const std::vector<std::string>& columns) {
  if (fields.size() != columns.size()) {
    return absl::InvalidArgumentError(absl::StrCat("expected ", columns.size(), " fields (",
                                                   absl::StrJoin(columns, ","), "), got ",
                                                   fields.size()));
  }
  nlohmann::json j = nlohmann::json::object();
  for (size_t i = 0; i < fields.size(); ++i) {
    // JSONL rows are UTF-8 by the JSON parser's check; CSV bytes are not checked by
    // anyone else, and a field reaches prompts, items.jsonl and the report.
    if (!grader::IsValidUtf8(fields[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(columns[i], ": not valid UTF-8 (", grader::SanitizeUtf8(fields[i]), ")"));
    }
    j[columns[i]] = fields[i];
  }
  return j;
}

absl::StatusOr<std::string> RowId(const nlohmann::json& fields, const std::string& id_field,
                                  int64_t index) {
  if (id_field.empty()) return absl::StrCat(index);
  auto it = fields.find(id_field);
  if (it == fields.end()) return absl::StrCat(index);
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return it->dump();
  return absl::InvalidArgumentError(
      absl::StrCat(id_field, ": expected a string or an integer, got ", JsonTypeName(*it)));
}

absl::StatusOr<std::string> RowSubtask(const BenchmarkInfo& info, const nlohmann::json& fields) {
  const std::string& f = info.subtask_field;
  auto it = fields.find(f);
  if (it == fields.end()) return absl::InvalidArgumentError(absl::StrCat(f, ": missing"));
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(f, ": expected a string, got ", JsonTypeName(*it)));
  }
  std::string s = it->get<std::string>();
  if (!info.subtasks.empty() &&
      std::find(info.subtasks.begin(), info.subtasks.end(), s) == info.subtasks.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(f, ": unknown ", info.name, " sub-task '", s, "'"));
  }
  return s;
}

absl::StatusOr<std::vector<DataFile>> ResolveSplit(const BenchmarkInfo& info,
                                                   const std::string& path,
                                                   const std::string& split) {
  if (IsFile(path)) return std::vector<DataFile>{{path, "", IsCsvName(path)}};
  if (!IsDir(path)) return absl::NotFoundError(absl::StrCat(path, ": no such file or directory"));
  std::vector<std::string> tried;
  for (const char* ext : {".jsonl", ".jsonl.gz", ".csv"}) {
    std::string f = (fs::path(path) / (split + ext)).string();
    if (IsFile(f)) return std::vector<DataFile>{{f, "", IsCsvName(f)}};
    tried.push_back(f);
  }
  std::string sub = (fs::path(path) / split).string();
  if (IsDir(sub)) {
    if (info.subtask_field.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(sub, ": ", info.name, " has no sub-tasks; give one file"));
    }
    return SubtaskFiles(info, sub, split);
  }
  tried.push_back(sub + "/");
  // The shipped sample sets name their scored file test.jsonl whatever the split.
  if (split != "test" && split == info.eval_split) {
    absl::StatusOr<std::vector<DataFile>> test = ResolveSplit(info, path, "test");
    if (test.ok()) return test;
  }
  return absl::NotFoundError(absl::StrCat(info.name, ": no ", split, " split: looked for ",
                                          absl::StrJoin(tried, ", ")));
}

absl::StatusOr<std::vector<DataFile>> ResolveSplitBeside(const BenchmarkInfo& info,
                                                         const std::string& file,
                                                         const std::string& split) {
  fs::path dir = fs::path(file).parent_path();
  if (dir.empty()) dir = ".";
  return ResolveSplit(info, dir.string(), split);
}

bool DataReader::OpenNext(std::string* error) {
  reader_.reset();
  if (file_index_ >= files_.size()) return false;
  absl::StatusOr<grader::LineReader> r = grader::LineReader::Open(files_[file_index_].path);
  record_index_ = 0;
  if (!r.ok()) {
    *error = std::string(r.status().message());
    ++file_index_;
    return false;
  }
  reader_ = std::make_unique<grader::LineReader>(std::move(*r));
  return true;
}

ReadOutcome DataReader::Next(Row* row, std::string* error) {
  while (true) {
    if (reader_ == nullptr) {
      if (file_index_ >= files_.size()) return ReadOutcome::kEnd;
      if (!OpenNext(error)) return ReadOutcome::kIoError;
    }
    const DataFile& file = files_[file_index_];
    std::string line;
    int64_t line_number = 0;
    if (!reader_->Next(&line, &line_number)) {
      absl::Status s = reader_->status();
      reader_.reset();
      ++file_index_;
      if (!s.ok()) {
        *error = absl::StrCat(file.path, ": ", s.message());
        return ReadOutcome::kIoError;
      }
      continue;
    }
    std::string where = absl::StrCat(file.path, ":", line_number);
    absl::StatusOr<nlohmann::json> fields;
    if (file.csv) {
      if (IsBlank(line)) continue;
      // A quoted field may span lines: read on until the record is whole.
      std::string record = line;
      std::string more;
      int64_t more_line = 0;
      while (!CsvRecordComplete(record) && reader_->Next(&more, &more_line)) {
        record += "\n";
        record += more;
      }
      absl::StatusOr<std::vector<std::string>> parts = SplitCsvRecord(record);
      if (!parts.ok()) {
        fields = parts.status();
      } else {
        fields = CsvFieldsToObject(*parts, info_.csv_columns);
      }
      if (info_.csv_columns.empty()) {
        fields = absl::InvalidArgumentError(absl::StrCat(info_.name, " has no CSV form"));
      }
    } else {
      fields = ParseJsonObjectLine(line);
      if (absl::IsNotFound(fields.status())) continue;  // blank line
    }
    const int64_t index = record_index_++;
    if (!fields.ok()) {
      *error = absl::StrCat(where, ": ", fields.status().message());
      return ReadOutcome::kBadRow;
    }
    absl::StatusOr<std::string> id = RowId(*fields, info_.id_field, index);
    if (!id.ok()) {
      *error = absl::StrCat(where, ": ", id.status().message());
      return ReadOutcome::kBadRow;
    }
    std::string subtask = grader::SanitizeUtf8(file.subtask);  // a file name: any bytes
    if (subtask.empty() && !info_.subtask_field.empty()) {
      absl::StatusOr<std::string> s = RowSubtask(info_, *fields);
      if (!s.ok()) {
        *error = absl::StrCat(where, ": ", s.status().message());
        return ReadOutcome::kBadRow;
      }
      subtask = *s;
    }
    row->id = std::move(*id);
    row->subtask = std::move(subtask);
    row->fields = std::move(*fields);
    row->source = std::move(where);
    return ReadOutcome::kRow;
  }
}

absl::StatusOr<LoadedShots> LoadShots(const BenchmarkInfo& info, const ShotSource& source,
                                      const ShotOptions& options,
                                      const std::vector<DataFile>& eval_files) {
  LoadedShots out;
  if (source.kind == ShotSource::Kind::kNone || source.count <= 0) return out;
  std::vector<DataFile> files;
  switch (source.kind) {
    case ShotSource::Kind::kNone:
      return out;
    case ShotSource::Kind::kTestHead:
      files = eval_files;
      break;
    case ShotSource::Kind::kBuiltin:
      // Shipped with the registry (built into the binary): the benchmark holds them.
      return out;
    case ShotSource::Kind::kSplit: {
      absl::StatusOr<std::vector<DataFile>> f;
      if (!options.shots_path.empty()) {
        f = ResolveSplit(info, options.shots_path, source.split);
      } else if (IsDir(options.data_path)) {
        f = ResolveSplit(info, options.data_path, source.split);
      } else {
        f = ResolveSplitBeside(info, options.data_path, source.split);
      }
      if (!f.ok()) {
        return absl::NotFoundError(absl::StrCat(
            info.name, " needs ", source.count, " few-shot rows from its '", source.split,
            "' split (--shots FILE, or beside the data): ", f.status().message()));
      }
      files = *f;
      break;
    }
  }
  for (const DataFile& f : files) {
    if (source.kind != ShotSource::Kind::kTestHead) out.files.push_back(f.path);
  }
  DataReader reader(info, files);
  Row row;
  std::string error;
  while (true) {
    ReadOutcome o = reader.Next(&row, &error);
    if (o == ReadOutcome::kEnd) break;
    if (o == ReadOutcome::kBadRow && source.kind == ShotSource::Kind::kTestHead) {
      continue;  // the evaluated rows report their own errors
    }
    if (o != ReadOutcome::kRow) {
      return absl::InvalidArgumentError(absl::StrCat("few-shot rows: ", error));
    }
    std::vector<Row>& v = out.rows[row.subtask];
    if (static_cast<int>(v.size()) < source.count) v.push_back(row);
  }
  return out;
}

std::span<const Row> ShotsFor(const ShotRows& shots, const std::string& subtask) {
  auto it = shots.find(subtask);
  if (it == shots.end()) it = shots.find("");
  if (it == shots.end()) return {};
  return it->second;
}

}  // namespace fathom::driver::run
