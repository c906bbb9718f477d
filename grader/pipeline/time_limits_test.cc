// Calibrated time limits with a fake Runner: the rule, what gets measured and how often,
// the fallback, and the cache file (hit, miss, corrupt, unwritable, key).
#include "grader/pipeline/time_limits.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grader/pipeline/program.h"
#include "grader/pipeline/test_util.h"
#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// Answers runs from markers in the canonical solution: "CANON cpu=a,b,c" passes using a,
// then b, then c ms of CPU on its 1st, 2nd, 3rd run (4th: a again, ...); "CANON fail"
// fails an assert; "CANON loop" hits the CPU limit; "CANON sberr" is a sandbox error. A
// program without "CANON" is the empty start-up program: its k-th run uses startup_ms_[k]
// (cyclically).
class CalibrationRunner final : public sandbox::Runner {
 public:
  absl::StatusOr<sandbox::RunResult> Run(const sandbox::RunSpec& spec) override {
    const std::string& program = spec.files.at(0).content;
    const std::string nonce = spec.stdin_data.substr(0, spec.stdin_data.find('\n'));
    const std::string marker = Marker(program);
    int run;
    {
      std::lock_guard<std::mutex> lock(mu_);
      run = runs_[marker]++;
      cap_ms_ = spec.limits.cpu_time_ms;
    }
    sandbox::RunResult r;
    r.status = sandbox::RunStatus::kOk;
    r.exit_code = 0;
    const std::string passed = absl::StrCat("\nFATHOM-", nonce, " {\"outcome\":\"passed\"}\n");
    if (marker.empty()) {
      r.cpu_ms = startup_ms_[run % startup_ms_.size()];
      r.stdout_data = passed;
      return r;
    }
    if (marker == "sberr") return absl::InternalError("sandbox broke");
    if (marker == "loop") {
      r.status = sandbox::RunStatus::kCpuTimeout;
      r.cpu_ms = spec.limits.cpu_time_ms;
    } else if (marker == "fail") {
      r.cpu_ms = 90;
      r.stdout_data = absl::StrCat(
          "\nFATHOM-", nonce,
          R"( {"outcome":"exception","type":"AssertionError","message":"","assertion":true,"memory":false})",
          "\n");
    } else {
      std::vector<std::string> cpu = absl::StrSplit(marker.substr(4), ',');
      EXPECT_TRUE(absl::SimpleAtoi(cpu[run % cpu.size()], &r.cpu_ms)) << marker;
      r.stdout_data = passed;
    }
    return r;
  }
  sandbox::LayerSet active_layers() const override { return {}; }

  // Runs so far of the canonical solution with this marker ("" for the start-up program).
  int Runs(const std::string& marker) {
    std::lock_guard<std::mutex> lock(mu_);
    return runs_[marker];
  }
  int TotalRuns() {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (const auto& [name, k] : runs_) n += k;
    return n;
  }

  std::vector<int64_t> startup_ms_ = {95, 80, 100, 85, 90};
  int64_t cap_ms_ = 0;

 private:
  // What follows "CANON " up to the end of its line (a "\n" escape in the harness).
  static std::string Marker(const std::string& program) {
    size_t at = program.find("CANON ");
    return at == std::string::npos ? "" : program.substr(at + 6, program.find('\\', at) - at - 6);
  }
  std::mutex mu_;
  std::map<std::string, int> runs_;
};

class TimeLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTestDir("time_limits_test");
    runtime_ = testing::FakeRuntime();
    options_.cache_dir = (dir_ / "cache").string();
    options_.runtime_fingerprint = runtime_.fingerprint;
    options_.machine = "test cpu";
    options_.workers = 2;
    options_.log = &log_;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // One problem per marker, task ids "p/0", "p/1", ...; an empty marker: no canonical.
  void SetProblems(const std::vector<std::string>& markers) {
    problems_ = ProblemSet();
    problems_.path = "inline";
    for (size_t i = 0; i < markers.size(); ++i) {
      Problem p;
      p.task_id = absl::StrCat("p/", i);
      p.prompt = "def f():\n";
      p.canonical_solution = markers[i].empty() ? "" : absl::StrCat("    return 1  # CANON ", markers[i], "\n");
      p.test = "def check(c):\n    assert c() == 1\n";
      p.entry_point = "f";
      problems_.by_id[p.task_id] = i;
      problems_.problems.push_back(std::move(p));
    }
    problems_.content_sha256 = absl::StrCat("sha-of-", absl::StrJoin(markers, "|"));
  }
  Calibration Calibrate() {
    return CalibrateTimeLimits(problems_, runner_, runtime_, options_);
  }
  std::string CachePath() {
    return absl::StrCat(options_.cache_dir, "/calibration-", CalibrationKey(problems_, options_),
                        ".json");
  }

  fs::path dir_;
  ProblemSet problems_;
  CalibrationRunner runner_;
  RuntimeContext runtime_;
  CalibrationOptions options_;
  std::ostringstream log_;
};

