// Registry: reads benchmarks/*.yaml and benchmarks/shots/** (from a folder or from the
// copies built into the binary) into Benchmarks, checking every key and value.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "driver/bench/agieval_shots.h"
#include "driver/bench/definition.h"
#include "driver/bench/embedded_registry.h"
#include "driver/bench/py_text.h"
#include "driver/bench/yaml_util.h"
#include "driver/benchmark.h"
#include "grader/formats/sha256.h"

namespace fathom::driver {
namespace {

using bench::AnswerFormat;
using bench::Definition;
using bench::Extractor;
using bench::Family;
using bench::Matcher;
using bench::YamlFile;

// Registry files by path relative to the registry root ("mmlu.yaml", "shots/gsm8k.jsonl").
using FileMap = std::map<std::string, std::string>;

#define RETURN_IF_ERROR(expr)          \
  do {                                 \
    absl::Status _st = (expr);         \
    if (!_st.ok()) return _st;         \
  } while (0)
#define ASSIGN_OR_RETURN(lhs, expr)    \
  auto lhs##_or = (expr);              \
  if (!lhs##_or.ok()) return lhs##_or.status(); \
  auto lhs = std::move(*lhs##_or)

template <typename E>
absl::StatusOr<E> Lookup(const YamlFile& f, const YAML::Node& node, std::string_view key,
                         const std::vector<std::pair<std::string_view, E>>& table) {
  const std::string v = node.Scalar();
  for (const auto& [name, value] : table) {
    if (name == v) return value;
  }
  std::vector<std::string> names;
  for (const auto& [name, value] : table) names.emplace_back(name);
  return f.Error(node, key,
                 absl::StrCat("unknown value '", v, "' (known: ", absl::StrJoin(names, ", "), ")"));
}

const std::vector<std::pair<std::string_view, Family>> kFamilies = {
    {"multiple_choice", Family::kMultipleChoice}, {"reading_mc", Family::kReadingMC},
    {"reading_qa", Family::kReadingQA},           {"qa", Family::kQA},
    {"lambada", Family::kLambada},                {"bbh", Family::kBBH},
    {"math_cot", Family::kMathCoT},               {"agieval", Family::kAgieval},
    {"humaneval", Family::kHumanEval},            {"mbpp", Family::kMbpp},
    {"plain", Family::kPlain},
};
const std::vector<std::pair<std::string_view, Extractor>> kExtractors = {
    {"raw", Extractor::kRaw},
    {"mc_letter", Extractor::kMcLetter},
    {"mc_letter_raw", Extractor::kMcLetterRaw},
    {"mc_letter_strict", Extractor::kMcLetterStrict},
    {"ceval_letter", Extractor::kCevalLetter},
    {"lambada_word", Extractor::kLambadaWord},
    {"lambada_word_strict", Extractor::kLambadaWordStrict},
    {"bbh_answer", Extractor::kBbhAnswer},
    {"bbh_answer_strict", Extractor::kBbhAnswerStrict},
    {"gsm8k_digits", Extractor::kGsm8kDigits},
    {"mgsm_number", Extractor::kMgsmNumber},
    {"last_number", Extractor::kLastNumber},
    {"math_boxed", Extractor::kMathBoxed},
    {"agieval", Extractor::kAgieval},
    {"agieval_strict", Extractor::kAgievalStrict},
    {"first_line", Extractor::kFirstLine},
};
const std::vector<std::pair<std::string_view, Matcher>> kMatchers = {
    {"prefix", Matcher::kPrefix},          {"exact", Matcher::kExact},
    {"fuzzy", Matcher::kFuzzy},            {"contains", Matcher::kContains},
    {"drop_official", Matcher::kDropOfficial}, {"numeric", Matcher::kNumeric},
    {"math_faithful", Matcher::kMathFaithful}, {"math_equiv", Matcher::kMathEquiv},
};
const std::vector<std::pair<std::string_view, AnswerFormat>> kAnswerFormats = {
    {"index", AnswerFormat::kIndex},         {"letter", AnswerFormat::kLetter},
    {"index_or_letter", AnswerFormat::kIndexOrLetter}, {"one_based", AnswerFormat::kOneBased},
    {"label_of", AnswerFormat::kLabelOf},    {"one_hot", AnswerFormat::kOneHot},
};
const std::vector<std::pair<std::string_view, Scoring>> kScorings = {
    {"judge", Scoring::kJudge}, {"code", Scoring::kCode}, {"external", Scoring::kExternal}};
const std::vector<std::pair<std::string_view, ShotSource::Kind>> kShotKinds = {
    {"none", ShotSource::Kind::kNone},
    {"split", ShotSource::Kind::kSplit},
    {"builtin", ShotSource::Kind::kBuiltin},
    {"test_head", ShotSource::Kind::kTestHead},
};
const std::vector<std::pair<std::string_view, int>> kCategories = {
    {"Knowledge", 0}, {"Reasoning", 1},    {"Comprehension", 2}, {"Math", 3},
    {"Coding", 4},    {"Multilingual", 5}, {"Safety", 6}};
const std::vector<std::pair<std::string_view, int>> kMetrics = {
    {"accuracy", 0}, {"f1", 1}, {"pass@k", 2}, {"toxicity", 3}};

// Rows of a shipped exemplar file: JSONL objects, or one {"text": ...} row for .txt.
absl::StatusOr<std::vector<Row>> ParseShotFile(const std::string& path,
                                               const std::string& content) {
  std::vector<Row> rows;
  if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".txt") == 0) {
    Row r;
    r.id = "0";
    r.fields = {{"text", content}};
    r.source = path + ":1";
    rows.push_back(std::move(r));
    return rows;
  }
  std::istringstream in(content);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (bench::PyStrip(line).empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": not a JSON object"));
    }
    Row r;
    r.id = std::to_string(rows.size());
    r.fields = std::move(j);
    r.source = absl::StrCat(path, ":", n);
    rows.push_back(std::move(r));
  }
  return rows;
}

