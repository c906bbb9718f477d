// HumanEval-X (THUDM/CodeGeeX, Apache-2.0): which runtime grades each of its languages,
// and the program CodeGeeX's evaluation executes for a sample, per language.
//
// A problem file is HumanEval-X when its task_ids are "<PREFIX>/<n>" with a prefix of
// the table below (problems.h, ProblemFormat::kHumanEvalX); the prefix names the runtime
// (a policy in policies/runtimes/), so `fathom grade --problems humaneval_cpp.jsonl.gz`
// needs no --language.
//
// Assembly (codegeex/benchmark/humaneval-x/evaluate_humaneval_x.py,
// process_humaneval_test; learned from it, not copied):
//   CPP     each of CodeGeeX's nine helper #includes that the prompt does not contain,
//           one per line, then "\n" + prompt + completion + "\n" + test
//   Python  CodeGeeX's helper imports, then prompt + completion cut at its first line
//           that starts with neither a space nor a tab + "\n" + test + "\n"
//   Go      test_setup (package clause, test imports) + "\n", then an import block of
//           each IMPORT_HELPER["go"] package that test_setup does not contain and whose
//           "<name>." the completion mentions, then prompt without its `import` block +
//           completion + "\n" + test; graded by the go runtime (`go test -c`, run)
//   Rust    "\nfn main(){ \n } \n" + declaration + prompt + completion + test, graded
//           by the rust-test runtime (rustc --test with CodeGeeX's crates), as CodeGeeX's
//           `cargo test --bin` does
//   Java    prompt + completion + "\n" + test, compiled as Main.java (the test is
//           `public class Main`) and run as `java Main`
//   JavaScript  prompt + completion + "\n" + test, run by node
// A `solution` sample (a whole program) replaces prompt + completion (Rust: declaration
// + prompt + completion).
//
// Verdicts (codegeex/benchmark/execution.py): exit status 0 passes (the runtime's
// exit_status rule), except for JavaScript, whose tests use console.assert: a failed
// console.assert prints "Assertion failed" to stderr and the program goes on to exit 0.
// CodeGeeX passes a JavaScript run only when it printed nothing on stdout and stderr;
// such a row has quiet_pass set, and Fathom passes it only when it exited 0 AND printed
// nothing on either stream (DecideExitVerdict with RequireSilence on both; a runtime can
// ask the same for its every run with `verdict.require_silence`, policy.h).
//
// Pure functions over constant tables; thread-safe.
#ifndef FATHOM_GRADER_FORMATS_HUMANEVALX_H_
#define FATHOM_GRADER_FORMATS_HUMANEVALX_H_

#include <string>

#include "absl/strings/string_view.h"

namespace fathom::grader {

struct Problem;  // problems.h

struct HumanEvalXLanguage {
  absl::string_view prefix;   // task_id prefix: "CPP"
  absl::string_view runtime;  // the runtime (policy name) that grades it: "cpp"
  // The program for `code` (a completion, or the whole program when `is_solution`);
  // null when this language is not assembled yet.
  std::string (*assemble)(const Problem& problem, absl::string_view code, bool is_solution);
  // A pass also needs empty stdout and stderr (CodeGeeX's rule for JavaScript; see above).
  bool quiet_pass = false;
};

// The language of a task_id's prefix ("CPP/12" -> the CPP row); null when the task_id
// has no known prefix.
const HumanEvalXLanguage* FindHumanEvalXLanguage(absl::string_view task_id);

// FindHumanEvalXLanguage(task_id)'s runtime, or "" (what problems.cc records).
absl::string_view HumanEvalXLanguageOf(absl::string_view task_id);

// The program for `code` of a kHumanEvalX problem; "" when its language is not assembled
// yet (HumanEvalXAssembled says so beforehand).
std::string HumanEvalXProgram(const Problem& problem, absl::string_view code, bool is_solution);
bool HumanEvalXAssembled(const Problem& problem);

// True when `problem` is HumanEval-X and its language's row has quiet_pass.
bool HumanEvalXQuietPass(const Problem& problem);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_FORMATS_HUMANEVALX_H_