TEST(TimeLimitRuleTest, FloorThenOneAndAHalfTimesTenTimesTheCanonicalsOwnWork) {
  EXPECT_EQ(CalibratedLimitMs(0, 0), 1000);
  EXPECT_EQ(CalibratedLimitMs(66, 0), 1000);   // 1.5 x 660 = 990
  EXPECT_EQ(CalibratedLimitMs(67, 0), 1005);   // 1.5 x 670
  EXPECT_EQ(CalibratedLimitMs(200, 0), 3000);
  EXPECT_EQ(CalibratedLimitMs(180, 80), 1620);  // 1.5 x (80 + 10 x 100)
  EXPECT_EQ(CalibratedLimitMs(120, 80), 1000);  // 1.5 x (80 + 400) = 720
  EXPECT_EQ(CalibratedLimitMs(50, 80), 1000);   // faster than start-up: W = 0
  EXPECT_EQ(CalibratedLimitMs(1000, 80), 13920);
  EXPECT_EQ(CalibratedLimitMs(-5, -5), 1000);
}

// The promise of issue 4: a sample that needs at most max(10 x the canonical's CPU, 0.8 s)
// passes. Its need is S + 10 x W (its own start-up plus 10x the canonical's own work).
TEST(TimeLimitRuleTest, LimitSitsAQuarterAboveThePromiseEverywhere) {
  for (int64_t s : {0, 1, 5, 80, 150, 400}) {
    for (int64_t c = 0; c <= 5000; c += 7) {
      const int64_t need = std::max<int64_t>(800, s + 10 * std::max<int64_t>(0, c - s));
      EXPECT_GE(4 * CalibratedLimitMs(c, s), 5 * need) << "S=" << s << " C=" << c;
    }
  }
}

TEST(TimeLimitRuleTest, FallbackIsTheLargestCalibratedLimitElseTheDefault) {
  CalibrationData d;
  d.startup_cpu_ms = {80};
  d.canonical.resize(3);
  d.canonical[0] = {true, {100}, "", false};
  d.canonical[1] = {false, {}, "failed: failed: ", false};
  d.canonical[2] = {true, {280, 200}, "", false};
  LimitTable t = LimitsFromMeasurements(d, 3000);
  EXPECT_EQ(t.cpu_limit_ms, (std::vector<int64_t>{1000, 3120, 3120}));
  EXPECT_EQ(t.fallback, (std::vector<size_t>{1}));
  EXPECT_EQ(t.fallback_ms, 3120);

  d.canonical[0].passed = d.canonical[2].passed = false;
  t = LimitsFromMeasurements(d, 3000);
  EXPECT_EQ(t.cpu_limit_ms, (std::vector<int64_t>{3000, 3000, 3000}));
  EXPECT_EQ(t.fallback_ms, 3000);
}

TEST_F(TimeLimitsTest, SlowestOfThreeRunsAndNoRepeatsForTasksOnTheFloor) {
  SetProblems({"cpu=5", "cpu=150,170,160", "fail", "cpu=100,90,40", "loop", ""});
  Calibration c = Calibrate();
  EXPECT_FALSE(c.cached);
  EXPECT_EQ(runner_.Runs(""), kStartupRuns);
  EXPECT_EQ(runner_.Runs("cpu=5"), 1);  // even 10 ms: 1.5 x (80 + 0) stays on the floor
  EXPECT_EQ(runner_.Runs("cpu=150,170,160"), 3);
  EXPECT_EQ(runner_.Runs("fail"), 1);
  EXPECT_EQ(runner_.Runs("cpu=100,90,40"), 3);  // 200 would give 1.5 x (80 + 1200)
  EXPECT_EQ(runner_.Runs("loop"), 1);           // a cap's worth of CPU, once
  EXPECT_EQ(runner_.cap_ms_, kCalibrationCpuCapMs);
  EXPECT_EQ(c.data.StartupCpuMs(), 80);
  EXPECT_EQ(c.data.canonical[1].cpu_ms, (std::vector<int64_t>{150, 170, 160}));
  // p/1: 1.5 x (80 + 10 x 90) = 1470; p/3: max 100 -> 1.5 x (80 + 200) = 420 -> floor.
  EXPECT_EQ(c.table.cpu_limit_ms,
            (std::vector<int64_t>{1000, 1470, 1470, 1000, 1470, 1470}));
  EXPECT_EQ(c.table.fallback, (std::vector<size_t>{2, 4, 5}));
  EXPECT_EQ(c.data.canonical[2].failure, "failed: failed: ");
  EXPECT_EQ(c.data.canonical[4].failure, "timeout: timed out");
  EXPECT_EQ(c.data.canonical[5].failure, "no canonical solution in the problem file");
  // One line names every fallback task, with the reason.
  EXPECT_THAT(log_.str(),
              HasSubstr("canonical solution did not pass, fallback limit 1470 ms: p/2 (failed: "
                        "failed: ); p/4 (timeout: timed out); p/5 (no canonical solution in the "
                        "problem file)\n"));
}