absl::StatusOr<ShotSource> ParseShots(const YamlFile& f, const YAML::Node& n) {
  RETURN_IF_ERROR(f.CheckKeys(n, "shots", {"kind", "split", "file", "count", "holdout"}));
  ShotSource s;
  if (!n["kind"].IsDefined()) return f.Error(n, "kind", "required, missing");
  ASSIGN_OR_RETURN(kind, Lookup(f, n["kind"], "kind", kShotKinds));
  s.kind = kind;
  ASSIGN_OR_RETURN(split, f.String(n, "split"));
  ASSIGN_OR_RETURN(file, f.String(n, "file"));
  ASSIGN_OR_RETURN(count, f.Int(n, "count"));
  ASSIGN_OR_RETURN(holdout, f.Int(n, "holdout"));
  s.split = split.value_or("");
  s.file = file.value_or("");
  s.count = count.value_or(0);
  s.holdout = holdout.value_or(0);
  if (s.count < 0) return f.Error(n["count"], "count", "must be >= 0");
  if (s.kind == ShotSource::Kind::kSplit && s.split.empty()) {
    return f.Error(n, "split", "required for kind: split");
  }
  if (s.kind == ShotSource::Kind::kBuiltin && s.file.empty()) {
    return f.Error(n, "file", "required for kind: builtin");
  }
  if (s.kind == ShotSource::Kind::kNone && s.count != 0) {
    return f.Error(n["count"], "count", "must be 0 for kind: none");
  }
  if (s.kind != ShotSource::Kind::kTestHead && s.holdout != 0) {
    return f.Error(n["holdout"], "holdout", "only for kind: test_head");
  }
  return s;
}

