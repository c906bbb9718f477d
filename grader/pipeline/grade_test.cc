// The grading engine with a fake Runner: input order, dedup, cache, resume after a crash,
// bad input, --strict, concurrency bound.
#include "grader/pipeline/grade.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grader/pipeline/program.h"
#include "grader/pipeline/test_util.h"
#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

namespace fs = std::filesystem;

// Decides a run from markers in the sample's code, as the harness would report it:
// "PASS" passes, "ASSERT" fails an assert, "RAISE" raises ValueError("bad"), "EXIT0"
// exits 0 without a record, "LOOP" hits the CPU limit, "SLOW" passes after 30 ms.
class FakeRunner final : public sandbox::Runner {
 public:
  absl::StatusOr<sandbox::RunResult> Run(const sandbox::RunSpec& spec) override {
    int now = ++running_;
    int prev = max_running_.load();
    while (now > prev && !max_running_.compare_exchange_weak(prev, now)) {
    }
    const std::string& program = spec.files.at(0).content;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++runs_by_program_[program];
      limit_by_program_[program] = spec.limits.cpu_time_ms;
    }
    ++runs_;
    std::string nonce = spec.stdin_data.substr(0, spec.stdin_data.find('\n'));
    sandbox::RunResult r;
    r.status = sandbox::RunStatus::kOk;
    r.exit_code = 0;
    r.cpu_ms = 5;
    r.wall_ms = 7;
    r.max_rss_kb = 1000;
    auto rec = [&](const std::string& json) {
      r.stdout_data = absl::StrCat("\nFATHOM-", nonce, " ", json, "\n");
    };
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
    if (program.find("SLOW") != std::string::npos) {
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
    if (program.find("LOOP") != std::string::npos) {
      r.status = sandbox::RunStatus::kCpuTimeout;
    } else if (program.find("EXIT0") != std::string::npos) {
      // no record
    } else if (program.find("ASSERT") != std::string::npos) {
      rec(R"({"outcome":"exception","type":"AssertionError","message":"","assertion":true,"memory":false})");
    } else if (program.find("RAISE") != std::string::npos) {
      rec(R"({"outcome":"exception","type":"ValueError","message":"bad","assertion":false,"memory":false})");
    } else if (program.find("PASS") != std::string::npos) {
      rec(R"({"outcome":"passed"})");
    }
    --running_;
    return r;
  }
  sandbox::LayerSet active_layers() const override { return {}; }

  std::atomic<int> runs_{0};
  std::atomic<int> running_{0};
  std::atomic<int> max_running_{0};
  int delay_ms_ = 0;
  std::mutex mu_;
  std::map<std::string, int> runs_by_program_;
  std::map<std::string, int64_t> limit_by_program_;
};

class GradeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTestDir("grade_test");
    Write("problems.jsonl",
          R"({"task_id": "t/0", "prompt": "def f():\n", "canonical_solution": "    return 1\n", "test": "def check(c):\n    assert c() == 1\n", "entry_point": "f"})"
          "\n"
          R"({"task_id": "t/1", "prompt": "def g():\n", "canonical_solution": "    return 2\n", "test": "def check(c):\n    assert c() == 2\n", "entry_point": "g"})"
          "\n");
    absl::StatusOr<ProblemSet> p = LoadProblems(Path("problems.jsonl"));
    ASSERT_TRUE(p.ok()) << p.status();
    problems_ = *std::move(p);
    runtime_ = testing::FakeRuntime();
    options_.progress = false;
    options_.workers = 2;
    options_.log = &log_;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  std::string Read(const std::string& name) {
    std::ifstream in(dir_ / name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::vector<nlohmann::json> Results() {
    std::vector<nlohmann::json> out;
    for (absl::string_view line :
         absl::StrSplit(Read("samples.jsonl_results.jsonl"), '\n', absl::SkipEmpty())) {
      out.push_back(nlohmann::json::parse(line));
    }
    return out;
  }
  absl::StatusOr<GradeReport> RunGrade() {
    options_.samples_path = Path("samples.jsonl");
    return Grade(options_, problems_, runner_, runtime_);
  }
  static std::string WithoutTimings(const std::string& text) {
    return testing::JsonlWithoutTimings(text);
  }

  fs::path dir_;
  ProblemSet problems_;
  FakeRunner runner_;
  RuntimeContext runtime_;
  GradeOptions options_;
  std::ostringstream log_;
};

std::string SampleLine(const std::string& task, const std::string& completion, int id = -1) {
  nlohmann::ordered_json j;
  j["task_id"] = task;
  j["completion"] = completion;
  if (id >= 0) j["completion_id"] = id;
  return j.dump() + "\n";
}

TEST_F(GradeTest, ResultsInInputOrderWithEveryFieldAndPassAtK) {
  std::string samples;
  const char* kinds[] = {"SLOW PASS", "ASSERT", "RAISE", "PASS", "EXIT0", "LOOP"};
  for (int i = 0; i < 6; ++i) samples += SampleLine(i % 2 ? "t/1" : "t/0", kinds[i], i);
  Write("samples.jsonl", samples);
  absl::StatusOr<GradeReport> r = RunGrade();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->completed);
  auto results = Results();
  ASSERT_EQ(results.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(results[i]["completion_id"], i);
    EXPECT_EQ(results[i]["completion"], kinds[i]);
  }
  EXPECT_EQ(results[0]["status"], "passed");
  EXPECT_EQ(results[0]["result"], "passed");
  EXPECT_EQ(results[0]["passed"], true);
  EXPECT_EQ(results[1]["status"], "failed");
  EXPECT_EQ(results[1]["result"], "failed: ");
  EXPECT_EQ(results[2]["status"], "error");
  EXPECT_EQ(results[2]["result"], "failed: bad");
  EXPECT_EQ(results[3]["status"], "passed");
  EXPECT_EQ(results[4]["status"], "error");
  EXPECT_EQ(results[4]["passed"], false);
  EXPECT_EQ(results[5]["status"], "timeout");
  EXPECT_EQ(results[5]["result"], "timed out");
  for (const auto& key : {"cpu_ms", "wall_ms", "max_rss_kb", "stderr_tail", "cache_hit"}) {
    EXPECT_TRUE(results[0].contains(key)) << key;
  }
  // t/0: PASS, RAISE, EXIT0 -> 1 of 3; t/1: ASSERT, PASS, LOOP -> 1 of 3.
  ASSERT_EQ(r->tasks.size(), 2u);
  EXPECT_EQ(r->tasks[0].second.n, 3);
  EXPECT_EQ(r->tasks[0].second.c, 1);
  ASSERT_EQ(r->pass_at_k.size(), 1u);  // k=10, 100 need more samples
  EXPECT_NEAR(r->pass_at_k[0].second, 1.0 / 3, 1e-15);
  EXPECT_FALSE(fs::exists(Path("samples.jsonl_results.jsonl.journal")));
  EXPECT_FALSE(fs::exists(Path("samples.jsonl_results.jsonl.partial")));
}

