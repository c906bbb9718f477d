// Sample readers for the three layouts, and the cross-record checks.
#include "grader/formats/samples.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "grader/formats/line_reader.h"
#include "grader/formats/sha256.h"
#include "grader/formats/utf8.h"

namespace fathom::grader {
namespace {

namespace fs = std::filesystem;

class JsonlSource final : public SampleSource {
 public:
  explicit JsonlSource(LineReader reader) : reader_(std::move(reader)) {}
  bool streamed() const override { return true; }

  ReadOutcome Next(Sample* sample, std::string* error) override {
    std::string line;
    int64_t line_number = 0;
    while (reader_.Next(&line, &line_number)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      std::string where = absl::StrCat(reader_.path(), ":", line_number);
      nlohmann::ordered_json record =
          nlohmann::ordered_json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (record.is_discarded()) {
        *error = absl::StrCat(where, ": malformed JSON");
        return ReadOutcome::kBadRecord;
      }
      absl::StatusOr<Sample> s = ParseSampleRecord(std::move(record), where);
      if (!s.ok()) {
        *error = std::string(s.status().message());
        return ReadOutcome::kBadRecord;
      }
      *sample = *std::move(s);
      return ReadOutcome::kSample;
    }
    if (!reader_.status().ok()) {
      *error = std::string(reader_.status().message());
      return ReadOutcome::kIoError;
    }
    return ReadOutcome::kEnd;
  }

 private:
  LineReader reader_;
};

// Samples held in memory, already parsed (bigcode) or listed (EvalPlus folders).
class ListedSource final : public SampleSource {
 public:
  struct Item {
    bool bad = false;
    std::string error;
    Sample sample;
    std::string file;  // EvalPlus layout: read lazily, so memory stays flat
  };
  explicit ListedSource(std::vector<Item> items) : items_(std::move(items)) {}

  ReadOutcome Next(Sample* sample, std::string* error) override {
    if (next_ >= items_.size()) return ReadOutcome::kEnd;
    Item item = std::move(items_[next_++]);
    if (item.bad) {
      *error = item.error;
      return ReadOutcome::kBadRecord;
    }
    if (!item.file.empty()) {
      std::ifstream in(item.file, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      if (!in.good() && !in.eof()) {
        *error = absl::StrCat(item.file, ": cannot read");
        return ReadOutcome::kBadRecord;
      }
      item.sample.code = text.str();
      // The program runs the file's exact bytes; the results record (JSON) gets text.
      item.sample.fields["solution"] = SanitizeUtf8(item.sample.code);
    }
    *sample = std::move(item.sample);
    return ReadOutcome::kSample;
  }

 private:
  std::vector<Item> items_;
  size_t next_ = 0;
};

absl::StatusOr<std::unique_ptr<SampleSource>> OpenBigcode(const std::string& path,
                                                          const ProblemSet* problems) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  nlohmann::json doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": malformed JSON (expected a list of lists of strings)"));
  }
  if (problems == nullptr || doc.size() > problems->problems.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": ", doc.size(), " lists of samples but the problem file has ",
        problems == nullptr ? 0 : problems->problems.size(), " problems"));
  }
  std::vector<ListedSource::Item> items;
  for (size_t i = 0; i < doc.size(); ++i) {
    const std::string& task_id = problems->problems[i].task_id;
    std::string where_list = absl::StrCat(path, ": list ", i, " (", task_id, ")");
    if (!doc[i].is_array()) {
      ListedSource::Item item;
      item.bad = true;
      item.error = absl::StrCat(where_list, ": expected a list, got ", doc[i].type_name());
      items.push_back(std::move(item));
      continue;
    }
    for (size_t j = 0; j < doc[i].size(); ++j) {
      ListedSource::Item item;
      const nlohmann::json& v = doc[i][j];
      std::string where = absl::StrCat(where_list, " item ", j);
      if (!v.is_string()) {
        item.bad = true;
        item.error = absl::StrCat(where, ": expected a string, got ", v.type_name());
      } else {
        Sample& s = item.sample;
        s.where = where;
        s.task_id = task_id;
        s.code = v.get<std::string>();
        s.is_solution = true;
        s.has_completion_id = true;
        s.completion_id = std::to_string(j);
        s.fields["task_id"] = task_id;
        s.fields["completion_id"] = j;
        s.fields["solution"] = s.code;
      }
      items.push_back(std::move(item));
    }
  }
  return std::make_unique<ListedSource>(std::move(items));
}

absl::StatusOr<std::unique_ptr<SampleSource>> OpenEvalPlusDir(const std::string& dir,
                                                              const ProblemSet* problems) {
  if (problems == nullptr) return absl::InvalidArgumentError("no problem set");
  std::vector<ListedSource::Item> items;
  std::error_code ec;
  std::set<std::string> known;
  for (const Problem& p : problems->problems) {
    std::string name = absl::StrReplaceAll(p.task_id, {{"/", "_"}});
    known.insert(name);
    fs::path task_dir = fs::path(dir) / name;
    if (!fs::is_directory(task_dir, ec)) continue;
    // <n>.py in numeric order; other files are reported.
    std::vector<std::pair<int64_t, std::string>> files;
    for (const auto& entry : fs::directory_iterator(task_dir, ec)) {
      std::string file = entry.path().filename().string();
      int64_t n = 0;
      if (file.size() > 3 && file.ends_with(".py") &&
          absl::SimpleAtoi(file.substr(0, file.size() - 3), &n) && n >= 0) {
        files.emplace_back(n, entry.path().string());
      } else {
        ListedSource::Item item;
        item.bad = true;
        item.error = absl::StrCat(entry.path().string(),
                                  ": not a sample file (expected <n>.py)");
        items.push_back(std::move(item));
      }
    }
    std::sort(files.begin(), files.end());
    for (auto& [n, file] : files) {
      ListedSource::Item item;
      item.file = file;
      Sample& s = item.sample;
      s.where = file;
      s.task_id = p.task_id;
      s.is_solution = true;
      s.has_completion_id = true;
      s.completion_id = std::to_string(n);
      s.fields["task_id"] = p.task_id;
      s.fields["completion_id"] = n;
      items.push_back(std::move(item));
    }
  }
  if (ec) return absl::InternalError(absl::StrCat(dir, ": ", ec.message()));
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (known.count(name) == 0) {
      ListedSource::Item item;
      item.bad = true;
      item.error = absl::StrCat(entry.path().string(), ": unknown task (no task_id ",
                                name, " with '/' as '_' in the problem file)");
      items.push_back(std::move(item));
    }
  }
  return std::make_unique<ListedSource>(std::move(items));
}

}  // namespace

