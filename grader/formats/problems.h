// Problem sets: HumanEval, HumanEval+ / MBPP+ (EvalPlus), their OriginFmt files, and the
// original MBPP, loaded from JSONL or .jsonl.gz into one Problem type.
//
// Format is decided per record by its fields (documented in problems/README.md):
//   HumanEval, HumanEval+ (+OriginFmt): prompt, test, entry_point (+ base_input, ...)
//   MBPP+ (EvalPlus):                   prompt, assertion, entry_point (+ base_input, ...)
//   MBPP+ OriginFmt:                    code, test_list, test, test_imports
//   MBPP (original):                    text, code, test_list, test_setup_code
//   MultiPL-E:                          name, language, prompt, tests, stop_tokens
// The EvalPlus I/O fields (base_input, plus_input, atol, contract) are kept as data for
// the I/O mode (io_mode.h); assert mode does not use them.
//
// Thread safety: a loaded ProblemSet is immutable and may be shared.
#ifndef FATHOM_GRADER_FORMATS_PROBLEMS_H_
#define FATHOM_GRADER_FORMATS_PROBLEMS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace fathom::grader {

enum class ProblemFormat {
  kHumanEval,       // test defines check(candidate); program ends with check(entry_point)
  kMbppPlus,        // EvalPlus MBPP+: `assertion` holds plain asserts
  kMbppPlusOrigin,  // MBPP+ OriginFmt: test_imports + code + test (plus tests baked in)
  kMbpp,            // original MBPP: code + test_setup_code + test_list + challenge_test_list
  // HumanEval-X (THUDM/CodeGeeX): recognised by a task_id "<LANG>/<n>" whose prefix
  // humanevalx.h knows (CPP, Go, Java, JavaScript, Python, Rust); `language` says which.
  // Its program is assembled per language as CodeGeeX's evaluation does (humanevalx.h).
  kHumanEvalX,
  // MultiPL-E (nuprl/MultiPL-E): a record with `name` (the task id), `language` (the
  // runtime, by name or alias), `prompt`, `tests` and `stop_tokens`. Its program is
  // prompt + completion + "\n" + tests, decided by the exit status.
  kMultiplE,
};

// "humaneval", "mbpp+", "mbpp+origin", "mbpp", "humaneval-x", "multipl-e".
const char* ProblemFormatName(ProblemFormat format);

struct Problem {
  std::string task_id;  // as a string; MBPP's integer ids become "2"
  ProblemFormat format = ProblemFormat::kHumanEval;
  // The runtime a problem is written for, when the file says: HumanEval-X's task_id
  // prefix ("CPP/3" -> "cpp"), MultiPL-E's `language` ("rs"; "java" is the
  // java-multipl-e runtime, multipl_e.h). Empty: the runtime the grader is given
  // (Python by default).
  std::string language;
  // Code that a `completion` is appended to. Empty for MBPP and MBPP+ OriginFmt, whose
  // prompt is prose: their samples are always whole programs.
  std::string prompt;
  std::string entry_point;  // empty when the format has none (MBPP)
  // The reference: a completion of `prompt` for kHumanEval, a whole program otherwise.
  std::string canonical_solution;
  // kHumanEval: `test`. kMbppPlus: `assertion`. kMbppPlusOrigin: `test`. kMbpp: empty.
  std::string test;
  // kMbpp: test_setup_code. kMbppPlusOrigin: the test_imports, one per line.
  // kHumanEvalX: Go's test_setup (package clause and the test's imports).
  std::string test_setup;
  // kHumanEvalX: `declaration` (the signature, with the imports the solution needs),
  // Go's `import` block, and `example_test` (the prompt's examples as a test).
  std::string declaration;
  std::string imports;
  std::string example_test;
  // kMultiplE: the sequences its generation stopped at (kept as data: MultiPL-E's
  // completions files hold completions already cut at them).
  std::vector<std::string> stop_tokens;
  std::vector<std::string> test_list;            // kMbpp only (OriginFmt's are in `test`)
  std::vector<std::string> challenge_test_list;  // kMbpp only

  // EvalPlus I/O data (HumanEval+, MBPP+): each input is the raw JSON text of one
  // argument list, byte for byte as in the file (big integers and Infinity are kept
  // exactly; see raw_json.h). Empty when absent.
  std::vector<std::string> base_inputs;
  std::vector<std::string> plus_inputs;
  bool has_inputs = false;  // the record had a base_input list
  double atol = 0;
  std::string contract;
  bool has_io() const { return has_inputs; }

  int64_t line = 0;  // line of the problem file it came from
};

struct ProblemSet {
  std::string path;
  std::vector<Problem> problems;           // file order
  std::map<std::string, size_t> by_id;     // task_id -> index into problems
  std::string content_sha256;              // of the decompressed file contents

  // The problem with this id, or null.
  const Problem* Find(const std::string& task_id) const;
};

// Loads a problem file (plain or gzip JSONL). Unlike samples, a problem file must be
// entirely valid: the first bad record is an InvalidArgument naming path:line and the
// field. Unreadable files: NotFound / PermissionDenied / DataLoss naming the path.
absl::StatusOr<ProblemSet> LoadProblems(const std::string& path);

// Parses one problem record (exposed for tests). `where` prefixes error messages.
// base_input / plus_input are taken from the parsed record here (numbers as nlohmann
// prints them); ParseProblemLine keeps their raw text instead.
absl::StatusOr<Problem> ParseProblem(const nlohmann::json& record, const std::string& where);

// Parses one line of a problem file, keeping the EvalPlus input lists as raw text.
absl::StatusOr<Problem> ParseProblemLine(absl::string_view line, const std::string& where);

// A task_id value as a string: strings as they are, integers in decimal. Other types are
// InvalidArgument.
absl::StatusOr<std::string> TaskIdString(const nlohmann::json& value);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_FORMATS_PROBLEMS_H_
