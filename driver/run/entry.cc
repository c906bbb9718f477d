// The report entry of one benchmark, from the tally of its items (see entry.h).
#include "driver/run/entry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "driver/run/code_grading.h"
#include "driver/run/stats.h"
#include "grader/formats/utf8.h"

namespace fathom::driver::run {
namespace {

using Json = nlohmann::ordered_json;

Json CiJson(const Estimate& e) { return Json::array({e.ci_low, e.ci_high}); }

Json EstimateJson(const Estimate& e) {
  return Json{{"value", e.value}, {"ci95", CiJson(e)}, {"n", e.n}};
}

}  // namespace

std::string ScoringName(Scoring s) {
  switch (s) {
    case Scoring::kJudge: return "judge";
    case Scoring::kCode: return "code";
    case Scoring::kExternal: return "external";
  }
  return "judge";
}

size_t Tally::Subtask(const std::string& name) {
  auto [it, inserted] = index_.try_emplace(name, names.size());
  if (inserted) {
    names.push_back(name);
    scores.emplace_back();
    code.emplace_back();
    subtask_skipped.push_back(0);
    subtask_missing.push_back(0);
  }
  return it->second;
}

std::vector<size_t> Tally::Order() const {
  std::vector<size_t> order(names.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto rank = [&](size_t i) {
    auto it = std::find(info_.subtasks.begin(), info_.subtasks.end(), names[i]);
    return std::make_pair(it - info_.subtasks.begin(), i);
  };
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rank(a) < rank(b); });
  return order;
}

void Tally::Error(const std::string& message) {
  if (errors.size() < max_listed_) errors.push_back(message);
  ++error_count;
}

void Tally::Missing(size_t subtask, const std::string& id, const std::string& subtask_name) {
  ++missing;
  ++subtask_missing[subtask];
  if (missing_ids.size() < max_listed_) {
    missing_ids.push_back(subtask_name.empty() ? id : absl::StrCat(subtask_name, "/", id));
  }
}

