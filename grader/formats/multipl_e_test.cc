// MultiPL-E completions and results files (multipl_e.h): loading, names, the statuses and
// the round trip through fathom's problems, samples and results JSONL.
#include "grader/formats/multipl_e.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "grader/formats/line_reader.h"
#include "grader/formats/problems.h"
#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

namespace fs = std::filesystem;

class MultiplETest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/multipl_e_test_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string dir_;
};

constexpr char kProblem[] =
    R"J({"name": "P_1", "language": "rs", "prompt": "fn f() -> i32 {\n", "tests": "}\nfn main() {}\n",)J"
    R"J( "stop_tokens": ["\n}"], "temperature": 0.2, "completions": ["    1\n", "    2\n"]})J";

TEST_F(MultiplETest, LoadsADirectoryButNotItsResults) {
  Write("P_1.json", kProblem);
  Write("P_1.results.json", R"J({"name": "P_1", "results": []})J");
  Write("notes.txt", "x");
  EXPECT_TRUE(IsMultiplECompletions(dir_));
  absl::StatusOr<std::vector<MultiplEFile>> files = LoadMultiplECompletions(dir_);
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].name, "P_1");
  EXPECT_EQ((*files)[0].completions, (std::vector<std::string>{"    1\n", "    2\n"}));
  EXPECT_FALSE((*files)[0].problem.contains("completions"));
  EXPECT_EQ(MultiplEResultsPath((*files)[0], ""), dir_ + "/P_1.results.json");
  EXPECT_EQ(MultiplEResultsPath((*files)[0], "/o"), "/o/P_1.results.json");
  MultiplEFile gz = (*files)[0];
  gz.path = "/x/P_1.json.gz";
  gz.gzip = true;
  EXPECT_EQ(MultiplEResultsPath(gz, ""), "/x/P_1.results.json.gz");
}

TEST_F(MultiplETest, BadFilesNameTheFileAndField) {
  const std::string no_tests =
      Write("a.json", R"J({"name": "a", "language": "rs", "prompt": "", "completions": []})J");
  absl::StatusOr<std::vector<MultiplEFile>> f = LoadMultiplECompletions(no_tests);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find(no_tests), std::string::npos) << f.status();
  EXPECT_NE(f.status().message().find("tests"), std::string::npos) << f.status();
  const std::string bad = Write("b.json", R"J({"name": "b", "language": "rs", "prompt": "",)J"
                                          R"J( "tests": "", "completions": [1]})J");
  f = LoadMultiplECompletions(bad);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("completions[0]"), std::string::npos) << f.status();
  EXPECT_FALSE(IsMultiplECompletions(bad));
  fs::create_directories(dir_ + "/empty");
  EXPECT_FALSE(LoadMultiplECompletions(dir_ + "/empty").ok());
}

TEST_F(MultiplETest, StatusesAreMultiplEs) {
  EXPECT_EQ(MultiplEStatus("passed"), "OK");
  EXPECT_EQ(MultiplEStatus("compile_error"), "SyntaxError");
  EXPECT_EQ(MultiplEStatus("timeout"), "Timeout");
  for (const char* s : {"failed", "error", "memory_limit", "output_limit", "syscall_violation",
                        "sandbox_error"}) {
    EXPECT_EQ(MultiplEStatus(s), "Exception") << s;
  }
}

TEST_F(MultiplETest, RoundTripThroughFathomsFiles) {
  Write("P_1.json", kProblem);
  absl::StatusOr<std::vector<MultiplEFile>> files = LoadMultiplECompletions(dir_);
  ASSERT_TRUE(files.ok()) << files.status();
  const std::string problems = dir_ + "/p.jsonl";
  const std::string samples = dir_ + "/s.jsonl";
  ASSERT_TRUE(WriteMultiplEInputs(*files, problems, samples).ok());
  absl::StatusOr<ProblemSet> set = LoadProblems(problems);
  ASSERT_TRUE(set.ok()) << set.status();
  const Problem* p = set->Find("P_1");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->format, ProblemFormat::kMultiplE);
  EXPECT_EQ(p->language, "rs");
  EXPECT_EQ(p->test, "}\nfn main() {}\n");
  EXPECT_EQ(p->stop_tokens, (std::vector<std::string>{"\n}"}));

  // One results row is missing: an error naming the task and index.
  const std::string results = Write(
      "r.jsonl", R"J({"task_id": "P_1", "completion_id": 0, "status": "passed", "stderr_tail": ""})J"
                 "\n");
  absl::Status s = WriteMultiplEResults(*files, results, dir_ + "/out");
  EXPECT_NE(s.message().find("P_1 completion 1"), std::string::npos) << s;
  std::ofstream(results, std::ios::app)
      << R"J({"task_id": "P_1", "completion_id": 1, "status": "compile_error", "stderr_tail": "error[E0308]"})J"
      << "\n";
  fs::create_directories(dir_ + "/out");
  ASSERT_TRUE(WriteMultiplEResults(*files, results, dir_ + "/out").ok());
  absl::StatusOr<std::string> text = ReadWholeFile(dir_ + "/out/P_1.results.json");
  ASSERT_TRUE(text.ok());
  const nlohmann::ordered_json r = nlohmann::ordered_json::parse(*text);
  EXPECT_EQ(r["temperature"], 0.2);
  ASSERT_EQ(r["results"].size(), 2u);
  EXPECT_EQ(r["results"][0]["status"], "OK");
  EXPECT_EQ(r["results"][0]["exit_code"], 0);
  EXPECT_EQ(r["results"][0]["program"], "fn f() -> i32 {\n    1\n\n}\nfn main() {}\n");
  EXPECT_EQ(r["results"][1]["status"], "SyntaxError");
  EXPECT_EQ(r["results"][1]["stderr"], "error[E0308]");
}

// MultiPL-E's "java" is graded by java-multipl-e (class Problem, javatuples, -ea), while a
// HumanEval-X Java row keeps the java runtime; every other language name is the runtime's.
TEST_F(MultiplETest, JavaIsTheMultiplEJavaRuntime) {
  EXPECT_EQ(MultiplERuntimeName("java"), "java-multipl-e");
  for (const char* same : {"rs", "go_test.go", "cpp", "js", "ts", "sh", "py", "lua"}) {
    EXPECT_EQ(MultiplERuntimeName(same), same);
  }
  absl::StatusOr<Problem> multipl_e = ParseProblem(
      nlohmann::json::parse(R"J({"name": "HumanEval_0_x", "language": "java", "prompt": "",)J"
                            R"J( "tests": "", "stop_tokens": []})J"),
      "m.jsonl:1");
  ASSERT_TRUE(multipl_e.ok()) << multipl_e.status();
  EXPECT_EQ(multipl_e->format, ProblemFormat::kMultiplE);
  EXPECT_EQ(multipl_e->language, "java-multipl-e");
  absl::StatusOr<Problem> humaneval_x = ParseProblem(
      nlohmann::json::parse(R"J({"task_id": "Java/0", "prompt": "", "test": ""})J"), "x.jsonl:1");
  ASSERT_TRUE(humaneval_x.ok()) << humaneval_x.status();
  EXPECT_EQ(humaneval_x->format, ProblemFormat::kHumanEvalX);
  EXPECT_EQ(humaneval_x->language, "java");
}

}  // namespace
}  // namespace fathom::grader