TEST_F(TimeLimitsTest, SecondCallReadsTheCacheAndRunsNothing) {
  SetProblems({"cpu=150,170,160", "fail", "cpu=3"});
  Calibration first = Calibrate();
  ASSERT_FALSE(first.cached);
  EXPECT_EQ(first.cache_path, CachePath());
  EXPECT_TRUE(fs::exists(CachePath()));
  const int runs = runner_.TotalRuns();
  log_.str("");
  Calibration second = Calibrate();
  EXPECT_TRUE(second.cached);
  EXPECT_EQ(second.measure_s, 0);
  EXPECT_EQ(runner_.TotalRuns(), runs);
  EXPECT_EQ(second.data, first.data);
  EXPECT_EQ(second.table.cpu_limit_ms, first.table.cpu_limit_ms);
  EXPECT_THAT(log_.str(), Not(HasSubstr("measuring")));
  // The failed task is still named, once.
  EXPECT_THAT(log_.str(), HasSubstr("fallback limit 1470 ms: p/1 (failed: failed: )\n"));
}

TEST_F(TimeLimitsTest, CorruptCacheFileIsMeasuredAgainAndRewritten) {
  SetProblems({"cpu=150,170,160", "cpu=3"});
  Calibration first = Calibrate();
  const int runs = runner_.TotalRuns();
  for (const std::string& garbage :
       {std::string("{\"fathom_calibration\": 1, \"key\": \"tru"), std::string("[]"),
        std::string("")}) {
    std::ofstream(CachePath(), std::ios::trunc) << garbage;
    log_.str("");
    Calibration again = Calibrate();
    EXPECT_FALSE(again.cached);
    EXPECT_THAT(log_.str(), HasSubstr(absl::StrCat("ignoring the calibration cache (", CachePath())));
    EXPECT_THAT(log_.str(), HasSubstr("measuring the canonical solutions of 2 problems"));
    EXPECT_EQ(again.table.cpu_limit_ms, first.table.cpu_limit_ms);
  }
  EXPECT_EQ(runner_.TotalRuns(), 4 * runs);
  // Rewritten: the next call is a hit.
  EXPECT_TRUE(Calibrate().cached);
}

