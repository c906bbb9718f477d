// The Benchmark behind every YAML definition: prompt families, extractors and matchers
// dispatched on the closed enums of definition.h. Each family reproduces the text one
// GPT-Fathom eval class builds (file named at each family).
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "driver/bench/definition.h"
#include "driver/bench/drop_metric.h"
#include "driver/bench/math_equiv.h"
#include "driver/bench/py_random.h"
#include "driver/bench/py_text.h"
#include "driver/bench/scoring.h"

namespace fathom::driver::bench {
namespace {

// A fresh random.Random(47), as GPT-Fathom makes one per item: seeding (init_by_array)
// costs more than the shuffle, so the seeded state is built once and copied.
PyRandom Random47() {
  static const PyRandom seeded(47);
  return seeded;
}

using nlohmann::json;

constexpr std::string_view kChatSystem =
    "Follow the given instructions and examples, answer the question.";
constexpr std::string_view kReadingInstruction =
    "The following are questions (with answers) about reading comprehension. ";
constexpr std::string_view kMathInstruction =
    "Follow the given examples and answer the question.";
constexpr std::string_view kLetterLine = "\nPlease answer with the letter of the correct answer.\n";

// --- field paths -----------------------------------------------------------------------
// A path spec is "a.b" (dotted keys, integer segments index lists), "a|b" (the first that
// exists), "a+b" (lists concatenated) or "A,B,C,D" (scalar fields gathered into a list).

const json* Dotted(const json& row, std::string_view path) {
  const json* cur = &row;
  for (const std::string& seg : SplitOn(path, ".")) {
    if (cur->is_object()) {
      auto it = cur->find(seg);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array() && !seg.empty() &&
               std::all_of(seg.begin(), seg.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      const size_t i = std::stoul(seg);
      if (i >= cur->size()) return nullptr;
      cur = &(*cur)[i];
    } else {
      return nullptr;
    }
  }
  return cur;
}

std::optional<json> Resolve(const json& row, std::string_view spec) {
  for (const std::string& alt : SplitOn(spec, "|")) {
    if (alt.find(',') != std::string::npos) {
      json list = json::array();
      bool ok = true;
      for (const std::string& p : SplitOn(alt, ",")) {
        const json* v = Dotted(row, p);
        if (v == nullptr) {
          ok = false;
          break;
        }
        list.push_back(*v);
      }
      if (ok) return list;
      continue;
    }
    if (alt.find('+') != std::string::npos) {
      json list = json::array();
      bool ok = true;
      for (const std::string& p : SplitOn(alt, "+")) {
        const json* v = Dotted(row, p);
        if (v == nullptr || !v->is_array()) {
          ok = false;
          break;
        }
        for (const json& e : *v) list.push_back(e);
      }
      if (ok) return list;
      continue;
    }
    if (const json* v = Dotted(row, alt)) return *v;
  }
  return std::nullopt;
}

std::string Scalar(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_null()) return "";
  return v.dump();
}

// --- the benchmark ---------------------------------------------------------------------

class DefinedBenchmark final : public Benchmark {
 public:
  explicit DefinedBenchmark(Definition def) : def_(std::move(def)) {}

  const BenchmarkInfo& info() const override { return def_.info; }
  ShotSource shots(Mode mode) const override {
    return mode == Mode::kStrict ? def_.shots_strict : def_.shots_faithful;
  }
  std::vector<Row> BuiltinShots(std::string_view subtask, Mode mode) const override {
    const ShotSource src = shots(mode);
    if (src.kind != ShotSource::Kind::kBuiltin) return {};
    auto it = def_.builtin_shots.find(std::string(subtask));
    if (it == def_.builtin_shots.end()) it = def_.builtin_shots.find("");
    if (it == def_.builtin_shots.end()) return {};
    return it->second;
  }
  absl::Status CheckRow(const Row& row) const override;
  absl::StatusOr<Prompt> BuildPrompt(const Row& row, std::span<const Row> shot_rows, int shots,
                                     Mode mode) const override;
  Judgement Judge(const Row& row, std::string_view completion, Mode mode) const override;
  absl::StatusOr<CodeProgram> Program(const Row& row, std::string_view completion, Mode mode,
                                      Api api) const override {
    return ProgramForModel(row, completion, mode, api, "");
  }
  absl::StatusOr<CodeProgram> ProgramForModel(const Row& row, std::string_view completion,
                                              Mode mode, Api api,
                                              std::string_view model) const override;