absl::StatusOr<Sample> ParseSampleRecord(nlohmann::ordered_json record,
                                         const std::string& where) {
  if (!record.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": expected a JSON object, got ", record.type_name()));
  }
  Sample s;
  s.where = where;
  auto id = record.find("task_id");
  if (id == record.end()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": field `task_id` is missing"));
  }
  absl::StatusOr<std::string> task_id = TaskIdString(*id);
  if (!task_id.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": field `task_id` ", task_id.status().message()));
  }
  s.task_id = *std::move(task_id);
  auto solution = record.find("solution");
  auto completion = record.find("completion");
  bool has_solution = solution != record.end() && !solution->is_null();
  bool has_completion = completion != record.end() && !completion->is_null();
  // A mistyped field is an error even when the other one would do: the file is wrong.
  if (has_solution && !solution->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": field `solution` must be a string, got ", solution->type_name()));
  }
  if (has_completion && !completion->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": field `completion` must be a string, got ", completion->type_name()));
  }
  if (has_solution) {
    s.code = solution->get<std::string>();
    s.is_solution = true;
  } else if (has_completion) {
    s.code = completion->get<std::string>();
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": field `completion` (or `solution`) is missing"));
  }
  if (auto cid = record.find("completion_id"); cid != record.end() && !cid->is_null()) {
    if (!cid->is_string() && !cid->is_number_integer()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": field `completion_id` must be a string or an integer, got ",
                       cid->type_name()));
    }
    s.has_completion_id = true;
    s.completion_id = cid->dump();
  }
  s.fields = std::move(record);
  return s;
}

namespace {

// 128 bits of the SHA-256 of (task_id, completion_id): two pairs share them with a
// probability of about n^2 / 2^129, none in practice.
std::pair<uint64_t, uint64_t> IdDigest(const Sample& sample) {
  Sha256 h;
  h.UpdateField(sample.task_id);
  h.UpdateField(sample.completion_id);
  std::array<char, 32> d = h.FinalBytes();
  std::pair<uint64_t, uint64_t> out;
  std::memcpy(&out.first, d.data(), 8);
  std::memcpy(&out.second, d.data() + 8, 8);
  return out;
}

}  // namespace

absl::Status SampleChecker::Check(const Sample& sample) {
  if (problems_->Find(sample.task_id) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        sample.where, ": unknown task_id ", sample.task_id, " (not in ", problems_->path,
        ")"));
  }
  if (sample.has_completion_id && !seen_ids_.insert(IdDigest(sample)).second) {
    return absl::InvalidArgumentError(absl::StrCat(sample.where, ": duplicate completion_id ",
                                                   sample.completion_id, " for task ",
                                                   sample.task_id));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SampleSource>> OpenSamples(const std::string& path,
                                                          const ProblemSet* problems) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return OpenEvalPlusDir(path, problems);
  absl::StatusOr<LineReader> reader = LineReader::Open(path);
  if (!reader.ok()) return reader.status();
  // Peek at the first non-blank byte to tell bigcode's JSON document from JSONL.
  absl::StatusOr<LineReader> peek = LineReader::Open(path);
  if (!peek.ok()) return peek.status();
  std::string line;
  int64_t n;
  char first = 0;
  while (first == 0 && peek->Next(&line, &n)) {
    size_t i = line.find_first_not_of(" \t\r");
    if (i != std::string::npos) first = line[i];
  }
  if (!peek->status().ok()) return peek->status();
  if (first == '[') return OpenBigcode(path, problems);
  return std::make_unique<JsonlSource>(*std::move(reader));
}

absl::StatusOr<SampleScan> ScanSamples(const std::string& path, const ProblemSet& problems) {
  absl::StatusOr<std::unique_ptr<SampleSource>> source = OpenSamples(path, &problems);
  if (!source.ok()) return source.status();
  SampleScan scan;
  Sample sample;
  std::string error;
  ReadOutcome outcome;
  while ((outcome = (*source)->Next(&sample, &error)) != ReadOutcome::kEnd &&
         outcome != ReadOutcome::kIoError) {
    ++scan.records;
    if (outcome == ReadOutcome::kSample && problems.Find(sample.task_id) != nullptr) {
      scan.task_ids.insert(sample.task_id);
      ++scan.task_samples[sample.task_id];
    }
  }
  if (!(*source)->streamed()) scan.records = 0;
  return scan;
}

std::string DefaultResultsPath(const std::string& samples_path) {
  std::string base = samples_path;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return base + "_results.jsonl";
}

}  // namespace fathom::grader