TEST_F(GradeTest, ShardsGradeTheirTasksAndRecordWhereTheirLinesSit) {
  // t/0 hashes to shard 1 of 2, t/1 to shard 0 (shard_test.cc has the hash's vectors).
  ASSERT_EQ(ShardOf("t/0", 2), 1);
  ASSERT_EQ(ShardOf("t/1", 2), 0);
  std::string samples;
  const char* tasks[] = {"t/0", "t/1", "t/1", "t/0", "t/0", "t/1", "t/1"};
  for (int i = 0; i < 7; ++i) samples += SampleLine(tasks[i], i % 3 ? "PASS" : "ASSERT", i);
  samples += "{not json\n";  // every shard reads (and reports) the whole file
  Write("samples.jsonl", samples);
  absl::StatusOr<GradeReport> whole = RunGrade();
  ASSERT_TRUE(whole.ok()) << whole.status();
  const std::string whole_text = Read("samples.jsonl_results.jsonl");
  std::vector<std::string> lines = absl::StrSplit(whole_text, '\n', absl::SkipEmpty());
  EXPECT_EQ(whole->index_runs, (std::vector<std::pair<int64_t, int64_t>>{{0, 7}}));
  for (int shard = 0; shard < 2; ++shard) {
    options_.shard = ShardSpec{shard, 2};
    options_.out_path = Path(absl::StrCat("shard-", shard, ".jsonl"));
    absl::StatusOr<GradeReport> r = RunGrade();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->completed);
    EXPECT_EQ(r->bad_records, 1);
    EXPECT_EQ(r->file_samples, 7);
    EXPECT_EQ(r->samples_digest, whole->samples_digest);
    EXPECT_EQ(r->file_tasks, (std::vector<std::pair<std::string, int64_t>>{{"t/0", 3}, {"t/1", 4}}));
    // Shard 1 holds t/0's samples 0, 3, 4; shard 0 t/1's 1, 2, 5, 6: each line as the
    // unsharded run wrote it.
    const auto expected_runs = shard == 1
        ? std::vector<std::pair<int64_t, int64_t>>{{0, 1}, {3, 2}}
        : std::vector<std::pair<int64_t, int64_t>>{{1, 2}, {5, 2}};
    EXPECT_EQ(r->index_runs, expected_runs);
    std::string expected;
    for (const auto& [first, count] : expected_runs) {
      for (int64_t i = first; i < first + count; ++i) expected += lines[i] + "\n";
    }
    EXPECT_EQ(WithoutTimings(Read(absl::StrCat("shard-", shard, ".jsonl"))),
              WithoutTimings(expected));
    ASSERT_EQ(r->tasks.size(), 1u);
    EXPECT_EQ(r->tasks[0].first, shard == 1 ? "t/0" : "t/1");
  }
}

