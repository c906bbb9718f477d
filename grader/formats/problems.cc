// Problem file loading: one JSON record per line, the format recognised by its fields.
#include "grader/formats/problems.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grader/formats/humanevalx.h"
#include "grader/formats/line_reader.h"
#include "grader/formats/multipl_e.h"
#include "grader/formats/raw_json.h"
#include "grader/formats/sha256.h"

namespace fathom::grader {
namespace {

absl::Status FieldError(const std::string& where, const std::string& field,
                        const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": field `", field, "` ", what));
}

// Copies record[field] into *out when it is a string; missing is an error when `required`.
absl::Status GetString(const nlohmann::json& record, const std::string& where,
                       const std::string& field, bool required, std::string* out) {
  auto it = record.find(field);
  if (it == record.end() || it->is_null()) {
    if (required) return FieldError(where, field, "is missing");
    return absl::OkStatus();
  }
  if (!it->is_string()) {
    return FieldError(where, field, absl::StrCat("must be a string, got ", it->type_name()));
  }
  *out = it->get<std::string>();
  return absl::OkStatus();
}

absl::Status GetStringList(const nlohmann::json& record, const std::string& where,
                           const std::string& field, std::vector<std::string>* out) {
  auto it = record.find(field);
  if (it == record.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_array()) {
    return FieldError(where, field, absl::StrCat("must be a list, got ", it->type_name()));
  }
  for (const auto& v : *it) {
    if (!v.is_string()) {
      return FieldError(where, field,
                        absl::StrCat("must hold strings, got ", v.type_name()));
    }
    out->push_back(v.get<std::string>());
  }
  return absl::OkStatus();
}

}  // namespace

const char* ProblemFormatName(ProblemFormat format) {
  switch (format) {
    case ProblemFormat::kHumanEval:
      return "humaneval";
    case ProblemFormat::kMbppPlus:
      return "mbpp+";
    case ProblemFormat::kMbppPlusOrigin:
      return "mbpp+origin";
    case ProblemFormat::kMbpp:
      return "mbpp";
    case ProblemFormat::kHumanEvalX:
      return "humaneval-x";
    case ProblemFormat::kMultiplE:
      return "multipl-e";
  }
  return "?";
}

const Problem* ProblemSet::Find(const std::string& task_id) const {
  auto it = by_id.find(task_id);
  return it == by_id.end() ? nullptr : &problems[it->second];
}

absl::StatusOr<std::string> TaskIdString(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return value.dump();
  return absl::InvalidArgumentError(
      absl::StrCat("must be a string or an integer, got ", value.type_name()));
}

absl::StatusOr<Problem> ParseProblem(const nlohmann::json& record, const std::string& where) {
  if (!record.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": expected a JSON object, got ", record.type_name()));
  }
  Problem p;
  auto has = [&](const char* f) { return record.contains(f); };
  absl::Status s;
  if (!has("task_id") && has("name") && has("tests")) {
    // MultiPL-E (nuprl/MultiPL-E): name, language, prompt, tests, stop_tokens; its
    // language names the runtime (a runtime's name or alias: "rs", "go_test.go"), but
    // for "java" (multipl_e.h, MultiplERuntimeName).
    p.format = ProblemFormat::kMultiplE;
    if (!(s = GetString(record, where, "name", true, &p.task_id)).ok()) return s;
    if (!(s = GetString(record, where, "language", true, &p.language)).ok()) return s;
    p.language = MultiplERuntimeName(p.language);
    if (!(s = GetString(record, where, "prompt", true, &p.prompt)).ok()) return s;
    if (!(s = GetString(record, where, "tests", true, &p.test)).ok()) return s;
    if (has("stop_tokens") && !record["stop_tokens"].is_null()) {
      if (!(s = GetStringList(record, where, "stop_tokens", &p.stop_tokens)).ok()) return s;
    }
    return p;
  }
  auto id = record.find("task_id");
  if (id == record.end()) return FieldError(where, "task_id", "is missing");
  absl::StatusOr<std::string> task_id = TaskIdString(*id);
  if (!task_id.ok()) return FieldError(where, "task_id", std::string(task_id.status().message()));
  p.task_id = *std::move(task_id);

  const absl::string_view x_language = HumanEvalXLanguageOf(p.task_id);
  if (!x_language.empty() && has("prompt") && has("test") && !has("entry_point")) {
    p.format = ProblemFormat::kHumanEvalX;
    p.language = std::string(x_language);
    if (!(s = GetString(record, where, "prompt", true, &p.prompt)).ok()) return s;
    if (!(s = GetString(record, where, "test", true, &p.test)).ok()) return s;
    for (auto [field, out] : {std::pair{"canonical_solution", &p.canonical_solution},
                              std::pair{"declaration", &p.declaration},
                              std::pair{"import", &p.imports},
                              std::pair{"test_setup", &p.test_setup},
                              std::pair{"example_test", &p.example_test}}) {
      if (!(s = GetString(record, where, field, false, out)).ok()) return s;
    }
    return p;
  }
  if (has("test_list") && has("code")) {
    if (has("test") && has("test_imports")) {
      p.format = ProblemFormat::kMbppPlusOrigin;
      std::vector<std::string> imports;
      if (!(s = GetStringList(record, where, "test_imports", &imports)).ok()) return s;
      for (const std::string& imp : imports) absl::StrAppend(&p.test_setup, imp, "\n");
      if (!(s = GetString(record, where, "test", true, &p.test)).ok()) return s;
    } else {
      p.format = ProblemFormat::kMbpp;
      if (!(s = GetString(record, where, "test_setup_code", false, &p.test_setup)).ok()) {
        return s;
      }
      if (!(s = GetStringList(record, where, "test_list", &p.test_list)).ok()) return s;
      if (!(s = GetStringList(record, where, "challenge_test_list", &p.challenge_test_list))
               .ok()) {
        return s;
      }
    }
    if (!(s = GetString(record, where, "code", true, &p.canonical_solution)).ok()) return s;
  } else if (has("assertion") && !has("test")) {
    p.format = ProblemFormat::kMbppPlus;
    if (!(s = GetString(record, where, "prompt", true, &p.prompt)).ok()) return s;
    if (!(s = GetString(record, where, "assertion", true, &p.test)).ok()) return s;
    if (!(s = GetString(record, where, "entry_point", false, &p.entry_point)).ok()) return s;
    if (!(s = GetString(record, where, "canonical_solution", false, &p.canonical_solution))
             .ok()) {
      return s;
    }
  } else {
    p.format = ProblemFormat::kHumanEval;
    if (!has("test") && !has("prompt")) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": not a known problem format (need prompt+test+entry_point, "
                 "prompt+assertion, or code+test_list)"));
    }
    if (!(s = GetString(record, where, "prompt", true, &p.prompt)).ok()) return s;
    if (!(s = GetString(record, where, "test", true, &p.test)).ok()) return s;
    if (!(s = GetString(record, where, "entry_point", true, &p.entry_point)).ok()) return s;
    if (!(s = GetString(record, where, "canonical_solution", false, &p.canonical_solution))
             .ok()) {
      return s;
    }
  }
  // EvalPlus I/O fields (HumanEval+ and MBPP+).
  for (const char* field : {"base_input", "plus_input"}) {
    auto it = record.find(field);
    if (it == record.end() || it->is_null()) continue;
    if (it->is_object() && it->empty()) continue;  // "{}": no inputs (MBPP+ has one)
    if (!it->is_array()) return FieldError(where, field, "must be a list");
    std::vector<std::string>& inputs =
        std::string(field) == "base_input" ? p.base_inputs : p.plus_inputs;
    for (const auto& args : *it) {
      if (!args.is_array()) {
        return FieldError(where, field,
                          absl::StrCat("must hold argument lists, got ", args.type_name()));
      }
      inputs.push_back(args.dump());
    }
    if (std::string(field) == "base_input") p.has_inputs = true;
  }
  if (auto it = record.find("atol"); it != record.end() && !it->is_null()) {
    if (!it->is_number()) return FieldError(where, "atol", "must be a number");
    p.atol = it->get<double>();
  }
  if (!(s = GetString(record, where, "contract", false, &p.contract)).ok()) return s;
  return p;
}