 private:
  // The field for `role`, from `fields` (eval rows) or `shot_fields` (exemplars).
  std::optional<json> Field(const Row& row, std::string_view role, bool shot = false) const {
    const auto& map = shot && !def_.shot_fields.empty() ? def_.shot_fields : def_.fields;
    auto it = map.find(std::string(role));
    const std::string spec = it == map.end() ? std::string(role) : it->second;
    return Resolve(row.fields, spec);
  }
  std::string Str(const Row& row, std::string_view role, bool shot = false) const {
    std::optional<json> v = Field(row, role, shot);
    return v ? Scalar(*v) : "";
  }
  std::vector<std::string> StrList(const Row& row, std::string_view role,
                                   bool shot = false) const {
    std::vector<std::string> out;
    std::optional<json> v = Field(row, role, shot);
    if (!v) return out;
    if (v->is_array()) {
      for (const json& e : *v) out.push_back(Scalar(e));
    } else if (!v->is_null()) {
      out.push_back(Scalar(*v));
    }
    return out;
  }
  absl::StatusOr<int> AnswerIndex(const Row& row, size_t n_choices, bool shot = false) const;
  AgievalType AgiType(const std::string& subtask) const {
    auto it = def_.tmpl.types.find(subtask);
    if (it == def_.tmpl.types.end()) return AgievalType::kMC;
    if (it->second == "IMC") return AgievalType::kIMC;
    if (it->second == "Cloze") return AgievalType::kCloze;
    return AgievalType::kMC;
  }
  std::string Instruction(const Row& row) const {
    std::string words = row.subtask;
    std::replace(words.begin(), words.end(), '_', ' ');
    return absl::StrReplaceAll(def_.tmpl.instruction,
                               {{"{subtask_words}", words}, {"{subtask}", row.subtask}});
  }
  // The gold strings as GPT-Fathom's match event expects them.
  std::vector<std::string> Gold(const Row& row) const;
  std::string McOptions(const Row& row, PyRandom& rng, bool shot, std::string* gold_letter,
                        std::string* ans_ctx) const;

  std::string PromptMultipleChoice(const Row& row, std::span<const Row> shots) const;
  std::string PromptReadingMC(const Row& row, std::span<const Row> shots) const;
  std::string PromptReadingQA(const Row& row, std::span<const Row> shots) const;
  std::string PromptQA(const Row& row, std::span<const Row> shots) const;
  std::string PromptBBH(const Row& row, std::span<const Row> shots, int n) const;
  std::string PromptMath(const Row& row, std::span<const Row> shots) const;
  std::string PromptAgieval(const Row& row, std::span<const Row> shots) const;
  std::string PromptMbpp(const Row& row, std::span<const Row> shots) const;

  Definition def_;
};

absl::StatusOr<int> DefinedBenchmark::AnswerIndex(const Row& row, size_t n,
                                                  bool shot) const {
  std::optional<json> v = Field(row, "answer", shot);
  if (!v) return absl::InvalidArgumentError("answer: missing");
  auto in_range = [&](long long i) -> absl::StatusOr<int> {
    if (i < 0 || static_cast<size_t>(i) >= n) {
      return absl::InvalidArgumentError(absl::StrCat(
          "answer: expected an integer in [0, ", n == 0 ? 0 : n - 1, "], got ", i));
    }
    return static_cast<int>(i);
  };
  auto letter = [&](const std::string& s) -> absl::StatusOr<int> {
    if (s.size() == 1 && s[0] >= 'A' && s[0] <= 'Z') return in_range(s[0] - 'A');
    return absl::InvalidArgumentError(
        absl::StrCat("answer: expected a letter A-", std::string(1, 'A' + (n ? n - 1 : 0)),
                     ", got ", v->dump()));
  };
  auto integer = [&](int offset) -> absl::StatusOr<int> {
    if (v->is_number_integer()) return in_range(v->get<long long>() - offset);
    if (v->is_string()) {
      const std::string s = v->get<std::string>();
      if (!s.empty() && s.size() < 10 &&
          std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return in_range(std::stoll(s) - offset);
      }
    }
    return absl::InvalidArgumentError(absl::StrCat("answer: expected an integer, got ", v->dump()));
  };
  switch (def_.answer_format) {
    case AnswerFormat::kIndex:
      return integer(0);
    case AnswerFormat::kOneBased:
      return integer(1);
    case AnswerFormat::kLetter:
      if (!v->is_string()) return letter("");
      return letter(v->get<std::string>());
    case AnswerFormat::kIndexOrLetter:
      if (v->is_string() && !v->get<std::string>().empty() && v->get<std::string>()[0] >= 'A') {
        return letter(v->get<std::string>());
      }
      return integer(0);
    case AnswerFormat::kLabelOf: {
      std::optional<json> labels = Resolve(row.fields, def_.answer_labels);
      if (!labels || !labels->is_array()) {
        return absl::InvalidArgumentError(absl::StrCat(def_.answer_labels, ": missing"));
      }
      for (size_t i = 0; i < labels->size(); ++i) {
        if ((*labels)[i] == *v) return in_range(static_cast<long long>(i));
      }
      return absl::InvalidArgumentError(
          absl::StrCat("answer: ", v->dump(), " is not one of ", def_.answer_labels));
    }
    case AnswerFormat::kOneHot:
      if (v->is_array()) {
        for (size_t i = 0; i < v->size(); ++i) {
          if ((*v)[i] == 1) return in_range(static_cast<long long>(i));
        }
      }
      return absl::InvalidArgumentError("answer: expected a list of labels with one 1");
  }
  return absl::InvalidArgumentError("answer: unsupported format");
}

absl::Status DefinedBenchmark::CheckRow(const Row& row) const {
  if (!row.fields.is_object()) return absl::InvalidArgumentError("row: expected a JSON object");
  auto need_string = [&](std::string_view role) -> absl::Status {
    std::optional<json> v = Field(row, role);
    auto it = def_.fields.find(std::string(role));
    const std::string name = it == def_.fields.end() ? std::string(role) : it->second;
    if (!v) return absl::InvalidArgumentError(absl::StrCat(name, ": missing"));
    if (!v->is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": expected a string, got ", v->type_name()));
    }
    return absl::OkStatus();
  };
  auto need_list = [&](std::string_view role, bool allow_empty) -> absl::Status {
    std::optional<json> v = Field(row, role);
    auto it = def_.fields.find(std::string(role));
    const std::string name = it == def_.fields.end() ? std::string(role) : it->second;
    if (!v) return absl::InvalidArgumentError(absl::StrCat(name, ": missing"));
    if (!v->is_array()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": expected a list, got ", v->type_name()));
    }
    if (!allow_empty && v->empty()) return absl::InvalidArgumentError(absl::StrCat(name, ": empty"));
    for (const json& e : *v) {
      if (!e.is_string()) {
        return absl::InvalidArgumentError(absl::StrCat(name, ": expected strings, got ", e.type_name()));
      }
    }
    return absl::OkStatus();
  };