TEST_F(GradeTest, ASecondRunOnTheSameResultsIsRefused) {
  Write("samples.jsonl", SampleLine("t/0", "PASS"));
  const int held = open(Path("samples.jsonl_results.jsonl.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(held, 0);
  ASSERT_EQ(flock(held, LOCK_EX), 0);  // as a run writing these results holds it
  absl::StatusOr<GradeReport> r = RunGrade();
  EXPECT_TRUE(absl::IsFailedPrecondition(r.status())) << r.status();
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("another grading run is writing it"));
  close(held);
  ASSERT_TRUE(RunGrade().ok());
  EXPECT_FALSE(fs::exists(Path("samples.jsonl_results.jsonl.lock")));
}

TEST_F(GradeTest, NeverMoreConcurrentRunsThanWorkers) {
  std::string samples;
  for (int i = 0; i < 40; ++i) samples += SampleLine("t/0", absl::StrCat("PASS ", i));
  Write("samples.jsonl", samples);
  runner_.delay_ms_ = 5;
  options_.workers = 3;
  ASSERT_TRUE(RunGrade().ok());
  EXPECT_EQ(runner_.runs_.load(), 40);
  EXPECT_LE(runner_.max_running_.load(), 3);
  EXPECT_GE(runner_.max_running_.load(), 2);
}

TEST_F(GradeTest, IdenticalProgramsRunOnce) {
  std::string samples;
  for (int i = 0; i < 10; ++i) samples += SampleLine("t/0", i % 2 ? "PASS" : "ASSERT");
  samples += SampleLine("t/1", "PASS");  // same text, other problem: another program
  Write("samples.jsonl", samples);
  absl::StatusOr<GradeReport> r = RunGrade();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(runner_.runs_.load(), 3);
  auto results = Results();
  ASSERT_EQ(results.size(), 11u);
  EXPECT_EQ(results[0]["cache_hit"], false);
  EXPECT_EQ(results[1]["cache_hit"], false);
  for (int i = 2; i < 10; ++i) {
    EXPECT_EQ(results[i]["cache_hit"], true) << i;
    EXPECT_EQ(results[i]["passed"], i % 2 == 1) << i;
  }
  EXPECT_EQ(results[10]["cache_hit"], false);
}

// The in-run dedup is bounded. A program seen again after more than a reorder window of
// other samples (so its first run has surely finished) is a cache hit by default, and
// runs again when the dedup may keep nothing.
TEST_F(GradeTest, DedupMemoryIsBounded) {
  std::string samples = SampleLine("t/0", "PASS");
  for (int i = 0; i < 4100; ++i) samples += SampleLine("t/0", absl::StrCat("PASS #", i));
  samples += SampleLine("t/0", "PASS");
  Write("samples.jsonl", samples);
  for (int64_t bound : {int64_t{32} << 20, int64_t{1}}) {
    runner_.runs_ = 0;
    options_.max_dedup_bytes = bound;
    options_.resume = false;
    absl::StatusOr<GradeReport> r = RunGrade();
    ASSERT_TRUE(r.ok());
    auto results = Results();
    ASSERT_EQ(results.size(), 4102u);
    EXPECT_EQ(results.back()["passed"], true);
    EXPECT_EQ(results.back()["cache_hit"], bound == 1 ? false : true) << bound;
    EXPECT_EQ(runner_.runs_.load(), bound == 1 ? 4102 : 4101) << bound;
  }
}

TEST_F(GradeTest, DiskCacheAcrossRuns) {
  Write("samples.jsonl", SampleLine("t/0", "PASS") + SampleLine("t/1", "RAISE"));
  options_.cache_dir = Path("cache");
  ASSERT_TRUE(RunGrade().ok());
  EXPECT_EQ(runner_.runs_.load(), 2);
  std::string first = WithoutTimings(Read("samples.jsonl_results.jsonl"));
  ASSERT_TRUE(RunGrade().ok());
  EXPECT_EQ(runner_.runs_.load(), 2);  // nothing ran the second time
  auto results = Results();
  EXPECT_EQ(results[0]["cache_hit"], true);
  EXPECT_EQ(results[1]["cache_hit"], true);
  EXPECT_EQ(results[1]["result"], "failed: bad");
  // Different limits: a different key.
  options_.limits.cpu_time_ms = 1000;
  ASSERT_TRUE(RunGrade().ok());
  EXPECT_EQ(runner_.runs_.load(), 4);
  EXPECT_EQ(Results()[0]["cpu_limit_ms"], 1000);
  // --no-cache equivalent: no directory, everything runs.
  options_.cache_dir.clear();
  options_.limits.cpu_time_ms = sandbox::Limits::kDefaultCpuTimeMs;
  ASSERT_TRUE(RunGrade().ok());
  EXPECT_EQ(runner_.runs_.load(), 6);
  EXPECT_EQ(WithoutTimings(Read("samples.jsonl_results.jsonl")), first);
}

TEST_F(GradeTest, ResumeAfterCrashEqualsUninterruptedRun) {
  std::string samples;
  const char* kinds[] = {"PASS", "ASSERT", "RAISE", "LOOP", "EXIT0"};
  for (int i = 0; i < 60; ++i) {
    samples += SampleLine(i % 3 ? "t/0" : "t/1", absl::StrCat(kinds[i % 5], " ", i % 7), i);
  }
  Write("samples.jsonl", samples);
  ASSERT_TRUE(RunGrade().ok());
  const std::string uninterrupted = WithoutTimings(Read("samples.jsonl_results.jsonl"));
  const int full_runs = runner_.runs_.load();
  fs::remove(Path("samples.jsonl_results.jsonl"));

  // A child process grades the same input and dies abruptly (like kill -9) in the middle
  // of its 15th run.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    class DyingRunner final : public sandbox::Runner {
     public:
      absl::StatusOr<sandbox::RunResult> Run(const sandbox::RunSpec& spec) override {
        if (++runs_ == 15) _exit(137);
        return inner_.Run(spec);
      }
      sandbox::LayerSet active_layers() const override { return {}; }
      std::atomic<int> runs_{0};
      FakeRunner inner_;
    } dying;
    options_.samples_path = Path("samples.jsonl");
    (void)Grade(options_, problems_, dying, runtime_);
    _exit(0);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus));
  ASSERT_EQ(WEXITSTATUS(wstatus), 137);
  ASSERT_FALSE(fs::exists(Path("samples.jsonl_results.jsonl")));
  std::string journal = Read("samples.jsonl_results.jsonl.journal");
  std::vector<std::string> entries = absl::StrSplit(journal, '\n', absl::SkipEmpty());
  ASSERT_GE(entries.size(), 10u);  // header + at least 9 verdicts
  // Tear the journal mid-line, as a crash during a write would.
  Write("samples.jsonl_results.jsonl.journal",
        journal + entries.back().substr(0, entries.back().size() / 2));

  runner_.runs_ = 0;
  absl::StatusOr<GradeReport> r = RunGrade();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->completed);
  EXPECT_GE(r->resumed, 9);
  EXPECT_EQ(WithoutTimings(Read("samples.jsonl_results.jsonl")), uninterrupted);
  // Only what the dead run had not finished ran again.
  EXPECT_LE(runner_.runs_.load(), full_runs - 9);
  EXPECT_FALSE(fs::exists(Path("samples.jsonl_results.jsonl.journal")));
  EXPECT_FALSE(fs::exists(Path("samples.jsonl_results.jsonl.partial")));
}

