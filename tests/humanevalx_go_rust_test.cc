// HumanEval-X's Go and Rust sets (../shared/data/humanevalx) graded whole through the
// real binary and sandbox: every canonical solution passes (none is broken upstream
// under the go and rust-test runtimes), and a wrong variant of each (the canonical
// solution behind a panic, so the test runs and fails) fails. Skips without the data.
//
// About 100 s of CPU per set for the canonical solutions (compile ~0.4-0.6 s each) and
// as much for the wrong variants: RUN_SERIAL, each grade uses every core.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grader/formats/problems.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fathom_process.h"

namespace fathom {
namespace {

namespace fs = std::filesystem;

struct Set {
  const char* file;     // in ../shared/data/humanevalx
  const char* runtime;  // what its prefix maps to
  const char* panic;    // a statement that fails the test when the function runs
};

class HumanEvalXGoRustTest : public ::testing::TestWithParam<Set> {};

// Grades `samples` (task_id -> completion) with `runtime` and returns task_id ->
// "<status> <result>".
std::map<std::string, std::string> Grade(const std::string& problems, const std::string& runtime,
                                         const std::string& tag,
                                         const std::map<std::string, std::string>& samples) {
  const std::string base =
      absl::StrCat(::testing::TempDir(), "/humanevalx_go_rust_", getpid(), "_", tag);
  const std::string samples_path = base + ".jsonl";
  {
    std::ofstream out(samples_path);
    for (const auto& [id, completion] : samples) {
      out << nlohmann::json({{"task_id", id}, {"completion", completion}}).dump() << "\n";
    }
  }
  const std::string results_path = base + "_results.jsonl";
  const int code = e2e::WaitExit(e2e::StartFathom(
      {"grade", "--runtime", runtime, "--problems", problems, "--samples", samples_path,
       "--out", results_path,
       "--timeout", "10", "--no-cache", "--no-resume", "--no-progress"},
      base + ".log"));
  EXPECT_EQ(code, 0) << e2e::ReadFile(base + ".log");
  std::map<std::string, std::string> statuses;
  for (absl::string_view line : absl::StrSplit(e2e::ReadFile(results_path), '\n')) {
    if (line.empty()) continue;
    const nlohmann::json row = nlohmann::json::parse(line);
    statuses[row["task_id"]] =
        absl::StrCat(row["status"].get<std::string>(), " ", row["result"].get<std::string>());
  }
  for (const char* suffix : {".jsonl", "_results.jsonl", ".log"}) fs::remove(base + suffix);
  return statuses;
}

TEST_P(HumanEvalXGoRustTest, CanonicalSolutionsPassAndWrongVariantsFail) {
  const Set& set = GetParam();
  const std::string problems = std::string(FATHOM_SHARED_DATA_DIR) + "/humanevalx/" + set.file;
  absl::StatusOr<grader::ProblemSet> loaded = grader::LoadProblems(problems);
  if (!loaded.ok() && loaded.status().code() == absl::StatusCode::kNotFound) {
    GTEST_SKIP() << "no shared data";
  }
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->problems.size(), 164u);
  std::map<std::string, std::string> canonical;
  std::map<std::string, std::string> wrong;
  for (const grader::Problem& p : loaded->problems) {
    EXPECT_EQ(p.language, set.runtime) << p.task_id;
    canonical[p.task_id] = p.canonical_solution;
    wrong[p.task_id] = absl::StrCat("    ", set.panic, "\n", p.canonical_solution);
  }
  const std::map<std::string, std::string> passed = Grade(problems, set.runtime, set.runtime, canonical);
  ASSERT_EQ(passed.size(), 164u);
  for (const auto& [id, status] : passed) {
    EXPECT_EQ(status, "passed passed") << id;
  }
  const std::map<std::string, std::string> failed =
      Grade(problems, set.runtime, absl::StrCat(set.runtime, "_wrong"), wrong);
  ASSERT_EQ(failed.size(), 164u);
  for (const auto& [id, status] : failed) {
    EXPECT_EQ(status.substr(0, 15), "failed failed: ") << id << ": " << status;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Sets, HumanEvalXGoRustTest,
    ::testing::Values(Set{"humaneval_go.jsonl.gz", "go", "panic(\"fathom: wrong variant\")"},
                      Set{"humaneval_rust.jsonl.gz", "rust-test",
                          "panic!(\"fathom: wrong variant\");"}),
    [](const ::testing::TestParamInfo<Set>& info) {
      return std::string(info.param.runtime) == "go" ? "Go" : "Rust";
    });

}  // namespace
}  // namespace fathom
