// MultiPL-E (nuprl/MultiPL-E, BSD-3-Clause): its completions files in, its results files
// out, so `fathom grade DIR` stands in for MultiPL-E's evaluation container.
//
// A completions file is one JSON object per problem (<name>.json or .json.gz): the
// problem's fields (name, language, prompt, tests, stop_tokens, and whatever metadata
// the generator added) plus `completions`, a list of strings. Each completion's program
// is prompt + completion + "\n" + tests (problems.h, kMultiplE), and it passes when it
// exits 0. The results file, <name>.results.json(.gz) (gzip when the input was), is the
// input object without `completions` plus `results`, one per completion in order:
//   {"program", "timestamp", "stdout", "stderr", "exit_code", "status"}
// with MultiPL-E's statuses: "OK" (passed), "SyntaxError" (did not compile), "Timeout",
// "Exception" (anything else that failed). Fathom keeps the end of stderr, not stdout
// (stdout is ""), and no exit code beyond 0 for OK and -1 for Timeout (null otherwise).
//
// A file's `language` names the runtime that grades it (a runtime's name or alias: "rs",
// "go_test.go"), except where that name is taken by the runtime of another benchmark's
// layout: MultiPL-E's "java" is the java-multipl-e runtime (class Problem, javatuples,
// asserts run with -ea), HumanEval-X's Java the java runtime (MultiplERuntimeName).
//
// Grading goes through the ordinary pipeline: the completions become a problems file and
// a samples file (WriteMultiplEInputs), graded and journaled as any other (so a killed
// run resumes), and the results JSONL becomes the results files (WriteMultiplEResults).
//
// Thread safety: plain functions over values.
#ifndef FATHOM_GRADER_FORMATS_MULTIPL_E_H_
#define FATHOM_GRADER_FORMATS_MULTIPL_E_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace fathom::grader {

struct MultiplEFile {
  std::string path;                   // the completions file
  nlohmann::ordered_json problem;     // its object without `completions`, keys in order
  std::string name;                   // `name`
  std::vector<std::string> completions;
  bool gzip = false;                  // the input was .json.gz: the results are too
};

// The runtime that grades MultiPL-E's `language`: "java" -> "java-multipl-e", any other
// name as it is (the policy's names and aliases resolve it).
std::string MultiplERuntimeName(const std::string& language);

// True when `path` is a MultiPL-E completions file (.json or .json.gz whose object has
// `completions`), or a directory holding at least one (its *.results.json files aside).
bool IsMultiplECompletions(const std::string& path);

// The completions files at `path` (one file, or every *.json / *.json.gz of a directory
// but *.results.json*, sorted by name). A file that is not a MultiPL-E object (no name,
// language, prompt, tests or completions, or mistyped) is InvalidArgument naming it and
// the field; an unreadable one NotFound / PermissionDenied; an empty directory
// InvalidArgument.
absl::StatusOr<std::vector<MultiplEFile>> LoadMultiplECompletions(const std::string& path);

// The results file of `file` in `out_dir` ("" = beside the completions file), named as
// MultiPL-E names it: <file name minus .json/.json.gz>.results.json(.gz).
std::string MultiplEResultsPath(const MultiplEFile& file, const std::string& out_dir);

// Writes the problems (one kMultiplE record per file) and the samples (task_id = name,
// completion_id = the completion's index, completion) as JSONL for `fathom grade`.
absl::Status WriteMultiplEInputs(const std::vector<MultiplEFile>& files,
                                 const std::string& problems_path,
                                 const std::string& samples_path);

// MultiPL-E's status for a fathom results row's `status` ("passed", "compile_error",
// "timeout", ...).
std::string MultiplEStatus(const std::string& fathom_status);

// Reads `results_path` (the results JSONL of the samples WriteMultiplEInputs wrote) and
// writes each file's results file into `out_dir` ("" = beside it), replacing it
// atomically. A row missing from the results is an error naming the task and index.
absl::Status WriteMultiplEResults(const std::vector<MultiplEFile>& files,
                                  const std::string& results_path, const std::string& out_dir);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_FORMATS_MULTIPL_E_H_