TEST_F(TimeLimitsTest, CacheFileForOtherTasksIsRejectedWithTheReason) {
  SetProblems({"cpu=3", "cpu=4"});
  Calibration first = Calibrate();
  std::ifstream in(CachePath());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  text.replace(text.find("\"p/1\""), 5, "\"q/1\"");
  std::ofstream(CachePath(), std::ios::trunc) << text;
  absl::StatusOr<CalibrationData> read =
      ReadCalibrationFile(CachePath(), CalibrationKey(problems_, options_), problems_);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(read.status().message(),
            absl::StrCat(CachePath(), ": tasks[1].task_id: expected p/1"));
  read = ReadCalibrationFile(CachePath(), "another-key", problems_);
  EXPECT_EQ(read.status().message(), absl::StrCat(CachePath(), ": key does not match"));
  EXPECT_EQ(ReadCalibrationFile(CachePath() + ".x", "k", problems_).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(TimeLimitsTest, UnwritableCacheIsLoggedAndMeasuredAgainNextTime) {
  std::ofstream(dir_ / "file") << "not a directory";
  options_.cache_dir = (dir_ / "file" / "cache").string();
  SetProblems({"cpu=150,170,160"});
  Calibration first = Calibrate();
  EXPECT_EQ(first.table.cpu_limit_ms, (std::vector<int64_t>{1470}));
  EXPECT_THAT(log_.str(), HasSubstr("not cached ("));
  EXPECT_THAT(log_.str(), HasSubstr("); measuring again next time\n"));
  runner_.startup_ms_.insert(runner_.startup_ms_.end(), {95, 80, 100, 85, 90});
  Calibration second = Calibrate();
  EXPECT_FALSE(second.cached);
  EXPECT_EQ(runner_.Runs("cpu=150,170,160"), 6);
}

TEST_F(TimeLimitsTest, SandboxErrorsAreNotCached) {
  SetProblems({"cpu=150,170,160", "sberr"});
  Calibration c = Calibrate();
  EXPECT_TRUE(c.data.canonical[1].transient);
  EXPECT_EQ(c.table.fallback, (std::vector<size_t>{1}));
  EXPECT_THAT(log_.str(), HasSubstr("not cached: some runs hit sandbox_error"));
  EXPECT_FALSE(fs::exists(CachePath()));
}

TEST_F(TimeLimitsTest, NoCacheDirectoryMeasuresEveryTime) {
  options_.cache_dir.clear();
  SetProblems({"cpu=3"});
  Calibration c = Calibrate();
  EXPECT_EQ(c.cache_path, "");
  EXPECT_FALSE(c.cached);
  EXPECT_EQ(c.table.cpu_limit_ms, (std::vector<int64_t>{1000}));
  EXPECT_FALSE(fs::exists(options_.cache_dir));
}

TEST_F(TimeLimitsTest, KeyChangesWithWhatDecidesTheMeasurementsOnly) {
  SetProblems({"cpu=3", "cpu=4"});
  const std::string base = CalibrationKey(problems_, options_);
  EXPECT_EQ(base.size(), 64u);
  EXPECT_EQ(CalibrationKey(problems_, options_), base);

  ProblemSet other = problems_;
  other.content_sha256 = "another problem file";
  EXPECT_NE(CalibrationKey(other, options_), base);

  auto changed = [&](auto mutate) {
    CalibrationOptions o = options_;
    mutate(o);
    return CalibrationKey(problems_, o) != base;
  };
  EXPECT_TRUE(changed([](CalibrationOptions& o) { o.runner_name = "zygote"; }));
  EXPECT_TRUE(changed([](CalibrationOptions& o) { o.runtime_fingerprint += "3.12"; }));
  EXPECT_TRUE(changed([](CalibrationOptions& o) { o.machine = "another cpu"; }));
  EXPECT_TRUE(changed([](CalibrationOptions& o) { o.limits.memory_bytes /= 2; }));
  EXPECT_TRUE(changed([](CalibrationOptions& o) { o.limits.max_output_bytes /= 2; }));
  // The CPU limits do not decide what calibration measures (it runs under its own cap).
  EXPECT_FALSE(changed([](CalibrationOptions& o) { o.limits.cpu_time_ms = 7000; }));
  EXPECT_FALSE(changed([](CalibrationOptions& o) { o.limits.wall_time_ms = 9000; }));
  EXPECT_FALSE(changed([](CalibrationOptions& o) { o.workers = 7; }));
  EXPECT_FALSE(changed([](CalibrationOptions& o) { o.cache_dir = "/elsewhere"; }));
}

TEST_F(TimeLimitsTest, LimitTableHashChangesWithAnyLimitOrTask) {
  SetProblems({"cpu=3", "cpu=4"});
  const std::string base = LimitTableHash(problems_, {1000, 1470});
  EXPECT_EQ(LimitTableHash(problems_, {1000, 1470}), base);
  EXPECT_NE(LimitTableHash(problems_, {1000, 1471}), base);
  EXPECT_NE(LimitTableHash(problems_, {1470, 1000}), base);
  ProblemSet renamed = problems_;
  renamed.problems[1].task_id = "p/9";
  EXPECT_NE(LimitTableHash(renamed, {1000, 1470}), base);
}

TEST(DefaultCacheDirTest, XdgCacheHomeThenHomeThenNone) {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  const std::string saved_xdg = xdg ? xdg : "", saved_home = home ? home : "";
  setenv("XDG_CACHE_HOME", "/x/cache", 1);
  setenv("HOME", "/h", 1);
  EXPECT_EQ(DefaultCacheDir(), "/x/cache/fathom");
  setenv("XDG_CACHE_HOME", "relative", 1);  // the XDG spec: relative paths are ignored
  EXPECT_EQ(DefaultCacheDir(), "/h/.cache/fathom");
  unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(DefaultCacheDir(), "/h/.cache/fathom");
  unsetenv("HOME");
  EXPECT_EQ(DefaultCacheDir(), "");
  if (xdg) setenv("XDG_CACHE_HOME", saved_xdg.c_str(), 1);
  if (home) setenv("HOME", saved_home.c_str(), 1);
}

}  // namespace
}  // namespace fathom::grader