absl::StatusOr<Problem> ParseProblemLine(absl::string_view line, const std::string& where) {
  // The input lists are cut out as raw text first (nlohmann would round big integers and
  // reject Infinity), the rest is parsed with them replaced by null.
  absl::StatusOr<std::vector<RawMember>> members = RawObjectMembers(line);
  std::string rest;
  std::vector<std::pair<std::string, absl::string_view>> raw_inputs;
  if (members.ok()) {
    size_t copied = 0;
    for (const RawMember& m : *members) {
      if (m.key != "base_input" && m.key != "plus_input") continue;
      absl::StrAppend(&rest, line.substr(copied, m.value_begin - copied), "null");
      copied = m.value_end;
      raw_inputs.emplace_back(m.key, line.substr(m.value_begin, m.value_end - m.value_begin));
    }
    absl::StrAppend(&rest, line.substr(copied));
  } else {
    rest = std::string(line);
  }
  nlohmann::json record = nlohmann::json::parse(rest, nullptr, /*allow_exceptions=*/false);
  if (record.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": malformed JSON",
        members.ok() ? "" : absl::StrCat(" (", members.status().message(), ")")));
  }
  absl::StatusOr<Problem> p = ParseProblem(record, where);
  if (!p.ok()) return p.status();
  for (const auto& [field, text] : raw_inputs) {
    // MBPP+ task 802 (line 364) has `"plus_input": {}`: no inputs, as EvalPlus reads it.
    if (text == "null" || text == "{}") {
      if (field == "base_input" && text == "{}") p->has_inputs = true;
      continue;
    }
    absl::StatusOr<std::vector<std::string>> elements = RawArrayElements(text);
    if (!elements.ok()) {
      return FieldError(where, field, absl::StrCat("must be a list (",
                                                  elements.status().message(), ")"));
    }
    for (const std::string& e : *elements) {
      if (e.empty() || e[0] != '[') {
        return FieldError(where, field, "must hold argument lists");
      }
    }
    if (field == "base_input") {
      p->base_inputs = *std::move(elements);
      p->has_inputs = true;
    } else {
      p->plus_inputs = *std::move(elements);
    }
  }
  return p;
}

absl::StatusOr<ProblemSet> LoadProblems(const std::string& path) {
  absl::StatusOr<LineReader> reader = LineReader::Open(path);
  if (!reader.ok()) return reader.status();
  ProblemSet set;
  set.path = path;
  Sha256 hash;
  std::string line;
  int64_t line_number = 0;
  while (reader->Next(&line, &line_number)) {
    hash.Update(line);
    hash.Update("\n");
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string where = absl::StrCat(path, ":", line_number);
    absl::StatusOr<Problem> p = ParseProblemLine(line, where);
    if (!p.ok()) return p.status();
    p->line = line_number;
    if (set.by_id.count(p->task_id) > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": duplicate task_id ", p->task_id));
    }
    set.by_id[p->task_id] = set.problems.size();
    set.problems.push_back(*std::move(p));
  }
  if (!reader->status().ok()) return reader->status();
  if (set.problems.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no problems"));
  }
  set.content_sha256 = hash.FinalHex();
  return set;
}

}  // namespace fathom::grader
