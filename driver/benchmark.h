// The contract between a benchmark's definition (benchmarks/<name>.yaml, read by the
// Registry into a Benchmark: template, few-shot source, decoding, extractor, metric) and the
// run engine (data and prediction files, the run directory, the report). The engine never
// looks inside a benchmark; a benchmark never touches a file other than its definition.
//
// Thread safety: a loaded Registry and its Benchmarks are immutable; every const method may
// be called from any thread.
#ifndef FATHOM_DRIVER_BENCHMARK_H_
#define FATHOM_DRIVER_BENCHMARK_H_

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace fathom::driver {

// faithful: GPT-Fathom's numbers, quirks included. strict: its known bugs fixed. The two
// differ only where the README's table of differences says.
enum class Mode { kFaithful, kStrict };
std::string_view ModeName(Mode mode);  // "faithful" | "strict"

// Which API the prompt is for: chat models get GPT-Fathom's system + user messages
// (LAMBADA its own message list), completion models the plain text.
enum class Api { kChat, kCompletions };

// One data row, as the engine read it.
struct Row {
  // The dataset's own id field (BenchmarkInfo::id_field) when it has one, else the 0-based
  // index of the row in its file (per sub-task file in a directory), as decimal.
  std::string id;
  // The sub-task (MMLU/C-Eval subject, BBH/AGIEval task, MGSM/TyDi QA language); "" for
  // single-task benchmarks.
  std::string subtask;
  // The row's fields (a JSON object). CSV rows become objects keyed by
  // BenchmarkInfo::csv_columns.
  nlohmann::json fields;
  // "path:line", for messages.
  std::string source;
};

struct Prompt {
  std::string text;         // what a completion model is sent
  nlohmann::json messages;  // what a chat model is sent: [{"role","content"[,"name"]}...]
  int shots = 0;            // exemplars actually included
};

struct Decoding {
  int max_tokens = 0;
  double temperature = 0.0;
  double top_p = 1.0;
  int n = 1;                       // completions per item (100 for the code benchmarks)
  std::vector<std::string> stop;   // stop sequences sent with the request
};

// Where the few-shot exemplars come from.
struct ShotSource {
  enum class Kind {
    kNone,      // zero-shot
    kSplit,     // the first `count` rows of another split the user supplies (`split`)
    kBuiltin,   // exemplars shipped with the registry (`file`, relative to benchmarks/)
    kTestHead,  // the first `count` rows of the evaluated rows themselves (RACE, faithful)
  };
  Kind kind = Kind::kNone;
  std::string split;  // kSplit: "train" | "dev" | "validation" ...
  std::string file;   // kBuiltin
  int count = 0;      // how many shots the benchmark uses at most
  // kTestHead: the first `holdout` rows of the evaluated split are exemplars only and are
  // not scored (GPT-Fathom evaluates LAMBADA's test[15:] and TruthfulQA's validation[1:]);
  // 0 = every row is scored (RACE's faithful shots come from test[:10], scored too).
  // Added by the benchmark half; 0 keeps the original meaning.
  int holdout = 0;
};

enum class Scoring {
  kJudge,     // Benchmark::Judge decides each completion
  kCode,      // Benchmark::Program builds a program; the grader runs it (pass@k)
  kExternal,  // an external scorer command (RealToxicityPrompts' Perspective API)
};

struct BenchmarkInfo {
  std::string name;                  // "mmlu"
  std::vector<std::string> aliases;  // GPT-Fathom's registry names ("mmlu-set-5shot", ...)
  std::string title;                 // "MMLU"
  // GPT-Fathom's capability category: "Knowledge", "Reasoning", "Comprehension", "Math",
  // "Coding", "Multilingual" or "Safety".
  std::string category;
  std::string setting;               // "5-shot", "8-shot CoT", "0-shot, pass@1"
  std::string metric;                // "accuracy" | "f1" | "pass@k" | "toxicity"
  bool higher_is_better = true;      // false for RealToxicityPrompts
  Scoring scoring = Scoring::kJudge;
  std::string eval_split;            // the split scored: "test" | "validation" | ...
  std::string subtask_field;         // "subject" | "task" | "lang" | "language" | ""
  std::vector<std::string> subtasks; // the known sub-tasks, in report order; empty = any
  std::string id_field;              // "" = the row's 0-based line number
  std::vector<std::string> csv_columns;  // for headerless CSV data (MMLU); empty = no CSV
  // The row schema for `fathom eval --list` and the README: (field, description).
  std::vector<std::pair<std::string, std::string>> schema;
  Decoding decoding;
  std::vector<int> pass_at_k;        // kCode: the k reported ({1,10,100} HumanEval)
  // Added by the benchmark half: the named suites this benchmark belongs to
  // ("gpt-fathom"), and its position in GPT-Fathom's headline table (All() order).
  std::vector<std::string> suites;
  int order = 0;
  // Added by the benchmark half: SHA-256 of this benchmark's definition (its YAML file and
  // the shipped exemplar files it reads); "" when unknown. Two runs with the same value
  // built their prompts and judged their answers the same way.
  std::string definition_sha256;
};

// What Judge decided about one completion, as GPT-Fathom's match event records it.
struct Judgement {
  std::string extracted;     // GPT-Fathom's `picked`
  bool detected = false;     // an answer was found (GPT-Fathom's `detected`)
  nlohmann::json expected;   // the gold as GPT-Fathom records it
  bool correct = false;      // the match event's `correct`
  double score = 0.0;        // the per-item value of the reported metric (1/0, or F1)
};

// The program a code benchmark runs for one completion, in the grader's terms: the
// candidate code, the test appended after it, and the entry point `check()` is called on
// ("" = no check call, as in MBPP).
struct CodeProgram {
  std::string task_id;
  std::string candidate;
  std::string test;
  std::string entry_point;
};

class Benchmark {
 public:
  virtual ~Benchmark() = default;
  virtual const BenchmarkInfo& info() const = 0;
  // The few-shot source in this mode (strict mode may use another split than faithful).
  virtual ShotSource shots(Mode mode) const = 0;
  // OK, or InvalidArgument naming the field and what is wrong with it
  // ("answer: expected an integer in [0, 3], got 7").
  virtual absl::Status CheckRow(const Row& row) const = 0;
  // The prompt for `row` with the first `shots` rows of `shot_rows` (already read by the
  // engine from shots(mode)); `shots` may be lowered by the caller to fit a context window.
  virtual absl::StatusOr<Prompt> BuildPrompt(const Row& row, std::span<const Row> shot_rows,
                                             int shots, Mode mode) const = 0;
  // Scoring::kJudge: judges one completion of `row`.
  virtual Judgement Judge(const Row& row, std::string_view completion, Mode mode) const = 0;
  // Scoring::kCode: the program for one completion (GPT-Fathom's assembly: prompt +
  // completion for completion models, the completion alone for chat models, stop
  // sequences, the 1106 fence stripping).
  virtual absl::StatusOr<CodeProgram> Program(const Row& row, std::string_view completion,
                                              Mode mode, Api api) const = 0;

  // Added by the benchmark half (backwards-compatible defaults):
  //
  // Program() for a named model. GPT-Fathom treats gpt-3.5-turbo-1106 and
  // gpt-4-1106-preview apart: no stop sequences, and a ``` fence in the output is cut as
  // output.split("```")[1][7:]. Program() is ProgramForModel() with model "".
  virtual absl::StatusOr<CodeProgram> ProgramForModel(const Row& row,
                                                      std::string_view completion, Mode mode,
                                                      Api api, std::string_view model) const {
    (void)model;
    return Program(row, completion, mode, api);
  }
  // ShotSource::kBuiltin: the exemplars shipped with the registry for `subtask` ("" for
  // single-task benchmarks). BuildPrompt uses these itself when `shot_rows` is empty, so
  // the engine need not read benchmarks/shots/ (the registry may be built in).
  virtual std::vector<Row> BuiltinShots(std::string_view subtask, Mode mode) const {
    (void)subtask;
    (void)mode;
    return {};
  }
};

// Every benchmark definition, loaded from a folder of YAML files (or the copies built into
// the binary). Errors name file:line:column.
class Registry {
 public:
  static absl::StatusOr<Registry> Load(const std::string& dir);
  static absl::StatusOr<Registry> LoadBuiltin();

  // By name or alias; nullptr when unknown.
  const Benchmark* Find(std::string_view name) const;
  // Every benchmark, in GPT-Fathom's headline-table order.
  std::vector<const Benchmark*> All() const;
  // The benchmarks of a named suite ("gpt-fathom"); empty when unknown.
  std::vector<const Benchmark*> Suite(std::string_view suite) const;
  // A hex digest of every definition and shipped exemplar (the run fingerprint's part).
  const std::string& hash() const { return hash_; }

 private:
  std::vector<std::unique_ptr<Benchmark>> benchmarks_;
  std::string hash_;
};

}  // namespace fathom::driver

#endif  // FATHOM_DRIVER_BENCHMARK_H_
