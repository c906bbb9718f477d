// Languages through the real `fathom` binary: `fathom run` picks the runtime by extension
// and compiles; `fathom grade` recognises HumanEval-X by task_id, writes compile_error
// and compile_cpu_ms, reuses the compile cache across runs (--cache), and refuses bad
// input with the file and line: an unknown language, a problem file of another language,
// a language whose programs are not assembled yet. Needs root (the sandbox); the C++ cases
// skip where g++ is not installed.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "grader/pipeline/test_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fathom_process.h"

namespace fathom {
namespace {

namespace fs = std::filesystem;

const std::string kSource = FATHOM_SOURCE_DIR;

class LanguagesE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/usr/bin/g++", X_OK) != 0) GTEST_SKIP() << "g++ is not installed";
    dir_ = grader::testing::FreshTestDir("languages_e2e");
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(Path(name), std::ios::binary) << text;
  }
  int Fathom(std::vector<std::string> args, const std::string& log) const {
    args.insert(args.begin() + 1, {"--policies", kSource + "/policies"});
    return e2e::WaitExit(e2e::StartFathom(args, Path(log), {"XDG_CACHE_HOME=" + Path("xdg")}));
  }
  std::string Log(const std::string& log) const { return e2e::ReadFile(Path(log)); }
  std::vector<nlohmann::json> Results(const std::string& name) const {
    std::vector<nlohmann::json> out;
    for (absl::string_view line :
         absl::StrSplit(e2e::ReadFile(Path(name)), '\n', absl::SkipEmpty())) {
      out.push_back(nlohmann::json::parse(line));
    }
    return out;
  }
  // Two HumanEval-X C++ problems, shaped as the released file's rows.
  void WriteCppProblems() const {
    std::string rows;
    for (int i = 0; i < 2; ++i) {
      rows += nlohmann::json{{"task_id", "CPP/" + std::to_string(i)},
                             {"prompt", "#include<stdio.h>\nusing namespace std;\nint f(int x){\n"},
                             {"canonical_solution", "    return x + " + std::to_string(i) + ";\n}\n"},
                             {"test", "#undef NDEBUG\n#include<assert.h>\nint main(){ assert(f(1) == " +
                                          std::to_string(1 + i) + "); }\n"},
                             {"declaration", ""},
                             {"example_test", ""}}
                  .dump() +
              "\n";
    }
    Write("humaneval_cpp.jsonl", rows);
  }
  fs::path dir_;
};

TEST_F(LanguagesE2eTest, RunPicksTheRuntimeByExtensionAndCompiles) {
  Write("prog.cpp", "#include <cstdio>\nint main() { std::puts(\"hi from c++\"); }\n");
  ASSERT_EQ(Fathom({"run", "--json", Path("prog.cpp")}, "run.log"), 0) << Log("run.log");
  EXPECT_TRUE(absl::StrContains(Log("run.log"), "hi from c++")) << Log("run.log");
  Write("bad.cpp", "int main() { retur 1; }\n");
  EXPECT_EQ(Fathom({"run", "--json", Path("bad.cpp")}, "bad.log"), 1);
  EXPECT_TRUE(absl::StrContains(Log("bad.log"), "\"status\":\"compile_error\"")) << Log("bad.log");
  EXPECT_TRUE(absl::StrContains(Log("bad.log"), "retur")) << Log("bad.log");
  Write("prog.cob", "DISPLAY 'HI'.\n");
  EXPECT_EQ(Fathom({"run", Path("prog.cob")}, "cob.log"), 2);
  EXPECT_TRUE(absl::StrContains(Log("cob.log"), "unknown extension '.cob'")) << Log("cob.log");
  Write("script", "echo hi\n");
  ASSERT_EQ(Fathom({"run", "--language", "bash", Path("script")}, "sh.log"), 0) << Log("sh.log");
  EXPECT_TRUE(absl::StrContains(Log("sh.log"), "hi")) << Log("sh.log");
}

TEST_F(LanguagesE2eTest, GradeRecognisesHumanEvalXAndCachesCompiles) {
  WriteCppProblems();
  Write("s.jsonl",
        "{\"task_id\": \"CPP/0\", \"completion\": \"    return x;\\n}\\n\"}\n"
        "{\"task_id\": \"CPP/0\", \"completion\": \"    return x + 5;\\n}\\n\"}\n"
        "{\"task_id\": \"CPP/1\", \"completion\": \"    return x + 1\\n}\\n\"}\n"
        "{\"task_id\": \"CPP/1\", \"completion\": \"    return x + 1;\\n}\\n\"}\n");
  const std::vector<std::string> grade = {"grade", "--problems", Path("humaneval_cpp.jsonl"),
                                          "--samples", Path("s.jsonl"), "--timeout", "5",
                                          "--cache", Path("cache"), "--json", "--k", "1,2"};
  ASSERT_EQ(Fathom(grade, "g1.log"), 0) << Log("g1.log");
  std::vector<nlohmann::json> r = Results("s.jsonl_results.jsonl");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0]["status"], "passed");
  EXPECT_EQ(r[1]["status"], "failed");
  EXPECT_TRUE(absl::StrContains(r[1]["result"].get<std::string>(), "Assertion")) << r[1];
  EXPECT_EQ(r[2]["status"], "compile_error");
  EXPECT_TRUE(absl::StartsWith(r[2]["result"].get<std::string>(), "failed: compile error:"));
  EXPECT_TRUE(absl::StrContains(r[2]["stderr_tail"].get<std::string>(), "error: expected"));
  EXPECT_EQ(r[3]["status"], "passed");
  for (const auto& x : r) EXPECT_GT(x["compile_cpu_ms"].get<int64_t>(), 0) << x;
  const std::string summary = Log("g1.log");
  EXPECT_TRUE(absl::StrContains(summary, "\"name\":\"cpp\"")) << summary;
  EXPECT_TRUE(absl::StrContains(summary, "\"compiles\":5")) << summary;  // 4 + the pch

  // Another time limit: no verdict is cached for it, every compile is.
  std::vector<std::string> again = grade;
  again[6] = "6";
  ASSERT_EQ(Fathom(again, "g2.log"), 0) << Log("g2.log");
  EXPECT_TRUE(absl::StrContains(Log("g2.log"), "\"compiles\":0")) << Log("g2.log");
  EXPECT_TRUE(absl::StrContains(Log("g2.log"), "\"disk_hits\":5")) << Log("g2.log");
  r = Results("s.jsonl_results.jsonl");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0]["status"], "passed");
  EXPECT_EQ(r[2]["status"], "compile_error");
  EXPECT_EQ(r[0]["compile_cpu_ms"], 0);  // from the cache
}