absl::Status Tally::AddItemLine(const Json& item) {
  if (!item.is_object()) return absl::InvalidArgumentError("not a JSON object");
  auto text = [&](const char* key) -> std::string {
    auto it = item.find(key);
    return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  ++rows;
  if (item.contains("skipped")) {
    ++skipped;
    if (item.contains("subtask")) ++subtask_skipped[Subtask(text("subtask"))];
    Error(grader::SanitizeUtf8(text("skipped")));
    return absl::OkStatus();
  }
  const size_t st = Subtask(text("subtask"));
  if (item.contains("holdout")) {
    ++held_out;
    return absl::OkStatus();
  }
  if (item.contains("missing")) {
    Missing(st, text("id"), text("subtask"));
    return absl::OkStatus();
  }
  auto score = item.find("score");
  if (score == item.end() || !score->is_number()) {
    return absl::InvalidArgumentError("score: expected a number");
  }
  if (info_.scoring == Scoring::kCode) {
    auto passed = item.find("passed");
    if (passed == item.end() || !passed->is_array() || passed->empty()) {
      return absl::InvalidArgumentError("passed: expected a list of booleans");
    }
    int64_t c = 0;
    for (const Json& p : *passed) c += p.is_boolean() && p.get<bool>() ? 1 : 0;
    const auto n = static_cast<int64_t>(passed->size());
    code[st].emplace_back(n, c);
    correct_count += c == n ? 1 : 0;
    if (auto status = item.find("status"); status != item.end() && status->is_array()) {
      for (const Json& s : *status) sandbox_errors += s == "sandbox_error" ? 1 : 0;
    }
  } else if (info_.scoring == Scoring::kJudge) {
    auto correct = item.find("correct");
    bool all = correct != item.end() && !correct->is_null();
    if (all && correct->is_array()) {
      for (const Json& c : *correct) all = all && c.is_boolean() && c.get<bool>();
    } else if (all) {
      all = correct->is_boolean() && correct->get<bool>();
    }
    correct_count += all ? 1 : 0;
  }
  scores[st].push_back(score->get<double>());
  return absl::OkStatus();
}

std::vector<int64_t> CodeKs(const BenchmarkInfo& info, int64_t min_samples) {
  std::vector<int64_t> ks;
  for (int k : info.pass_at_k) {
    if (min_samples >= k) ks.push_back(k);
  }
  if (ks.empty() && min_samples >= 1) ks.push_back(1);
  return ks;
}

BuiltEntry BuildEntry(const Tally& t, const EntryContext& c) {
  const BenchmarkInfo& info = t.info_;
  const std::vector<size_t> order = t.Order();
  std::vector<std::vector<double>> ordered;
  for (size_t i : order) ordered.push_back(t.scores[i]);
  const Aggregate agg = AggregateScores(ordered, c.bootstrap, c.seed);
  const bool multi = !info.subtask_field.empty();
  Json entry = {{"benchmark", info.name},
                {"title", info.title},
                {"category", info.category},
                {"setting", info.setting},
                {"metric", info.metric},
                {"higher_is_better", info.higher_is_better},
                {"scoring", ScoringName(info.scoring)}};
  Estimate headline = multi ? agg.macro : agg.micro;
  Json pass_at_k = Json::object();
  if (info.scoring == Scoring::kCode) {
    int64_t min_n = -1;
    for (const auto& items : t.code) {
      for (const auto& [n, passed] : items) min_n = min_n < 0 ? n : std::min(min_n, n);
    }
    const std::vector<int64_t> ks = CodeKs(info, min_n);
    for (size_t k = 0; k < ks.size(); ++k) {
      std::vector<std::vector<double>> per(order.size());
      for (size_t j = 0; j < order.size(); ++j) {
        for (const auto& [n, passed] : t.code[order[j]]) {
          per[j].push_back(CodePassAtK(n, passed, ks[k]));
        }
      }
      Aggregate a = AggregateScores(per, c.bootstrap, c.seed);
      const Estimate& e = multi ? a.macro : a.micro;
      pass_at_k[absl::StrCat("pass@", ks[k])] = EstimateJson(e);
      if (k == 0) headline = e;
    }
    entry["metric"] = ks.empty() ? "pass@1" : absl::StrCat("pass@", ks[0]);
  }
  entry["value"] = headline.value;
  entry["ci95"] = CiJson(headline);
  entry["n"] = headline.n;
  entry["aggregation"] = multi ? "macro" : "none";
  if (multi) {
    entry["macro"] = EstimateJson(agg.macro);
    entry["micro"] = EstimateJson(agg.micro);
  }
  if (info.scoring == Scoring::kCode) entry["pass_at_k"] = pass_at_k;
  entry["rows"] = t.rows;
  entry["skipped"] = t.skipped;
  entry["missing"] = t.missing;
  entry["held_out"] = t.held_out;
  entry["bad_predictions"] = t.bad_predictions;
  entry["unused_predictions"] = t.unused_predictions;
  if (info.scoring == Scoring::kCode) entry["sandbox_errors"] = t.sandbox_errors;
  Json subs = Json::array();
  for (size_t j = 0; j < order.size(); ++j) {
    if (!multi) break;
    const size_t i = order[j];
    subs.push_back(Json{{"subtask", t.names[i]},
                        {"value", agg.subtasks[j].value},
                        {"ci95", CiJson(agg.subtasks[j])},
                        {"n", agg.subtasks[j].n},
                        {"skipped", t.subtask_skipped[i]},
                        {"missing", t.subtask_missing[i]}});
  }
  if (multi) entry["subtasks"] = subs;
  entry["mode"] = c.mode;
  entry["api"] = c.api;
  entry["inputs"] = c.inputs;
  if (!c.definition_sha256.empty()) entry["definition_sha256"] = c.definition_sha256;
  entry["bootstrap"] = {{"replicates", c.bootstrap}, {"seed", c.seed}, {"stratified_by", "subtask"}};
  if (info.scoring == Scoring::kExternal) entry["scorer"] = c.scorer;
  if (info.scoring == Scoring::kCode) entry["grader"] = c.grader;
  entry["out_of_window"] = t.out_of_window;
  Json errors = Json::array();
  for (const std::string& e : t.errors) errors.push_back(e);
  entry["errors"] = errors;
  Json missing = Json::array();
  for (const std::string& m : t.missing_ids) missing.push_back(m);
  entry["missing_ids"] = missing;
  entry["inputs_sha256"] = c.inputs_sha256;
  entry["items_file"] = info.name + ".items.jsonl";
  entry["events_file"] = info.name + ".events.jsonl";

  Json final_report = Json::object();
  const int64_t scored = agg.micro.n;
  if (info.scoring == Scoring::kCode) {
    for (auto& [k, v] : pass_at_k.items()) final_report[k] = v["value"];
  } else if (info.scoring == Scoring::kExternal) {
    final_report["summaryscore"] = agg.micro.value;
  } else if (info.metric == "f1") {
    final_report["accuracy"] =
        scored > 0 ? static_cast<double>(t.correct_count) / static_cast<double>(scored) : 0.0;
    final_report["f1_score"] = agg.micro.value;
  } else {
    final_report["accuracy"] = agg.micro.value;
  }
  final_report["OUT OF WINDOW"] = t.out_of_window;
  return {std::move(entry), std::move(final_report)};
}

}  // namespace fathom::driver::run