#define FATHOM_CHECK(expr)               \
  do {                                   \
    absl::Status _s = (expr);            \
    if (!_s.ok()) return _s;             \
  } while (0)
  switch (def_.tmpl.family) {
    case Family::kMultipleChoice:
    case Family::kReadingMC: {
      if (def_.tmpl.family == Family::kReadingMC) FATHOM_CHECK(need_string("passage"));
      FATHOM_CHECK(need_string("question"));
      FATHOM_CHECK(need_list("choices", false));
      if (Field(row, "choices")->size() > 26) {
        return absl::InvalidArgumentError("choices: more than 26 options");
      }
      absl::StatusOr<int> a = AnswerIndex(row, Field(row, "choices")->size());
      if (!a.ok()) return a.status();
      return absl::OkStatus();
    }
    case Family::kReadingQA:
      FATHOM_CHECK(need_string("passage"));
      FATHOM_CHECK(need_string("question"));
      FATHOM_CHECK(need_list("answers", false));
      return absl::OkStatus();
    case Family::kQA:
      FATHOM_CHECK(need_string("question"));
      FATHOM_CHECK(need_list("answers", true));
      return absl::OkStatus();
    case Family::kLambada:
      FATHOM_CHECK(need_string("text"));
      if (PySplit(Str(row, "text")).size() < 2) {
        return absl::InvalidArgumentError("text: fewer than two words");
      }
      return absl::OkStatus();
    case Family::kBBH:
      FATHOM_CHECK(need_string("input"));
      FATHOM_CHECK(need_string("target"));
      return absl::OkStatus();
    case Family::kMathCoT: {
      FATHOM_CHECK(need_string("question"));
      std::optional<json> a = Field(row, "answer");
      if (!a) return absl::InvalidArgumentError(absl::StrCat(def_.fields.count("answer") ? def_.fields.at("answer") : "answer", ": missing"));
      if (!a->is_string() && !a->is_number()) {
        return absl::InvalidArgumentError(absl::StrCat("answer: expected a string or number, got ", a->type_name()));
      }
      if (def_.gold == "solution" && !Gsm8kGold(Scalar(*a))) {
        return absl::InvalidArgumentError("answer: no \"####\" before the final answer");
      }
      if (def_.gold == "boxed" && !RemoveBoxed(LastBoxedOnlyString(Scalar(*a)))) {
        return absl::InvalidArgumentError("solution: no \\boxed{...} answer");
      }
      return absl::OkStatus();
    }
    case Family::kAgieval: {
      FATHOM_CHECK(need_string("question"));
      const AgievalType t = AgiType(row.subtask);
      if (t == AgievalType::kCloze) {
        FATHOM_CHECK(need_string("answer"));
      } else {
        FATHOM_CHECK(need_list("options", false));
        std::optional<json> l = Field(row, "label");
        if (!l || !(l->is_string() || l->is_array())) {
          return absl::InvalidArgumentError("label: expected a letter or a list of letters");
        }
      }
      return absl::OkStatus();
    }
    case Family::kHumanEval:
      FATHOM_CHECK(need_string("prompt"));
      FATHOM_CHECK(need_string("test"));
      FATHOM_CHECK(need_string("entry_point"));
      return absl::OkStatus();
    case Family::kMbpp:
      FATHOM_CHECK(need_string("prompt"));
      FATHOM_CHECK(need_list("test_list", false));
      return absl::OkStatus();
    case Family::kPlain:
      FATHOM_CHECK(need_string("text"));
      return absl::OkStatus();
  }
#undef FATHOM_CHECK
  return absl::OkStatus();
}

