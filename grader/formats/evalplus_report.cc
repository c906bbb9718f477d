// The EvalPlus results file, built from fathom's results JSONL.
#include "grader/formats/evalplus_report.h"

#include <ctime>
#include <filesystem>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "boost/uuid/detail/md5.hpp"
#include "grader/formats/line_reader.h"
#include "grader/formats/utf8.h"
#include "grader/pipeline/pass_at_k.h"
#include "grader/pipeline/result_cache.h"
#include "grader/pipeline/verdict.h"
#include "nlohmann/json.hpp"

namespace fathom::grader {
namespace {

// A JSON string holding `text` (sanitized: solutions are model output).
std::string Dump(const std::string& text) {
  return nlohmann::json(SanitizeUtf8(text))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The raw argument lists of `indices` (as JSON array text).
std::string FailTests(const std::vector<std::string>& inputs, const nlohmann::json& indices) {
  std::string out = "[";
  bool first = true;
  if (indices.is_array()) {
    for (const auto& i : indices) {
      if (!i.is_number_integer()) continue;
      auto k = i.get<int64_t>();
      if (k < 0 || k >= static_cast<int64_t>(inputs.size())) continue;
      absl::StrAppend(&out, first ? "" : ", ", inputs[static_cast<size_t>(k)]);
      first = false;
    }
  }
  return out + "]";
}

std::string PassAtKObject(const std::vector<std::pair<int64_t, double>>& values) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [k, v] : values) j[absl::StrCat("pass@", k)] = v;
  return j.dump();
}

}  // namespace

std::string EvalPlusResultsPath(const std::string& samples_path) {
  std::error_code ec;
  if (std::filesystem::is_directory(samples_path, ec)) {
    std::string dir = samples_path;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    return dir + "/eval_results.json";
  }
  std::string base = samples_path;
  for (const char* ext : {".jsonl.gz", ".jsonl", ".json"}) {
    if (absl::EndsWith(base, ext)) {
      base.resize(base.size() - std::string(ext).size());
      break;
    }
  }
  return base + ".eval_results.json";
}

absl::StatusOr<std::string> ProblemFileMd5(const std::string& path) {
  absl::StatusOr<LineReader> reader = LineReader::Open(path);
  if (!reader.ok()) return reader.status();
  boost::uuids::detail::md5 md5;
  std::string line;
  int64_t n;
  while (reader->Next(&line, &n)) {
    line.push_back('\n');
    md5.process_bytes(line.data(), line.size());
  }
  if (!reader->status().ok()) return reader->status();
  boost::uuids::detail::md5::digest_type digest;
  md5.get_digest(digest);
  // Boost 1.81 hands the digest back as four words whose big-endian bytes are MD5's.
  std::string hex;
  for (unsigned int word : digest) absl::StrAppendFormat(&hex, "%08x", word);
  return hex;
}