absl::StatusOr<Definition> ParseDefinition(const YamlFile& f, const FileMap& files) {
  const YAML::Node& root = f.root();
  RETURN_IF_ERROR(f.CheckKeys(
      root, "benchmark",
      {"name", "aliases", "title", "category", "setting", "metric", "higher_is_better",
       "scoring", "eval_split", "subtask_field", "subtasks", "id_field", "csv_columns",
       "schema", "shots", "decoding", "pass_at_k", "template", "fields", "shot_fields",
       "answer_format", "answer_labels", "gold", "extractor", "matcher", "score", "suites",
       "order"}));
  Definition d;
  BenchmarkInfo& info = d.info;
  ASSIGN_OR_RETURN(name, f.RequiredString(root, "name"));
  info.name = name;
  ASSIGN_OR_RETURN(aliases, f.StringList(root, "aliases"));
  info.aliases = aliases.value_or(std::vector<std::string>{});
  ASSIGN_OR_RETURN(title, f.RequiredString(root, "title"));
  info.title = title;
  ASSIGN_OR_RETURN(category, f.RequiredString(root, "category"));
  RETURN_IF_ERROR(Lookup(f, root["category"], "category", kCategories).status());
  info.category = category;
  ASSIGN_OR_RETURN(setting, f.String(root, "setting"));
  info.setting = setting.value_or("");
  ASSIGN_OR_RETURN(metric, f.RequiredString(root, "metric"));
  RETURN_IF_ERROR(Lookup(f, root["metric"], "metric", kMetrics).status());
  info.metric = metric;
  ASSIGN_OR_RETURN(hib, f.Bool(root, "higher_is_better"));
  info.higher_is_better = hib.value_or(true);
  if (!root["scoring"].IsDefined()) return f.Error(root, "scoring", "required, missing");
  ASSIGN_OR_RETURN(scoring, Lookup(f, root["scoring"], "scoring", kScorings));
  info.scoring = scoring;
  ASSIGN_OR_RETURN(eval_split, f.RequiredString(root, "eval_split"));
  info.eval_split = eval_split;
  ASSIGN_OR_RETURN(subtask_field, f.String(root, "subtask_field"));
  info.subtask_field = subtask_field.value_or("");
  ASSIGN_OR_RETURN(subtasks, f.StringList(root, "subtasks"));
  info.subtasks = subtasks.value_or(std::vector<std::string>{});
  if (!info.subtasks.empty() && info.subtask_field.empty()) {
    return f.Error(root["subtasks"], "subtasks", "needs subtask_field");
  }
  ASSIGN_OR_RETURN(id_field, f.String(root, "id_field"));
  info.id_field = id_field.value_or("");
  ASSIGN_OR_RETURN(csv_columns, f.StringList(root, "csv_columns"));
  info.csv_columns = csv_columns.value_or(std::vector<std::string>{});
  ASSIGN_OR_RETURN(schema, f.StringMap(root, "schema"));
  if (!schema || schema->empty()) return f.Error(root, "schema", "required, missing");
  info.schema = *schema;
  ASSIGN_OR_RETURN(suites, f.StringList(root, "suites"));
  info.suites = suites.value_or(std::vector<std::string>{});
  ASSIGN_OR_RETURN(order, f.Int(root, "order"));
  info.order = order.value_or(1000);
  ASSIGN_OR_RETURN(pass_at_k, f.IntList(root, "pass_at_k"));
  info.pass_at_k = pass_at_k.value_or(std::vector<int>{});
  if (info.scoring == Scoring::kCode && info.pass_at_k.empty()) {
    return f.Error(root, "pass_at_k", "required for scoring: code");
  }

  // decoding
  const YAML::Node dec = root["decoding"];
  if (!dec.IsDefined()) return f.Error(root, "decoding", "required, missing");
  RETURN_IF_ERROR(f.CheckKeys(dec, "decoding", {"max_tokens", "temperature", "top_p", "n", "stop"}));
  ASSIGN_OR_RETURN(max_tokens, f.Int(dec, "max_tokens"));
  if (!max_tokens || *max_tokens <= 0) return f.Error(dec, "max_tokens", "required, > 0");
  info.decoding.max_tokens = *max_tokens;
  ASSIGN_OR_RETURN(temperature, f.Double(dec, "temperature"));
  info.decoding.temperature = temperature.value_or(0.0);
  if (info.decoding.temperature < 0 || info.decoding.temperature > 2) {
    return f.Error(dec["temperature"], "temperature", "must be in [0, 2]");
  }
  ASSIGN_OR_RETURN(top_p, f.Double(dec, "top_p"));
  info.decoding.top_p = top_p.value_or(1.0);
  ASSIGN_OR_RETURN(n, f.Int(dec, "n"));
  info.decoding.n = n.value_or(1);
  if (info.decoding.n <= 0) return f.Error(dec["n"], "n", "must be > 0");
  ASSIGN_OR_RETURN(stop, f.StringList(dec, "stop"));
  info.decoding.stop = stop.value_or(std::vector<std::string>{});

  // shots
  const YAML::Node shots = root["shots"];
  if (!shots.IsDefined()) return f.Error(root, "shots", "required, missing");
  RETURN_IF_ERROR(f.CheckKeys(shots, "shots", {"faithful", "strict"}));
  if (!shots["faithful"].IsDefined()) return f.Error(shots, "faithful", "required, missing");
  ASSIGN_OR_RETURN(sf, ParseShots(f, shots["faithful"]));
  d.shots_faithful = sf;
  d.shots_strict = sf;
  if (shots["strict"].IsDefined()) {
    ASSIGN_OR_RETURN(ss, ParseShots(f, shots["strict"]));
    d.shots_strict = ss;
  }

  // template
  const YAML::Node t = root["template"];
  if (!t.IsDefined()) return f.Error(root, "template", "required, missing");
  RETURN_IF_ERROR(f.CheckKeys(t, "template", {"family", "instruction", "system", "answer_prompt",
                                              "language", "types", "marker"}));
  if (!t["family"].IsDefined()) return f.Error(t, "family", "required, missing");
  ASSIGN_OR_RETURN(family, Lookup(f, t["family"], "family", kFamilies));
  d.tmpl.family = family;
  ASSIGN_OR_RETURN(instruction, f.String(t, "instruction"));
  d.tmpl.instruction = instruction.value_or("");
  ASSIGN_OR_RETURN(system, f.String(t, "system"));
  d.tmpl.system = system.value_or("");
  ASSIGN_OR_RETURN(answer_prompt, f.Bool(t, "answer_prompt"));
  d.tmpl.answer_prompt = answer_prompt.value_or(false);
  ASSIGN_OR_RETURN(language, f.String(t, "language"));
  d.tmpl.language = language.value_or("en");
  if (d.tmpl.language != "en" && d.tmpl.language != "zh") {
    return f.Error(t["language"], "language", "expected en or zh");
  }
  ASSIGN_OR_RETURN(types, f.StringMap(t, "types"));
  for (const auto& [task, type] : types.value_or(std::vector<std::pair<std::string, std::string>>{})) {
    if (type != "MC" && type != "IMC" && type != "Cloze") {
      return f.Error(t["types"][task], task, "expected MC, IMC or Cloze");
    }
    d.tmpl.types[task] = type;
  }
  ASSIGN_OR_RETURN(marker, f.String(t, "marker"));
  d.tmpl.marker = marker.value_or("");
  if ((family == Family::kQA || family == Family::kLambada) && d.tmpl.system.empty()) {
    return f.Error(t, "system", "required for this family");
  }
  if (family == Family::kMultipleChoice && d.tmpl.instruction.empty()) {
    return f.Error(t, "instruction", "required for this family");
  }

  // fields
  for (const char* key : {"fields", "shot_fields"}) {
    ASSIGN_OR_RETURN(m, f.StringMap(root, key));
    auto& dst = std::string_view(key) == "fields" ? d.fields : d.shot_fields;
    for (auto& [role, path] : m.value_or(std::vector<std::pair<std::string, std::string>>{})) {
      dst[role] = path;
    }
  }
  if (root["answer_format"].IsDefined()) {
    ASSIGN_OR_RETURN(af, Lookup(f, root["answer_format"], "answer_format", kAnswerFormats));
    d.answer_format = af;
  }
  ASSIGN_OR_RETURN(labels, f.String(root, "answer_labels"));
  d.answer_labels = labels.value_or("");
  if (d.answer_format == AnswerFormat::kLabelOf && d.answer_labels.empty()) {
    return f.Error(root, "answer_labels", "required for answer_format: label_of");
  }
  ASSIGN_OR_RETURN(gold, f.String(root, "gold"));
  d.gold = gold.value_or("plain");
  if (d.gold != "plain" && d.gold != "solution" && d.gold != "boxed") {
    return f.Error(root["gold"], "gold", "expected plain, solution or boxed");
  }
  ASSIGN_OR_RETURN(score, f.String(root, "score"));
  d.score = score.value_or("accuracy");
  if (d.score != "accuracy" && d.score != "f1") {
    return f.Error(root["score"], "score", "expected accuracy or f1");
  }

  // scoring rules
  if (info.scoring == Scoring::kJudge) {
    for (const char* key : {"extractor", "matcher"}) {
      const YAML::Node n = root[key];
      if (!n.IsDefined()) return f.Error(root, key, "required for scoring: judge");
      RETURN_IF_ERROR(f.CheckKeys(n, key, {"faithful", "strict"}));
      for (const char* mode : {"faithful", "strict"}) {
        if (!n[mode].IsDefined()) return f.Error(n, mode, "required, missing");
        auto& rule = std::string_view(mode) == "faithful" ? d.faithful : d.strict;
        if (std::string_view(key) == "extractor") {
          ASSIGN_OR_RETURN(e, Lookup(f, n[mode], mode, kExtractors));
          rule.extractor = e;
        } else {
          ASSIGN_OR_RETURN(m, Lookup(f, n[mode], mode, kMatchers));
          rule.matcher = m;
        }
      }
    }
  }

  // shipped exemplars
  for (const ShotSource* src : {&d.shots_faithful, &d.shots_strict}) {
    if (src->kind != ShotSource::Kind::kBuiltin) continue;
    std::vector<std::string> keys = {""};
    if (src->file.find("{subtask}") != std::string::npos) keys = info.subtasks;
    for (const std::string& key : keys) {
      if (d.builtin_shots.count(key)) continue;
      const std::string path = absl::StrReplaceAll(src->file, {{"{subtask}", key}});
      auto it = files.find(path);
      if (it != files.end()) d.shot_files.push_back(path);
      if (it != files.end() && path.size() > 4 && path.compare(path.size() - 4, 4, ".csv") == 0) {
        // AGIEval's few_shot_prompts.csv: every task's exemplars in one file.
        ASSIGN_OR_RETURN(tasks, bench::ParseAgievalFewShotCsv(path, it->second));
        for (auto& [task, rows] : tasks) d.builtin_shots[task] = std::move(rows);
        break;
      }
      // A missing file is not a load error: BuildPrompt fails for that sub-task only
      // (the registry test checks that every shipped benchmark has its exemplars).
      if (it == files.end()) continue;
      ASSIGN_OR_RETURN(rows, ParseShotFile(path, it->second));
      d.builtin_shots[key] = std::move(rows);
    }
  }
  return d;
}

