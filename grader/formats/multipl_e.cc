// MultiPL-E completions and results files (see multipl_e.h).
#include "grader/formats/multipl_e.h"

#include <zlib.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grader/formats/line_reader.h"

namespace fathom::grader {
namespace {

namespace fs = std::filesystem;

bool IsResultsName(const std::string& name) {
  return absl::EndsWith(name, ".results.json") || absl::EndsWith(name, ".results.json.gz");
}

bool IsJsonName(const std::string& name) {
  return absl::EndsWith(name, ".json") || absl::EndsWith(name, ".json.gz");
}

absl::Status FieldError(const std::string& path, const std::string& field,
                        const std::string& problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": ", field, " ", problem, " (a MultiPL-E completions file needs "
                   "name, language, prompt, tests and completions)"));
}

absl::StatusOr<MultiplEFile> LoadOne(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(*text, nullptr,
                                                           /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(path, ": not JSON"));
  if (!j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": expected a JSON object"));
  }
  MultiplEFile f;
  f.path = path;
  f.gzip = absl::EndsWith(path, ".gz");
  for (const char* field : {"name", "language", "prompt", "tests"}) {
    auto it = j.find(field);
    if (it == j.end()) return FieldError(path, field, "is missing");
    if (!it->is_string()) return FieldError(path, field, "must be a string");
  }
  f.name = j["name"].get<std::string>();
  auto c = j.find("completions");
  if (c == j.end()) return FieldError(path, "completions", "is missing");
  if (!c->is_array()) return FieldError(path, "completions", "must be a list");
  for (size_t i = 0; i < c->size(); ++i) {
    if (!(*c)[i].is_string()) {
      return FieldError(path, absl::StrCat("completions[", i, "]"), "must be a string");
    }
    f.completions.push_back((*c)[i].get<std::string>());
  }
  j.erase("completions");
  f.problem = std::move(j);
  return f;
}

// Writes `text` to `path` (gzip-compressed when `gzip`) through a temporary file and a
// rename, so a reader never sees half a file.
absl::Status WriteFileAtomically(const std::string& path, const std::string& text, bool gzip) {
  const std::string tmp = absl::StrCat(path, ".tmp");
  if (gzip) {
    gzFile gz = gzopen(tmp.c_str(), "wb");
    if (gz == nullptr) return absl::PermissionDeniedError(absl::StrCat("cannot write ", tmp));
    const bool ok = text.empty() ||
                    gzwrite(gz, text.data(), static_cast<unsigned>(text.size())) ==
                        static_cast<int>(text.size());
    if (gzclose(gz) != Z_OK || !ok) {
      return absl::InternalError(absl::StrCat("cannot write ", tmp));
    }
  } else {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write ", tmp));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot rename ", tmp, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace

std::string MultiplERuntimeName(const std::string& language) {
  // MultiPL-E's language -> the runtime, where the runtime of that name or alias grades
  // another benchmark's programs. `java` follows HumanEval-X (public class Main, tests
  // that throw) and keeps its name, so HumanEval-X rows and `fathom run x.java` are
  // unchanged.
  static constexpr std::pair<const char*, const char*> kRenamed[] = {
      {"java", "java-multipl-e"},
  };
  for (const auto& [from, to] : kRenamed) {
    if (language == from) return to;
  }
  return language;
}

bool IsMultiplECompletions(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::directory_iterator(path, ec)) {
      const std::string name = e.path().filename().string();
      if (e.is_regular_file(ec) && IsJsonName(name) && !IsResultsName(name) &&
          IsMultiplECompletions(e.path().string())) {
        return true;
      }
    }
    return false;
  }
  if (!IsJsonName(path) || IsResultsName(path)) return false;
  return LoadOne(path).ok();
}

absl::StatusOr<std::vector<MultiplEFile>> LoadMultiplECompletions(const std::string& path) {
  std::error_code ec;
  std::vector<std::string> paths;
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::directory_iterator(path, ec)) {
      const std::string name = e.path().filename().string();
      if (e.is_regular_file(ec) && IsJsonName(name) && !IsResultsName(name)) {
        paths.push_back(e.path().string());
      }
    }
    if (ec) return absl::PermissionDeniedError(absl::StrCat("cannot list ", path));
    std::sort(paths.begin(), paths.end());
    if (paths.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": no MultiPL-E completions files (*.json, *.json.gz) in it"));
    }
  } else {
    paths.push_back(path);
  }
  std::vector<MultiplEFile> files;
  std::map<std::string, std::string> names;  // name -> the file that holds it
  for (const std::string& p : paths) {
    absl::StatusOr<MultiplEFile> f = LoadOne(p);
    if (!f.ok()) return f.status();
    auto [it, fresh] = names.emplace(f->name, p);
    if (!fresh) {
      return absl::InvalidArgumentError(absl::StrCat(p, ": name '", f->name,
                                                     "' is also the name in ", it->second));
    }
    files.push_back(*std::move(f));
  }
  return files;
}