absl::StatusOr<EvalPlusPassAtK> WriteEvalPlusResults(const ProblemSet& problems,
                                                     const EvalPlusReportOptions& o) {
  absl::StatusOr<LineReader> reader = LineReader::Open(o.results_path);
  if (!reader.ok()) return reader.status();
  std::map<size_t, std::vector<EvalPlusEntry>> by_problem;  // problem order
  std::string line;
  int64_t line_number = 0;
  while (reader->Next(&line, &line_number)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string where = absl::StrCat(o.results_path, ":", line_number);
    nlohmann::json r = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (r.is_discarded() || !r.is_object() || !r.contains("task_id")) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": not a results record"));
    }
    absl::StatusOr<std::string> task_id = TaskIdString(r["task_id"]);
    const Problem* p = task_id.ok() ? problems.Find(*task_id) : nullptr;
    if (p == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": unknown task_id"));
    }
    bool is_solution = r.contains("solution") && r["solution"].is_string();
    std::string code = is_solution ? r["solution"].get<std::string>()
                       : r.contains("completion") && r["completion"].is_string()
                           ? r["completion"].get<std::string>()
                           : std::string();
    code = Extract(code, o.extract, o.stops);
    std::string solution = is_solution ? code : p->prompt + code;

    std::string base_status, plus_status;
    std::string base_fail = "[]", plus_fail = "[]";
    if (r.contains("base_status") && r["base_status"].is_string()) {
      base_status = r["base_status"].get<std::string>();
      plus_status = r.value("plus_status", nlohmann::json()).is_string()
                        ? r["plus_status"].get<std::string>()
                        : "fail";
      base_fail = FailTests(p->base_inputs, r.value("base_failed_inputs", nlohmann::json()));
      plus_fail = FailTests(p->plus_inputs, r.value("plus_failed_inputs", nlohmann::json()));
    } else {  // assert mode: one verdict for both
      // Checked by type: value() with a bool or string default throws on a mistyped
      // field, and an edited results file must be an error, not a crash
      // (fuzz/evalplus_report_fuzz.cc).
      const nlohmann::json passed_field = r.value("passed", nlohmann::json(false));
      const nlohmann::json status_field = r.value("status", nlohmann::json(""));
      if (!passed_field.is_boolean() || !status_field.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": `passed` must be a boolean and `status` a string"));
      }
      bool passed = passed_field.get<bool>();
      std::string status = status_field.get<std::string>();
      base_status = passed ? "pass" : status == "timeout" ? "timeout" : "fail";
      plus_status = base_status;
    }
    EvalPlusEntry e;
    e.base_pass = base_status == "pass";
    e.plus_pass = e.base_pass && plus_status == "pass";
    e.text = absl::StrCat("{\"task_id\": ", Dump(p->task_id), ", \"solution\": ", Dump(solution),
                          ", \"base_status\": ", Dump(base_status),
                          ", \"plus_status\": ", Dump(plus_status),
                          ", \"base_fail_tests\": ", base_fail,
                          ", \"plus_fail_tests\": ", plus_fail, "}");
    by_problem[problems.by_id.at(p->task_id)].push_back(std::move(e));
  }
  if (!reader->status().ok()) return reader->status();

  std::vector<std::pair<std::string, std::vector<EvalPlusEntry>>> eval;
  for (auto& [index, entries] : by_problem) {
    eval.emplace_back(problems.problems[index].task_id, std::move(entries));
  }
  std::string date = o.date;
  if (date.empty()) {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
    date = buf;
  }
  EvalPlusPassAtK result;
  const std::string text = EvalPlusFileText(date, o.dataset_hash, eval, o.ks, &result);
  if (absl::Status s = WriteFileAtomically(o.out_path, text); !s.ok()) return s;
  return result;
}

std::string EvalPlusFileText(
    const std::string& date, const std::string& dataset_hash,
    const std::vector<std::pair<std::string, std::vector<EvalPlusEntry>>>& eval,
    const std::vector<int64_t>& ks, EvalPlusPassAtK* pass_at_k) {
  std::vector<TaskCount> base_counts, plus_counts;
  std::string tasks;
  for (const auto& [task_id, entries] : eval) {
    TaskCount b, pl;
    std::string list;
    for (const EvalPlusEntry& e : entries) {
      ++b.n;
      ++pl.n;
      if (e.base_pass) ++b.c;
      if (e.plus_pass) ++pl.c;
      absl::StrAppend(&list, list.empty() ? "" : ", ", e.text);
    }
    base_counts.push_back(b);
    plus_counts.push_back(pl);
    absl::StrAppend(&tasks, tasks.empty() ? "" : ", ", Dump(task_id), ": [", list, "]");
  }
  pass_at_k->base = MeanPassAtK(base_counts, ks);
  pass_at_k->plus = MeanPassAtK(plus_counts, ks);
  return absl::StrCat("{\"date\": ", Dump(date), ", \"hash\": ", Dump(dataset_hash),
                      ", \"eval\": {", tasks, "}, \"pass_at_k\": {\"base\": ",
                      PassAtKObject(pass_at_k->base), ", \"plus\": ",
                      PassAtKObject(pass_at_k->plus), "}}\n");
}

std::string EvalPlusPassAtKText(const std::string& dataset_name, const EvalPlusPassAtK& p) {
  std::string out = absl::StrCat(dataset_name, " (base tests)\n");
  for (const auto& [k, v] : p.base) absl::StrAppendFormat(&out, "pass@%d:\t%.3f\n", k, v);
  absl::StrAppend(&out, dataset_name, "+ (base + extra tests)\n");
  for (const auto& [k, v] : p.plus) absl::StrAppendFormat(&out, "pass@%d:\t%.3f\n", k, v);
  return out;
}

}  // namespace fathom::grader