TEST_F(GradeTest, JournalFromOtherSettingsIsRefused) {
  Write("samples.jsonl", SampleLine("t/0", "PASS"));
  Write("samples.jsonl_results.jsonl.journal",
        R"({"fathom_journal":1,"fingerprint":"something-else"})" "\n");
  absl::StatusOr<GradeReport> r = RunGrade();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("--no-resume"));
  options_.resume = false;
  EXPECT_TRUE(RunGrade().ok());
}

TEST_F(GradeTest, PerTaskLimitsReachTheSandboxAndTheResults) {
  Write("samples.jsonl", SampleLine("t/0", "PASS") + SampleLine("t/1", "PASS") +
                             SampleLine("t/1", "LOOP") + SampleLine("t/0", "PASS"));
  options_.setup.task_cpu_time_ms = {1000, 2500};
  absl::StatusOr<GradeReport> r = RunGrade();
  ASSERT_TRUE(r.ok()) << r.status();
  auto results = Results();
  ASSERT_EQ(results.size(), 4u);
  const int64_t expected[] = {1000, 2500, 2500, 1000};
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(results[i]["cpu_limit_ms"], expected[i]) << i;
  EXPECT_EQ(results[3]["cache_hit"], true);
  ASSERT_EQ(runner_.limit_by_program_.size(), 3u);
  for (const auto& [program, limit] : runner_.limit_by_program_) {
    EXPECT_EQ(limit, program.find("def g()") != std::string::npos ? 2500 : 1000);
  }
  // Without a table every task gets limits.cpu_time_ms.
  options_.setup.task_cpu_time_ms.clear();
  options_.limits.cpu_time_ms = 1700;
  ASSERT_TRUE(RunGrade().ok());
  for (const auto& result : Results()) EXPECT_EQ(result["cpu_limit_ms"], 1700);
  // A table for another problem set is refused before anything runs.
  options_.setup.task_cpu_time_ms = {1000};
  EXPECT_EQ(RunGrade().status().message(), "per-task time limits: 1 for 2 problems");
}