// formatting.make_abc: "(A) text\n(B) text...", the gold letter and "(L) gold text".
std::string DefinedBenchmark::McOptions(const Row& row, PyRandom& rng, bool shot,
                                        std::string* gold_letter, std::string* ans_ctx) const {
  const std::vector<std::string> answers = StrList(row, "choices", shot);
  const int correct = AnswerIndex(row, answers.size(), shot).value_or(0);
  const std::vector<int> p = ShuffledOrder(static_cast<int>(answers.size()), rng);
  std::string options;
  int gold_pos = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (i > 0) options += "\n";
    options += absl::StrCat("(", std::string(1, 'A' + i), ") ", answers[p[i]]);
    if (p[i] == correct) gold_pos = static_cast<int>(i);
  }
  const std::string letter(1, 'A' + gold_pos);
  if (gold_letter) *gold_letter = letter;
  if (ans_ctx && !answers.empty()) *ans_ctx = absl::StrCat("(", letter, ") ", answers[correct]);
  return options;
}

// multiple_choice.py MultipleChoice.pre_process / make_few_shot_prompt (also
// ceval.py CEVAL, whose non-CoT text with no_MC_prompt is the same).
std::string DefinedBenchmark::PromptMultipleChoice(const Row& row,
                                                   std::span<const Row> shots) const {
  std::string fewshot;
  PyRandom shot_rng = Random47();
  for (const Row& s : shots) {
    std::string ans_ctx;
    const std::string opts = McOptions(s, shot_rng, true, nullptr, &ans_ctx);
    fewshot += "Q: " + Str(s, "question", true) + "\n\n" + opts;
    fewshot += def_.tmpl.answer_prompt ? std::string(kLetterLine) : "\n";
    fewshot += "A: " + ans_ctx + "\n\n";
  }
  PyRandom rng = Random47();
  const std::string options = McOptions(row, rng, false, nullptr, nullptr);
  std::string prompt = Instruction(row) + "\n\n" + fewshot + "Q: " + Str(row, "question") +
                       "\n\n" + options;
  prompt += def_.tmpl.answer_prompt ? std::string(kLetterLine) + "A: " : "\nA: ";
  return prompt;
}

// reading_comprehension.py READ_COMPRE (MC=True).
std::string DefinedBenchmark::PromptReadingMC(const Row& row, std::span<const Row> shots) const {
  std::string fewshot;
  PyRandom shot_rng = Random47();
  for (const Row& s : shots) {
    std::string ans_ctx;
    const std::string opts = McOptions(s, shot_rng, true, nullptr, &ans_ctx);
    fewshot += "Passage: " + Str(s, "passage", true) + "\n";
    fewshot += "Q: " + Str(s, "question", true) + "\n" + opts;
    fewshot += def_.tmpl.answer_prompt ? std::string(kLetterLine) : "\n";
    fewshot += "A: " + ans_ctx + "\n\n";
  }
  PyRandom rng = Random47();
  const std::string options = McOptions(row, rng, false, nullptr, nullptr);
  std::string prompt = std::string(kReadingInstruction) + "\n\n" + fewshot + "\n\n";
  // No newline between the question and the options: GPT-Fathom's text.
  prompt += "Passage: " + Str(row, "passage") + "\n" + "Q: " + Str(row, "question") + options;
  prompt += def_.tmpl.answer_prompt ? std::string(kLetterLine) + "A: " : "\nA: ";
  return prompt;
}

// reading_comprehension.py READ_COMPRE (MC=False): DROP.
std::string DefinedBenchmark::PromptReadingQA(const Row& row, std::span<const Row> shots) const {
  std::string fewshot;
  for (const Row& s : shots) {
    const std::vector<std::string> ideal = StrList(s, "answers", true);
    fewshot += "Passage: " + Str(s, "passage", true) + "\n";
    fewshot += "Question: " + Str(s, "question", true) + "\n";
    fewshot += "Answer: " + (ideal.empty() ? std::string() : ideal[0]) + "\n\n";
  }
  return std::string(kReadingInstruction) + "\n\n" + fewshot + "\n\n" + "Passage: " +
         Str(row, "passage") + "\n" + "Question: " + Str(row, "question") + "\nAnswer: ";
}

// fuzzy_match.py FuzzyMatch.pre_process: the chat list rendered by
// chat_prompt_to_text_prompt(Q_A_ENDING=True): system line, "Q: "/"A: " exemplar lines,
// "Q: " + question, then "A: "; lstripped.
std::string DefinedBenchmark::PromptQA(const Row& row, std::span<const Row> shots) const {
  std::string text = def_.tmpl.system + "\n";
  for (const Row& s : shots) {
    const std::vector<std::string> answers = StrList(s, "answers", true);
    text += "Q: " + Str(s, "question", true) + "\n";
    text += "A: " + (answers.empty() ? std::string() : answers[0]) + "\n";
  }
  text += "Q: " + Str(row, "question") + "\n" + "A: ";
  return PyLStrip(text);
}