absl::Status LoadFiles(const FileMap& files, std::vector<std::unique_ptr<Benchmark>>* out,
                       std::string* hash) {
  grader::Sha256 sha;
  for (const auto& [path, content] : files) {
    sha.UpdateField(path);
    sha.UpdateField(content);
  }
  *hash = sha.FinalHex();
  std::map<std::string, std::string> names;  // name or alias -> file
  for (const auto& [path, content] : files) {
    if (path.find('/') != std::string::npos) continue;
    if (path.size() < 5 || path.compare(path.size() - 5, 5, ".yaml") != 0) continue;
    absl::StatusOr<YamlFile> f = YamlFile::Parse(path, content);
    if (!f.ok()) return f.status();
    absl::StatusOr<Definition> d = ParseDefinition(*f, files);
    if (!d.ok()) return d.status();
    // This benchmark's own part of the registry: what `fathom compare` checks two runs
    // agree on (a template or extractor edit changes it; another benchmark's edit does not).
    grader::Sha256 def_sha;
    def_sha.UpdateField(content);
    for (const std::string& shot : d->shot_files) {
      def_sha.UpdateField(shot);
      def_sha.UpdateField(files.at(shot));
    }
    d->info.definition_sha256 = def_sha.FinalHex();
    std::vector<std::string> keys = d->info.aliases;
    keys.push_back(d->info.name);
    for (const std::string& k : keys) {
      auto [it, inserted] = names.emplace(k, path);
      if (!inserted) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":1:1: name: '", k, "' is also defined by ", it->second));
      }
    }
    out->push_back(bench::MakeBenchmark(std::move(*d)));
  }
  std::stable_sort(out->begin(), out->end(), [](const auto& a, const auto& b) {
    if (a->info().order != b->info().order) return a->info().order < b->info().order;
    return a->info().name < b->info().name;
  });
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Registry> Registry::Load(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat(dir, ": not a directory"));
  }
  FileMap files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const std::string rel = fs::relative(it->path(), dir).generic_string();
    const bool yaml = rel.find('/') == std::string::npos &&
                      rel.size() > 5 && rel.compare(rel.size() - 5, 5, ".yaml") == 0;
    if (!yaml && rel.rfind("shots/", 0) != 0) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream buf;
    buf << in.rdbuf();
    if (!in && !in.eof()) return absl::InternalError(absl::StrCat(it->path().string(), ": cannot read"));
    files[rel] = buf.str();
  }
  if (ec) return absl::InternalError(absl::StrCat(dir, ": ", ec.message()));
  Registry r;
  RETURN_IF_ERROR(LoadFiles(files, &r.benchmarks_, &r.hash_));
  if (r.benchmarks_.empty()) return absl::NotFoundError(absl::StrCat(dir, ": no *.yaml benchmark definitions"));
  return r;
}

