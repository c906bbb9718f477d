// HumanEval-X fidelity through the real binary: for each language, `fathom grade` on the
// released problem file (../shared/data/humanevalx/) with two samples per task: the canonical solution, which must pass unless
// it is broken upstream (listed below with the reason and the status it gets), and a
// wrong variant, which must not pass. Skips when the shared data or the language's
// toolchain is absent. A fixed 10 s CPU limit: calibrating the time limits would run every
// canonical program three more times, and no canonical program comes near it.
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grader/formats/problems.h"
#include "grader/policy/policy.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fathom_process.h"

namespace fathom::grader {
namespace {

namespace fs = std::filesystem;

// A canonical solution that does not pass in CodeGeeX's own evaluation either.
struct Broken {
  const char* status;  // the fathom status it gets
  const char* why;
};

struct LanguageCase {
  const char* file;     // under humanevalx/
  const char* runtime;  // the policy that grades it
  // A completion that must not pass, from the problem.
  std::string (*wrong)(const Problem& p);
  std::map<std::string, Broken> broken;
  const char* wrong_status;  // the status every wrong variant gets
};

// --- Java and JavaScript ---

// Throws before the canonical body runs: compiles whatever the return type (javac
// counts the statements after `if (true) throw` as reachable) and exits 1 as a wrong
// answer does (HumanEval-X's Java tests throw AssertionError).
std::string WrongJava(const Problem& p) {
  return absl::StrCat("        if (true) throw new AssertionError(\"wrong variant\");\n",
                      p.canonical_solution);
}

// A wrong answer: every console.assert fails, prints "Assertion failed", and node exits
// 0; only HumanEval-X's quiet rule (humanevalx.h) makes it fail.
std::string WrongJavaScript(const Problem&) { return "  return undefined\n}\n"; }

const LanguageCase kJava = {
    "humaneval_java.jsonl.gz", "java", WrongJava, {}, "failed"};

const LanguageCase kJavaScript = {
    "humaneval_js.jsonl.gz",
    "javascript",
    WrongJavaScript,
    {
        {"JavaScript/112",
         {"failed",
          "returns `(z, false)`: the comma operator yields the boolean alone, and the test "
          "compares against [string, boolean]"}},
        {"JavaScript/155",
         {"failed",
          "tests the parity of the whole number instead of each digit, and counts no "
          "digit in 0 (the test wants [1, 0])"}},
        {"JavaScript/162",
         {"failed",
          "require('js-md5'): CodeGeeX's image installs the npm package js-md5 0.7.3, "
          "which Debian does not package (node's own crypto module works)"}},
    },
    "failed"};

// --- end of Java and JavaScript ---

class HumanEvalXFidelityTest : public ::testing::TestWithParam<const LanguageCase*> {};

TEST_P(HumanEvalXFidelityTest, CanonicalPassesAndWrongVariantFails) {
  const LanguageCase& c = *GetParam();
  const std::string problems_path =
      absl::StrCat(FATHOM_SHARED_DATA_DIR, "/humanevalx/", c.file);
  if (!fs::exists(problems_path)) GTEST_SKIP() << problems_path << " is absent";
  absl::StatusOr<Policy> policy = LoadPolicy(std::string(FATHOM_SOURCE_DIR) + "/policies");
  ASSERT_TRUE(policy.ok()) << policy.status();
  absl::StatusOr<const RuntimePolicy*> rt = policy->Runtime(c.runtime);
  ASSERT_TRUE(rt.ok()) << rt.status();
  if (!MissingToolchainPaths(**rt).empty()) GTEST_SKIP() << c.runtime << " is not installed";
  absl::StatusOr<ProblemSet> problems = LoadProblems(problems_path);
  ASSERT_TRUE(problems.ok()) << problems.status();

  const fs::path dir = fs::temp_directory_path() /
                       absl::StrCat("humanevalx_test_", getpid(), "_", c.runtime);
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string samples = (dir / "samples.jsonl").string();
  {
    std::ofstream out(samples);
    for (const Problem& p : problems->problems) {
      out << nlohmann::json{{"task_id", p.task_id},
                            {"completion_id", 0},
                            {"completion", p.canonical_solution}}
                 .dump()
          << "\n"
          << nlohmann::json{{"task_id", p.task_id},
                            {"completion_id", 1},
                            {"completion", c.wrong(p)}}
                 .dump()
          << "\n";
    }
  }
  const std::string log = (dir / "log.txt").string();
  const int exit_code = e2e::WaitExit(e2e::StartFathom(
      {"grade", "--runtime", c.runtime, "--problems", problems_path, "--samples", samples, "--no-progress",
       "--no-cache", "--timeout", "10", "--policies",
       std::string(FATHOM_SOURCE_DIR) + "/policies"},
      log));
  ASSERT_EQ(exit_code, 0) << e2e::ReadFile(log);

  std::ifstream in(samples + "_results.jsonl");
  std::string line;
  size_t graded = 0;
  while (std::getline(in, line)) {
    const nlohmann::json r = nlohmann::json::parse(line);
    const std::string id = r["task_id"];
    const std::string status = r["status"];
    ++graded;
    if (r["completion_id"] == 1) {
      EXPECT_EQ(status, c.wrong_status) << id << " (wrong variant): " << r["result"];
      EXPECT_FALSE(r["passed"].get<bool>()) << id;
      continue;
    }
    auto broken = c.broken.find(id);
    if (broken == c.broken.end()) {
      EXPECT_EQ(status, "passed") << id << ": " << r["result"] << "\n" << r["stderr_tail"];
    } else {
      EXPECT_EQ(status, broken->second.status) << id << " (" << broken->second.why << ")";
    }
  }
  EXPECT_EQ(graded, 2 * problems->problems.size()) << e2e::ReadFile(log);
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Languages, HumanEvalXFidelityTest,
                         ::testing::Values(&kJava, &kJavaScript),
                         [](const ::testing::TestParamInfo<const LanguageCase*>& info) {
                           return std::string(info.param->runtime);
                         });

}  // namespace
}  // namespace fathom::grader