std::string MultiplEResultsPath(const MultiplEFile& file, const std::string& out_dir) {
  const fs::path in(file.path);
  std::string stem = in.filename().string();
  stem = stem.substr(0, stem.size() - (file.gzip ? 8 : 5));  // ".json.gz" / ".json"
  const fs::path dir = out_dir.empty() ? in.parent_path() : fs::path(out_dir);
  return (dir / absl::StrCat(stem, file.gzip ? ".results.json.gz" : ".results.json")).string();
}

absl::Status WriteMultiplEInputs(const std::vector<MultiplEFile>& files,
                                 const std::string& problems_path,
                                 const std::string& samples_path) {
  std::string problems;
  std::string samples;
  for (const MultiplEFile& f : files) {
    nlohmann::ordered_json p;
    for (const char* field : {"name", "language", "prompt", "tests"}) p[field] = f.problem[field];
    if (auto it = f.problem.find("stop_tokens"); it != f.problem.end()) p["stop_tokens"] = *it;
    absl::StrAppend(&problems, p.dump(), "\n");
    for (size_t i = 0; i < f.completions.size(); ++i) {
      nlohmann::ordered_json s = {
          {"task_id", f.name}, {"completion_id", i}, {"completion", f.completions[i]}};
      absl::StrAppend(&samples, s.dump(), "\n");
    }
  }
  if (absl::Status s = WriteFileAtomically(problems_path, problems, false); !s.ok()) return s;
  return WriteFileAtomically(samples_path, samples, false);
}

std::string MultiplEStatus(const std::string& fathom_status) {
  if (fathom_status == "passed") return "OK";
  if (fathom_status == "compile_error") return "SyntaxError";
  if (fathom_status == "timeout") return "Timeout";
  return "Exception";
}

absl::Status WriteMultiplEResults(const std::vector<MultiplEFile>& files,
                                  const std::string& results_path, const std::string& out_dir) {
  absl::StatusOr<LineReader> reader = LineReader::Open(results_path);
  if (!reader.ok()) return reader.status();
  // (task_id, completion_id) -> its row.
  std::map<std::pair<std::string, int64_t>, nlohmann::json> rows;
  std::string line;
  int64_t line_number = 0;
  while (reader->Next(&line, &line_number)) {
    nlohmann::json row = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (row.is_discarded() || !row.is_object() || !row.contains("task_id") ||
        !row["task_id"].is_string() || !row.contains("completion_id") ||
        !row["completion_id"].is_number_integer()) {
      continue;  // not a row of ours (WriteMultiplEInputs writes every one with both)
    }
    std::pair<std::string, int64_t> key = {row["task_id"].get<std::string>(),
                                           row["completion_id"].get<int64_t>()};
    rows[std::move(key)] = std::move(row);
  }
  if (!reader->status().ok()) return reader->status();
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  for (const MultiplEFile& f : files) {
    nlohmann::ordered_json out = f.problem;
    nlohmann::ordered_json results = nlohmann::ordered_json::array();
    const std::string prompt = f.problem["prompt"].get<std::string>();
    const std::string tests = f.problem["tests"].get<std::string>();
    for (size_t i = 0; i < f.completions.size(); ++i) {
      auto it = rows.find({f.name, static_cast<int64_t>(i)});
      if (it == rows.end()) {
        return absl::InternalError(absl::StrCat(results_path, ": no result for ", f.name,
                                                " completion ", i));
      }
      const nlohmann::json& row = it->second;
      auto text = [&row](const char* field) {
        auto f = row.find(field);
        return f != row.end() && f->is_string() ? f->get<std::string>() : std::string();
      };
      const std::string status = MultiplEStatus(text("status"));
      nlohmann::ordered_json r;
      r["program"] = absl::StrCat(prompt, f.completions[i], "\n", tests);
      r["timestamp"] = now;
      r["stdout"] = "";
      r["stderr"] = text("stderr_tail");
      r["exit_code"] = status == "OK" ? nlohmann::ordered_json(0)
                       : status == "Timeout" ? nlohmann::ordered_json(-1)
                                             : nlohmann::ordered_json(nullptr);
      r["status"] = status;
      results.push_back(std::move(r));
    }
    out["results"] = std::move(results);
    if (absl::Status s = WriteFileAtomically(MultiplEResultsPath(f, out_dir),
                                             out.dump(2, ' ', false,
                                                      nlohmann::json::error_handler_t::replace),
                                             f.gzip);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace fathom::grader