absl::StatusOr<Registry> Registry::LoadBuiltin() {
  FileMap files;
  for (size_t i = 0; i < bench::kEmbeddedRegistryFileCount; ++i) {
    const bench::EmbeddedFile& e = bench::kEmbeddedRegistryFiles[i];
    files[e.path] = std::string(reinterpret_cast<const char*>(e.data), e.size);
  }
  Registry r;
  RETURN_IF_ERROR(LoadFiles(files, &r.benchmarks_, &r.hash_));
  return r;
}

const Benchmark* Registry::Find(std::string_view name) const {
  for (const auto& b : benchmarks_) {
    if (b->info().name == name) return b.get();
  }
  for (const auto& b : benchmarks_) {
    for (const std::string& a : b->info().aliases) {
      if (a == name) return b.get();
    }
  }
  return nullptr;
}

std::vector<const Benchmark*> Registry::All() const {
  std::vector<const Benchmark*> out;
  for (const auto& b : benchmarks_) out.push_back(b.get());
  return out;
}

std::vector<const Benchmark*> Registry::Suite(std::string_view suite) const {
  std::vector<const Benchmark*> out;
  for (const auto& b : benchmarks_) {
    const auto& s = b->info().suites;
    if (std::find(s.begin(), s.end(), suite) != s.end()) out.push_back(b.get());
  }
  return out;
}

std::string_view ModeName(Mode mode) {
  return mode == Mode::kStrict ? "strict" : "faithful";
}

}  // namespace fathom::driver