TEST_F(GradeTest, ChangedTaskLimitsChangeCacheKeysAndRefuseAResume) {
  Write("samples.jsonl", SampleLine("t/0", "PASS") + SampleLine("t/1", "PASS"));
  options_.cache_dir = Path("cache");
  options_.setup.task_cpu_time_ms = {1000, 1000};
  ASSERT_TRUE(RunGrade().ok());
  ASSERT_TRUE(RunGrade().ok());
  EXPECT_EQ(runner_.runs_.load(), 2);  // the second run came from the disk cache
  options_.setup.task_cpu_time_ms = {1000, 1400};
  ASSERT_TRUE(RunGrade().ok());
  EXPECT_EQ(runner_.runs_.load(), 3);  // t/1's limit changed: its verdict is not reused
  auto results = Results();
  EXPECT_EQ(results[0]["cache_hit"], true);
  EXPECT_EQ(results[1]["cache_hit"], false);
  EXPECT_EQ(results[1]["cpu_limit_ms"], 1400);

  // A run stopped by --strict keeps its journal; resuming it under other limits is refused.
  Write("samples.jsonl", SampleLine("t/0", "PASS 2") + "{bad\n" + SampleLine("t/1", "PASS 2"));
  options_.strict = true;
  absl::StatusOr<GradeReport> stopped = RunGrade();
  ASSERT_TRUE(stopped.ok());
  ASSERT_FALSE(stopped->completed);
  ASSERT_TRUE(fs::exists(Path("samples.jsonl_results.jsonl.journal")));
  options_.setup.task_cpu_time_ms = {1000, 1000};
  absl::StatusOr<GradeReport> r = RunGrade();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("--no-resume"));
  // The same limits as the stopped run resume it.
  options_.setup.task_cpu_time_ms = {1000, 1400};
  r = RunGrade();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->resumed, 1);
}

TEST_F(GradeTest, BadInputIsReportedWithFileAndLineAndTheRunGoesOn) {
  Write("samples.jsonl",
        SampleLine("t/0", "PASS", 1) +                              // line 1
        "{not json\n" +                                             // line 2
        R"({"task_id": "t/0", "completion": ["PASS"]})" "\n" +      // line 3
        SampleLine("t/9", "PASS") +                                 // line 4
        SampleLine("t/0", "ASSERT", 1) +                            // line 5: duplicate id
        R"({"task_id": "t/1"})" "\n" +                              // line 6
        SampleLine("t/1", "PASS", 1));                              // line 7: other task
  absl::StatusOr<GradeReport> r = RunGrade();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->completed);
  EXPECT_EQ(r->bad_records, 5);
  EXPECT_EQ(r->samples, 2);
  std::string log = log_.str();
  std::string f = Path("samples.jsonl");
  EXPECT_THAT(log, ::testing::HasSubstr(f + ":2: malformed JSON"));
  EXPECT_THAT(log, ::testing::HasSubstr(f + ":3: field `completion` must be a string, got array"));
  EXPECT_THAT(log, ::testing::HasSubstr(f + ":4: unknown task_id t/9"));
  EXPECT_THAT(log, ::testing::HasSubstr(f + ":5: duplicate completion_id 1 for task t/0"));
  EXPECT_THAT(log, ::testing::HasSubstr(f + ":6: field `completion` (or `solution`) is missing"));
  auto results = Results();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]["task_id"], "t/0");
  EXPECT_EQ(results[1]["task_id"], "t/1");
}

TEST_F(GradeTest, StrictStopsAtTheFirstBadRecordAndKeepsWhatWasGraded) {
  Write("samples.jsonl", SampleLine("t/0", "PASS") + SampleLine("t/1", "PASS") +
                             "{not json\n" + SampleLine("t/0", "ASSERT"));
  options_.strict = true;
  absl::StatusOr<GradeReport> r = RunGrade();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->completed);
  EXPECT_THAT(r->stop_reason, ::testing::HasSubstr(Path("samples.jsonl") + ":3"));
  EXPECT_EQ(r->samples, 2);
  EXPECT_EQ(runner_.runs_.load(), 2);
  // Nothing graded is lost: the partial results and the journal stay for a rerun.
  EXPECT_EQ(Read("samples.jsonl_results.jsonl.partial").size() > 0, true);
  EXPECT_TRUE(fs::exists(Path("samples.jsonl_results.jsonl.journal")));
}