// bbh.py BBH.pre_process (CoT): the prompt file's text after "-----", cut to `n`
// exemplars on "\n\nQ: ".
std::string DefinedBenchmark::PromptBBH(const Row& row, std::span<const Row> shots,
                                        int n) const {
  std::string fewshot;
  if (!shots.empty()) {
    const std::string file = Str(shots[0], "text", true);
    const std::vector<std::string> sections = SplitOn(file, "-----");
    const std::string cot = sections.size() > 1 ? sections[1] : sections[0];
    std::vector<std::string> pieces = SplitOn(cot, "\n\nQ: ");
    pieces.resize(std::min(pieces.size(), static_cast<size_t>(n) + 1));
    fewshot = Join(pieces, "\n\nQ: ");
  }
  return fewshot + "\n\nQ: " + Str(row, "input") + "\nA: " + "Let's think step by step. ";
}

// math_problem.py MATH_PROBLEM.pre_process.
std::string DefinedBenchmark::PromptMath(const Row& row, std::span<const Row> shots) const {
  std::string fewshot;
  for (const Row& s : shots) {
    fewshot += "Q: " + Str(s, "question", true) + "\n";
    fewshot += "A: " + Str(s, "answer", true) + "\n\n";
  }
  return std::string(kMathInstruction) + "\n\n" + fewshot + "\n\n" + "Q: " +
         Str(row, "question") + "\nA: Let's think step by step";
}

// agieval.py AGIEVAL.make_few_shot_prompt / pre_process (no CoT).
std::string DefinedBenchmark::PromptAgieval(const Row& row, std::span<const Row> shots) const {
  const bool zh = def_.tmpl.language == "zh";
  const AgievalType type = AgiType(row.subtask);
  auto passage = [&](const Row& r, bool shot) -> std::string {
    std::optional<json> p = Field(r, "passage", shot);
    if (!p || p->is_null() || (p->is_string() && p->get<std::string>().empty())) return "";
    return (zh ? "文章: " : "Passage: ") + Scalar(*p) + "\n";
  };
  auto options = [&](const Row& r, bool shot) {
    std::string out;
    for (const std::string& o : StrList(r, "options", shot)) out += o + "\n";
    return out;
  };
  auto option_of = [&](const Row& r, const std::string& label) -> std::string {
    const std::vector<std::string> opts = StrList(r, "options", true);
    const int i = label.empty() ? -1 : label[0] - 'A';
    if (i < 0 || static_cast<size_t>(i) >= opts.size()) return "";
    return opts[i];
  };
  std::string instruction;
  switch (type) {
    case AgievalType::kMC:
      instruction = zh ? "回答下列选择题"
                       : "Follow the given samples and answer the following multiple choice question.";
      break;
    case AgievalType::kIMC:
      instruction = zh ? "回答下列多选题"
                       : "Follow the given samples and answer the following multiple select question.";
      break;
    case AgievalType::kCloze:
      instruction = zh ? "回答下列填空题"
                       : "Follow the given samples and answer the following cloze question.";
      break;
  }
  std::string fewshot;
  for (const Row& s : shots) {
    const std::string q = (zh ? "问题: " : "Q: ") + Str(s, "question", true) + "\n";
    if (type == AgievalType::kMC) {
      const std::string label = StrList(s, "label", true).empty() ? "" : StrList(s, "label", true)[0];
      fewshot += passage(s, true) + q + options(s, true);
      fewshot += zh ? "回答：(" + label + ") " : "A: The answer is (" + label + ") ";
      fewshot += option_of(s, label) + "\n\n";
    } else if (type == AgievalType::kCloze) {
      fewshot += passage(s, true) + q;
      fewshot += (zh ? "回答：" : "A: ") + Str(s, "answer", true) + "\n\n";
    } else if (zh) {  // IMC exists only in Chinese; GPT-Fathom has no English IMC exemplars.
      fewshot += passage(s, true) + q + options(s, true) + "回答：";
      for (const std::string& label : StrList(s, "label", true)) {
        fewshot += "(" + label + ") " + option_of(s, label) + "\n";
      }
      fewshot += "\n";
    }
  }
  std::string prompt = instruction + "\n\n" + fewshot + "\n\n" + passage(row, false) +
                       (zh ? "问题: " : "Q: ") + Str(row, "question") + "\n";
  if (type != AgievalType::kCloze) prompt += options(row, false);
  prompt += zh ? "回答：" : "A: ";
  return prompt;
}

// code.py CODE.make_few_shot_prompts / pre_process (mbpp).
std::string DefinedBenchmark::PromptMbpp(const Row& row, std::span<const Row> shots) const {
  std::string prompt;
  for (const Row& s : shots) {
    prompt += "You are an expert Python programmer, and here is your task: ";
    prompt += Str(s, "prompt", true) + ". Your code should pass these tests:\n\n" +
              Join(StrList(s, "test_list", true), "\n") + "\n[BEGIN]\n" + Str(s, "code", true) +
              "\n[DONE]";
    prompt += "\n\n";
  }
  prompt += "You are an expert Python programmer, and here is your task: ";
  prompt += Str(row, "prompt") + ". Your code should pass these tests:\n\n" +
            Join(StrList(row, "test_list"), "\n") + "\n[BEGIN]\n";
  return prompt;
}