TEST_F(LanguagesE2eTest, BadInputNamesTheFileAndLine) {
  WriteCppProblems();
  Write("s.jsonl", "{\"task_id\": \"CPP/0\", \"completion\": \"    return x;\\n}\\n\"}\n");
  EXPECT_EQ(Fathom({"grade", "--problems", Path("humaneval_cpp.jsonl"), "--samples",
                    Path("s.jsonl"), "--language", "python"},
                   "mismatch.log"),
            2);
  EXPECT_TRUE(absl::StrContains(Log("mismatch.log"),
                                Path("humaneval_cpp.jsonl") + ":1: task CPP/0 is a cpp problem, "
                                                              "not python"))
      << Log("mismatch.log");
  EXPECT_TRUE(absl::StrContains(Log("mismatch.log"), "(and 1 more)")) << Log("mismatch.log");
  EXPECT_EQ(Fathom({"grade", "--problems", Path("humaneval_cpp.jsonl"), "--samples",
                    Path("s.jsonl"), "--language", "cobol"},
                   "unknown.log"),
            2);
  EXPECT_TRUE(absl::StrContains(Log("unknown.log"), "unknown runtime 'cobol' (known: bash, c, "
                                                    "cpp, "))
      << Log("unknown.log");
  EXPECT_TRUE(absl::StrContains(Log("unknown.log"), ", python, ")) << Log("unknown.log");
  Write("go.jsonl",
        "{\"task_id\": \"Go/0\", \"prompt\": \"func F() {\", \"test\": \"func T() {}\"}\n");
  Write("go_samples.jsonl", "{\"task_id\": \"Go/0\", \"completion\": \"}\"}\n");
  EXPECT_EQ(Fathom({"grade", "--problems", Path("go.jsonl"), "--samples", Path("go_samples.jsonl"),
                    "--language", "cpp"},
                   "go.log"),
            2);
  EXPECT_TRUE(absl::StrContains(Log("go.log"), Path("go.jsonl") + ":1: task Go/0 is a go problem"))
      << Log("go.log");
}

// Without the cgroup layer RLIMIT_DATA stands in for the memory limit and a C program sees
// malloc fail rather than memory_limit: the self-test says it skipped that status and why,
// and the runtime still passes; every other status is still required.
TEST_F(LanguagesE2eTest, SelfTestSkipsMemoryLimitWithoutTheCgroupLayer) {
  const fs::path policies = dir_ / "policies";
  fs::copy(kSource + "/policies", policies, fs::copy_options::recursive);
  std::string yaml = e2e::ReadFile((policies / "sandbox.yaml").string());
  const size_t at = yaml.find("  cgroup: true");
  ASSERT_NE(at, std::string::npos);
  yaml.replace(at, 14, "  cgroup: false");
  std::ofstream((policies / "sandbox.yaml").string(), std::ios::trunc) << yaml;
  const int rc = e2e::WaitExit(e2e::StartFathom(
      {"runtimes", "--policies", policies.string(), "--self-test", "--language", "c", "--json"},
      Path("c.log"), {"XDG_CACHE_HOME=" + Path("xdg")}));
  const std::string log = Log("c.log");
  EXPECT_EQ(rc, 0) << log;
  const size_t json_at = log.find("{\n  \"runtimes\"");  // --json: dump(2)
  ASSERT_NE(json_at, std::string::npos) << log;
  const nlohmann::json j = nlohmann::json::parse(log.substr(json_at));
  ASSERT_EQ(j["runtimes"].size(), 1u) << log;
  int skipped = 0, ran = 0;
  for (const nlohmann::json& t : j["runtimes"][0]["self_tests"]) {
    EXPECT_TRUE(t["ok"].get<bool>()) << t.dump();
    if (t["name"] == "memory_limit") {
      ++skipped;
      EXPECT_EQ(t["got"], "skipped");
      EXPECT_TRUE(absl::StrContains(t["skipped"].get<std::string>(), "the cgroup layer is off"))
          << t.dump();
    } else {
      ++ran;
      EXPECT_EQ(t["skipped"], "") << t.dump();
      EXPECT_EQ(t["got"], t["expected"]) << t.dump();
    }
  }
  EXPECT_EQ(skipped, 1) << log;
  EXPECT_GE(ran, 8) << log;
}

}  // namespace
}  // namespace fathom