TEST_F(GradeTest, SolutionWinsOverCompletionAndExtractApplies) {
  Write("samples.jsonl",
        R"({"task_id": "t/0", "completion": "ASSERT", "solution": "PASS"})" "\n"
        R"({"task_id": "t/0", "completion": "PASS\ndef extra(): ASSERT"})" "\n");
  options_.extract = ExtractMode::kStop;
  absl::StatusOr<GradeReport> r = RunGrade();
  ASSERT_TRUE(r.ok());
  auto results = Results();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]["status"], "passed");
  EXPECT_EQ(results[1]["status"], "passed");  // cut at "\ndef"
}

TEST_F(GradeTest, UnreadableSamplesIsAnErrorBeforeAnyOutput) {
  options_.samples_path = Path("missing.jsonl");
  absl::StatusOr<GradeReport> r = Grade(options_, problems_, runner_, runtime_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(Path("missing.jsonl_results.jsonl.journal")));
}

TEST_F(GradeTest, StallWarningNamesInFlightTasks) {
  Write("samples.jsonl", SampleLine("t/1", "PASS"));
  runner_.delay_ms_ = 400;
  options_.progress = true;
  options_.progress_interval_ms = 100;
  options_.stall_warning_ms = 150;
  ASSERT_TRUE(RunGrade().ok());
  EXPECT_THAT(log_.str(), ::testing::HasSubstr("nothing finished for"));
  EXPECT_THAT(log_.str(), ::testing::HasSubstr("in flight: t/1"));
  EXPECT_THAT(log_.str(), ::testing::HasSubstr("0/1 samples"));
}

}  // namespace
}  // namespace fathom::grader

namespace fathom::grader {
namespace {

// The driver's entry point grades a list in process, through the same plan as a file:
// the same verdicts, identical programs run once, and the same pass@k.
TEST_F(GradeTest, GradeSamplesGivesTheFileEnginesVerdictsAndPassAtK) {
  const std::vector<SampleToGrade> samples = {
      {"t/0", "PASS"}, {"t/1", "ASSERT"}, {"t/0", "RAISE"}, {"t/1", "PASS"}, {"t/0", "PASS"}};
  std::string lines;
  for (const SampleToGrade& s : samples) lines += SampleLine(s.task_id, s.code);
  Write("samples.jsonl", lines);
  absl::StatusOr<GradeReport> report = RunGrade();
  ASSERT_TRUE(report.ok()) << report.status();
  const std::vector<nlohmann::json> results = Results();
  const int runs_for_file = runner_.runs_.load();

  const GradingSetup setup;
  PlanSettings settings;
  settings.limits = options_.limits;
  const GradingPlan plan(problems_, runtime_, setup, settings);
  BatchOptions batch_options;
  batch_options.workers = 2;
  batch_options.ks = {1, 2};
  absl::StatusOr<GradedBatch> batch = GradeSamples(plan, runner_, samples, batch_options);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->verdicts.size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(SampleStatusName(batch->verdicts[i].status), results[i]["status"]) << i;
    EXPECT_EQ(batch->verdicts[i].result, results[i]["result"]) << i;
  }
  EXPECT_TRUE(batch->verdicts[4].cache_hit);  // the same program as sample 0
  EXPECT_EQ(runner_.runs_.load() - runs_for_file, 4);
  ASSERT_EQ(batch->tasks.size(), report->tasks.size());
  for (size_t i = 0; i < batch->tasks.size(); ++i) {
    EXPECT_EQ(batch->tasks[i].first, report->tasks[i].first);
    EXPECT_EQ(batch->tasks[i].second.n, report->tasks[i].second.n);
    EXPECT_EQ(batch->tasks[i].second.c, report->tasks[i].second.c);
  }
  EXPECT_EQ(batch->pass_at_k, MeanPassAtK(report->tasks, {1, 2}));

  EXPECT_EQ(GradeSamples(plan, runner_, {{"t/9", "PASS"}}, batch_options).status().message(),
            "samples[0]: no task 't/9'");
}

}  // namespace
}  // namespace fathom::grader