absl::StatusOr<Prompt> DefinedBenchmark::BuildPrompt(const Row& row,
                                                     std::span<const Row> shot_rows, int shots,
                                                     Mode mode) const {
  if (absl::Status s = CheckRow(row); !s.ok()) return s;
  const ShotSource src = this->shots(mode);
  std::vector<Row> builtin;
  if (shot_rows.empty() && src.kind == ShotSource::Kind::kBuiltin) {
    builtin = BuiltinShots(row.subtask, mode);
    shot_rows = builtin;
  }
  shots = std::max(0, std::min(shots, src.count));
  Prompt prompt;
  if (def_.tmpl.family == Family::kBBH) {
    // One prompt file holds every exemplar.
    if (shots > 0 && shot_rows.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(def_.info.name, ": no exemplars for sub-task '", row.subtask, "'"));
    }
    prompt.text = PromptBBH(row, shot_rows.subspan(0, std::min<size_t>(1, shot_rows.size())), shots);
    prompt.shots = shots;
  } else {
    if (src.kind == ShotSource::Kind::kBuiltin && shots > static_cast<int>(shot_rows.size())) {
      // AGIEval: the shot count is the number of exemplars there are (3 to 5).
      if (def_.tmpl.family != Family::kAgieval && shot_rows.empty()) {
        return absl::FailedPreconditionError(
            absl::StrCat(def_.info.name, ": no exemplars for sub-task '", row.subtask, "'"));
      }
    }
    const size_t n = std::min(static_cast<size_t>(shots), shot_rows.size());
    if (n < static_cast<size_t>(shots) && def_.tmpl.family != Family::kAgieval) {
      return absl::FailedPreconditionError(absl::StrCat(
          def_.info.name, ": ", shots, " shots requested, ", shot_rows.size(), " exemplar rows given"));
    }
    const std::span<const Row> used = shot_rows.subspan(0, n);
    prompt.shots = static_cast<int>(n);
    switch (def_.tmpl.family) {
      case Family::kMultipleChoice:
        prompt.text = PromptMultipleChoice(row, used);
        break;
      case Family::kReadingMC:
        prompt.text = PromptReadingMC(row, used);
        break;
      case Family::kReadingQA:
        prompt.text = PromptReadingQA(row, used);
        break;
      case Family::kQA:
        prompt.text = PromptQA(row, used);
        break;
      case Family::kLambada: {
        // lambada.py: the chat list (system, exemplar pairs as named system messages, user)
        // for chat models; its text form for completion models (Q/A lines when the
        // benchmark is few-shot, bare lines when zero-shot).
        const std::string sys = def_.tmpl.system;
        json messages = json::array({{{"role", "system"}, {"content", sys}}});
        std::string text = sys + "\n";
        for (const Row& s : used) {
          const std::vector<std::string> words = PySplit(Str(s, "text", true));
          const std::string ctx = Join(std::vector<std::string>(words.begin(), words.end() - 1), " ");
          messages.push_back({{"role", "system"}, {"name", "example_user"}, {"content", ctx}});
          messages.push_back(
              {{"role", "system"}, {"name", "example_assistant"}, {"content", words.back()}});
          text += "Q: " + ctx + "\n" + "A: " + words.back() + "\n";
        }
        const std::vector<std::string> words = PySplit(Str(row, "text"));
        const std::string ctx = Join(std::vector<std::string>(words.begin(), words.end() - 1), " ");
        messages.push_back({{"role", "user"}, {"content", ctx}});
        if (n > 0) {
          text += "Q: " + ctx + "\n" + "A: ";
        } else {
          text += ctx;  // Q_A_ENDING=False: no prefix, the trailing newline dropped
        }
        prompt.text = PyLStrip(text);
        prompt.messages = std::move(messages);
        return prompt;
      }
      case Family::kMathCoT:
        prompt.text = PromptMath(row, used);
        break;
      case Family::kAgieval:
        prompt.text = PromptAgieval(row, used);
        break;
      case Family::kHumanEval:
        prompt.text = "Complete the code:\n" + Str(row, "prompt");
        prompt.messages = json::array(
            {{{"role", "system"}, {"content", kChatSystem}},
             {{"role", "user"},
              {"content", "Complete the code and only output the completed code:\n" +
                              Str(row, "prompt")}}});
        return prompt;
      case Family::kMbpp:
        prompt.text = PromptMbpp(row, used);
        break;
      case Family::kPlain:
        // realtoxic.py: a one-message chat list; completion models get its content.
        prompt.text = Str(row, "text");
        prompt.messages = json::array({{{"role", "user"}, {"content", prompt.text}}});
        return prompt;
      case Family::kBBH:
        break;
    }
  }
  prompt.messages = json::array({{{"role", "system"}, {"content", kChatSystem}},
                                 {{"role", "user"}, {"content", prompt.text}}});
  return prompt;
}

