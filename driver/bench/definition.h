// A benchmark definition as read from benchmarks/<name>.yaml, and the Benchmark that
// interprets it. Template families, extractors and matchers are closed sets named in the
// YAML (see driver/bench/README.md for the schema).
//
// Thread safety: immutable after construction.
#ifndef FATHOM_DRIVER_BENCH_DEFINITION_H_
#define FATHOM_DRIVER_BENCH_DEFINITION_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "driver/benchmark.h"

namespace fathom::driver::bench {

enum class Family {
  kMultipleChoice,  // MultipleChoice / CEVAL: MMLU, ARC, HellaSwag, WinoGrande, TruthfulQA, C-Eval
  kReadingMC,       // READ_COMPRE MC=True: RACE
  kReadingQA,       // READ_COMPRE MC=False: DROP
  kQA,              // FuzzyMatch: NQ, WebQ, TriviaQA, TyDi QA
  kLambada,         // Lambada
  kBBH,             // BBH (CoT)
  kMathCoT,         // MATH_PROBLEM: GSM8K, MATH, MGSM
  kAgieval,         // AGIEVAL (EN and ZH)
  kHumanEval,       // CODE dataset=humaneval
  kMbpp,            // CODE dataset=mbpp
  kPlain,           // RealToxicity: the prompt text alone
};

enum class Extractor {
  kRaw,              // the completion as is
  kMcLetter,         // MultipleChoice.post_process (A->Z scan, lstrip fallback)
  kMcLetterRaw,      // READ_COMPRE MC scan (no lstrip)
  kMcLetterStrict,   // first "(X)" by position, leading letter, "answer is X"
  kCevalLetter,      // ceval.py: marker, first \(([A-Z])\), lstrip
  kLambadaWord,      // lambada.py extract_first_word
  kLambadaWordStrict,
  kBbhAnswer,        // bbh.py post_process (CoT marker, strip)
  kBbhAnswerStrict,  // marker, first line, trailing '.', "(X) text" -> "(X)"
  kGsm8kDigits,      // check_match("gsm8k")
  kMgsmNumber,       // check_match("mgsm")
  kLastNumber,       // strict: last signed decimal (after the marker if present)
  kMathBoxed,        // check_match("math"): last \boxed{}
  kAgieval,          // AGIEVAL.post_process by task type
  kAgievalStrict,    // MC: strict letter; IMC: same; Cloze: first line
  kFirstLine,        // strict QA / DROP
};

enum class Matcher {
  kPrefix,        // record_and_check_match: sampled.startswith(gold)
  kExact,         // equality with a gold
  kFuzzy,         // utils.fuzzy_match two-way substring; F1 = utils.f1_score
  kContains,      // strict QA: normalised gold is a token run of the normalised output
  kDropOfficial,  // the official DROP EM/F1
  kNumeric,       // numeric equality
  kMathFaithful,  // is_equiv, else prefix match of what was extracted
  kMathEquiv,     // is_equiv only
};

enum class AnswerFormat {
  kIndex,          // 0-based integer (or its decimal string)
  kLetter,         // "A".."Z"
  kIndexOrLetter,  // MMLU: integer (HF) or letter (CSV)
  kOneBased,       // WinoGrande "1"/"2"
  kLabelOf,        // ARC: answerKey looked up in `labels`
  kOneHot,         // TruthfulQA mc1_targets.labels: index of the 1
};

struct ScoringRule {
  Extractor extractor = Extractor::kRaw;
  Matcher matcher = Matcher::kPrefix;
};

struct TemplateSpec {
  Family family = Family::kMultipleChoice;
  std::string instruction;      // MC / AGIEval: "{subtask}" and "{subtask_words}" expand
  std::string system;           // QA / LAMBADA system message
  bool answer_prompt = false;   // the "Please answer with the letter..." line
  std::string language = "en";  // AGIEval: en | zh
  std::map<std::string, std::string> types;  // AGIEval task -> MC | IMC | Cloze
  std::string marker;           // BBH / strict numbers: the answer marker
};

struct Definition {
  BenchmarkInfo info;
  ShotSource shots_faithful;
  ShotSource shots_strict;
  TemplateSpec tmpl;
  std::map<std::string, std::string> fields;       // role -> field path spec
  std::map<std::string, std::string> shot_fields;  // role -> path spec for exemplar rows
  AnswerFormat answer_format = AnswerFormat::kIndex;
  std::string answer_labels;                       // kLabelOf: path of the labels list
  std::string gold;                                // math_cot: solution | boxed | plain
  ScoringRule faithful;
  ScoringRule strict;
  std::string score = "accuracy";                  // accuracy | f1
  std::vector<std::string> suites;
  // Shipped exemplars by sub-task ("" for single-task), for ShotSource::kBuiltin.
  std::map<std::string, std::vector<Row>> builtin_shots;
  // The registry paths of the shipped exemplar files read for builtin_shots.
  std::vector<std::string> shot_files;
};

std::unique_ptr<Benchmark> MakeBenchmark(Definition def);

}  // namespace fathom::driver::bench

#endif  // FATHOM_DRIVER_BENCH_DEFINITION_H_