std::vector<std::string> DefinedBenchmark::Gold(const Row& row) const {
  switch (def_.tmpl.family) {
    case Family::kMultipleChoice:
    case Family::kReadingMC: {
      PyRandom rng = Random47();
      std::string letter;
      McOptions(row, rng, false, &letter, nullptr);
      return {letter};
    }
    case Family::kReadingQA:
    case Family::kQA:
      return StrList(row, "answers");
    case Family::kLambada:
      return {PySplit(Str(row, "text")).back()};
    case Family::kBBH:
      return {Str(row, "target")};
    case Family::kMathCoT: {
      const std::string a = Str(row, "answer");
      if (def_.gold == "boxed") return {RemoveBoxed(LastBoxedOnlyString(a)).value_or("")};
      return {a};  // solution (GSM8K: split by the extractor) or plain (MGSM)
    }
    case Family::kAgieval: {
      const AgievalType t = AgiType(row.subtask);
      if (t == AgievalType::kCloze) return {Str(row, "answer")};
      if (t == AgievalType::kMC) {
        const std::vector<std::string> l = StrList(row, "label");
        return {l.empty() ? "" : l[0]};
      }
      return {Join(StrList(row, "label"), ",")};
    }
    default:
      return {};
  }
}

json ExpectedJson(const std::vector<std::string>& expected) {
  // record_match: a one-element list is recorded as its element.
  if (expected.size() == 1) return expected[0];
  return json(expected);
}

Judgement DefinedBenchmark::Judge(const Row& row, std::string_view completion,
                                  Mode mode) const {
  Judgement j;
  if (def_.info.scoring != Scoring::kJudge) return j;
  const ScoringRule rule = mode == Mode::kStrict ? def_.strict : def_.faithful;
  std::vector<std::string> expected = Gold(row);
  std::string sampled(completion);
  bool found = false;
  bool math_extracted = false;
  switch (rule.extractor) {
    case Extractor::kRaw:
      found = true;
      break;
    case Extractor::kMcLetter:
      sampled = McLetterScan(completion, true, &found);
      break;
    case Extractor::kMcLetterRaw:
      sampled = McLetterScan(completion, false, &found);
      break;
    case Extractor::kMcLetterStrict:
      sampled = StrictMcLetter(completion);
      found = !sampled.empty();
      break;
    case Extractor::kCevalLetter:
      sampled = CevalExtract(completion, &found);
      break;
    case Extractor::kLambadaWord:
      sampled = LambadaExtract(completion, &found);
      break;
    case Extractor::kLambadaWordStrict:
      sampled = LambadaExtract(completion, &found);
      if (!found) sampled.clear();
      break;
    case Extractor::kBbhAnswer:
      sampled = MarkerExtract(completion, "So the answer is ", &found);
      break;
    case Extractor::kBbhAnswerStrict: {
      sampled = FirstLine(MarkerExtract(completion, "So the answer is ", &found));
      if (!found) sampled.clear();
      while (!sampled.empty() && sampled.back() == '.') sampled.pop_back();
      if (!expected.empty() && expected[0].size() == 3 && expected[0][0] == '(' &&
          sampled.size() > 3 && sampled.compare(0, 3, expected[0]) == 0 && sampled[3] == ' ') {
        sampled = expected[0];
      }
      break;
    }
    case Extractor::kGsm8kDigits: {
      std::vector<std::string> exp;
      std::optional<std::string> e = Gsm8kExtract(completion, expected[0], &exp);
      found = e.has_value();
      if (found) sampled = *e;
      expected = exp;
      break;
    }
    case Extractor::kMgsmNumber: {
      std::optional<std::string> e = MgsmExtract(completion);
      found = e.has_value();
      if (found) sampled = *e;
      break;
    }
    case Extractor::kLastNumber: {
      if (def_.gold == "solution") expected = {Gsm8kGold(expected[0]).value_or("")};
      std::optional<std::string> e = StrictLastNumber(completion, def_.tmpl.marker);
      found = e.has_value();
      sampled = e.value_or("");
      break;
    }
    case Extractor::kMathBoxed: {
      std::optional<std::string> e = MathExtract(completion);
      found = math_extracted = e.has_value();
      if (found) sampled = *e;
      break;
    }
    case Extractor::kAgieval:
      sampled = AgievalExtract(AgiType(row.subtask), completion, &found);
      break;
    case Extractor::kAgievalStrict: {
      const AgievalType t = AgiType(row.subtask);
      if (t == AgievalType::kMC) {
        sampled = StrictMcLetter(completion);
        found = !sampled.empty();
      } else if (t == AgievalType::kIMC) {
        sampled = AgievalExtract(t, completion, &found);
      } else {
        sampled = FirstLine(completion);
        found = !sampled.empty();
      }
      break;
    }
    case Extractor::kFirstLine:
      sampled = FirstLine(completion);
      found = !sampled.empty();
      break;
  }
  j.detected = found;
  j.expected = ExpectedJson(expected);
  j.extracted = sampled;
  double f1 = 0.0;
  switch (rule.matcher) {
    case Matcher::kPrefix:
      j.correct = PrefixPick(sampled, expected).has_value();
      break;
    case Matcher::kExact:
      j.correct = std::find(expected.begin(), expected.end(), sampled) != expected.end();
      // AGIEval IMC with an empty gold list: GPT-Fathom counts it correct ("" prefix).
      break;
    case Matcher::kFuzzy:
      for (const std::string& g : expected) j.correct = j.correct || FuzzyMatch(sampled, g);
      f1 = TokenF1(sampled, expected);
      break;
    case Matcher::kContains:
      for (const std::string& g : expected) j.correct = j.correct || ContainsMatch(sampled, g);
      f1 = TokenF1(sampled, expected);
      break;
    case Matcher::kDropOfficial: {
      const DropScore d = DropMetrics({sampled}, expected);
      j.correct = d.exact_match == 1.0;
      f1 = d.f1;
      break;
    }
    case Matcher::kNumeric:
      j.correct = found && !expected.empty() && NumbersEqual(sampled, expected[0]);
      break;
    case Matcher::kMathFaithful:
      if (math_extracted && MathIsEquiv(sampled, expected[0])) {
        sampled = expected[0];  // check_match returns (ans, ans)
        j.extracted = sampled;
        j.correct = true;
      } else {
        j.correct = PrefixPick(sampled, expected).has_value();
      }
      break;
    case Matcher::kMathEquiv:
      j.correct = math_extracted && MathIsEquiv(sampled, expected[0]);
      break;
  }
  j.score = def_.score == "f1" ? f1 : (j.correct ? 1.0 : 0.0);
  return j;
}

absl::StatusOr<CodeProgram> DefinedBenchmark::ProgramForModel(const Row& row,
                                                              std::string_view completion,
                                                              Mode mode, Api api,
                                                              std::string_view model) const {
  if (def_.info.scoring != Scoring::kCode) {
    return absl::FailedPreconditionError(absl::StrCat(def_.info.name, " is not a code benchmark"));
  }
  if (absl::Status s = CheckRow(row); !s.ok()) return s;
  const bool is_1106 = model == "gpt-3.5-turbo-1106" || model == "gpt-4-1106-preview";
  std::string out(completion);
  // Stop sequences: the API applied them to GPT-Fathom's completions; saved completions
  // may come untruncated, so cut at the first of them (not for the 1106 models, which
  // GPT-Fathom called without stops).
  if (!is_1106) {
    size_t cut = out.size();
    for (const std::string& stop : def_.info.decoding.stop) {
      const size_t pos = out.find(stop);
      if (pos != std::string::npos) cut = std::min(cut, pos);
    }
    out.resize(cut);
  }
  const bool human_eval = def_.tmpl.family == Family::kHumanEval;
  std::string candidate;
  if (api == Api::kCompletions) {
    // Completion models: the original prompt + completion + "\n" (HumanEval); MBPP's
    // completion alone.
    candidate = (human_eval ? Str(row, "prompt") : "") + out + "\n";
  } else {
    candidate = out + "\n";
    if (is_1106 && candidate.find("```") != std::string::npos) {
      // item.split("```")[1][7:]
      const std::string inner = SplitOn(candidate, "```")[1];
      const std::u32string u = DecodeUtf8(inner);
      candidate = u.size() > 7 ? EncodeUtf8(std::u32string_view(u).substr(7)) : "";
    } else if (mode == Mode::kStrict && candidate.find("```") != std::string::npos) {
      // Strict: the first fenced block of any chat model, minus its info line.
      std::string inner = SplitOn(candidate, "```")[1];
      const size_t nl = inner.find('\n');
      candidate = nl == std::string::npos ? inner : inner.substr(nl + 1);
    }
    if (mode == Mode::kStrict && human_eval &&
        candidate.find("def " + Str(row, "entry_point")) == std::string::npos) {
      // Strict: a chat model that wrote only the body gets the prompt's signature.
      candidate = Str(row, "prompt") + candidate;
    }
  }
  CodeProgram p;
  p.task_id = row.id;
  p.candidate = candidate;
  if (human_eval) {
    p.test = Str(row, "test");
    p.entry_point = Str(row, "entry_point");
  } else {
    const std::vector<std::string> tests = StrList(row, "test_list");
    if (mode == Mode::kFaithful) {
      // zip(predictions=[[...]], references=test_list) pairs the candidates with the
      // first assert only; test_imports are never added.
      p.test = tests.empty() ? "" : tests[0];
    } else {
      std::vector<std::string> lines = StrList(row, "test_imports");
      lines.insert(lines.end(), tests.begin(), tests.end());
      p.test = Join(lines, "\n");
    }
  }
  return p;
}

}  // namespace

std::unique_ptr<Benchmark> MakeBenchmark(Definition def) {
  return std::make_unique<DefinedBenchmark>(std::move(def));
}

}  // namespace fathom::driver::bench
