// `fathom grade --time-limit auto` end to end on the real binary and sandbox: limits are
// calibrated once and cached, honest slow samples pass while every core is busy (the mixed
// workload on one worker per core plus spinning processes), infinite loops time out at
// their task's limit, and a fixed limit (--timeout) still means one limit for everything.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grader/pipeline/scheduler.h"
#include "grader/pipeline/test_util.h"
#include "grader/pipeline/time_limits.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fathom_process.h"

namespace fathom::grader {
namespace {

namespace fs = std::filesystem;
using e2e::ReadFile;
using e2e::StartFathom;
using e2e::WaitExit;
using ::testing::HasSubstr;

const std::string kSource = FATHOM_SOURCE_DIR;

// `n` processes that spin on a CPU each until this object is destroyed (then they are
// killed and reaped). They also die with the test process (PR_SET_PDEATHSIG).
class Spinners {
 public:
  explicit Spinners(int n) {
    const pid_t parent = getpid();
    for (int i = 0; i < n; ++i) {
      pid_t pid = fork();
      if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(0);
        volatile uint64_t x = 0;
        for (;;) x = x + 1;
      }
      if (pid > 0) pids_.push_back(pid);
    }
  }
  ~Spinners() {
    for (pid_t pid : pids_) kill(pid, SIGKILL);
    for (pid_t pid : pids_) waitpid(pid, nullptr, 0);
  }
  size_t size() const { return pids_.size(); }

 private:
  std::vector<pid_t> pids_;
};

std::vector<nlohmann::json> JsonLines(const std::string& path) {
  std::vector<nlohmann::json> out;
  for (absl::string_view line : absl::StrSplit(ReadFile(path), '\n', absl::SkipEmpty())) {
    out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

// A whole program (a `solution`) that first spins until the process has used `seconds` of
// CPU in all (start-up included), then defines the function: `prompt` + `body`. The spin
// is at module level, so it runs once however often the test calls the function.
std::string BurnUntil(double seconds, const std::string& prompt, const std::string& body) {
  return absl::StrCat("import time\nwhile time.process_time() < ", seconds, ":\n    pass\n",
                      prompt, body);
}

// The same, spinning for `seconds` of CPU from where the program starts.
std::string BurnFor(double seconds, const std::string& prompt, const std::string& body) {
  return absl::StrCat("import time\n_end = time.process_time() + ", seconds,
                      "\nwhile time.process_time() < _end:\n    pass\n", prompt, body);
}

class TimeLimitsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTestDir("time_limits_e2e");
    env_ = {"XDG_CACHE_HOME=" + Path("xdg")};
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // Runs `fathom grade` with the policies of the source tree; returns its exit code.
  int Grade(std::vector<std::string> args, const std::string& log) {
    args.insert(args.begin(), {"grade", "--policies", kSource + "/policies", "--no-progress"});
    return WaitExit(StartFathom(args, Path(log), env_));
  }

  fs::path dir_;
  std::vector<std::string> env_;
};

// The problem set: fathom-mini plus one task whose canonical solution does real work
// (about 0.2 s of CPU), so its limit is calibrated above the floor.
constexpr char kSlowProblem[] =
    R"({"task_id": "Slow/0", "prompt": "def slow_sum(n):\n    \"\"\"0 + 1 + ... + (n - 1).\"\"\"\n", "canonical_solution": "    total = 0\n    for i in range(n):\n        total += i\n    return total\n", "test": "def check(candidate):\n    assert candidate(6000000) == 17999997000000\n", "entry_point": "slow_sum"})";

TEST_F(TimeLimitsE2eTest, SlowHonestSamplesPassUnderFullLoadAndLoopsTimeOut) {
  {
    std::ofstream p(Path("problems.jsonl"));
    p << ReadFile(kSource + "/problems/fathom-mini.jsonl") << kSlowProblem << "\n";
    std::ofstream s(Path("one.jsonl"));
    s << R"({"task_id": "Slow/0", "completion": "    return n * (n - 1) // 2\n"})" << "\n";
  }
  // 1. Calibrate (and grade one sample) on a machine without our load.
  ASSERT_EQ(Grade({"--problems", Path("problems.jsonl"), "--samples", Path("one.jsonl"),
                   "--json"},
                  "calibrate.log"),
            0)
      << ReadFile(Path("calibrate.log"));
  EXPECT_THAT(ReadFile(Path("calibrate.log")),
              HasSubstr("time limits: measuring the canonical solutions of 36 problems"));
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(Path("xdg/fathom"))) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].filename().string().rfind("calibration-", 0), 0u) << files[0];
  const nlohmann::json calibration = nlohmann::json::parse(ReadFile(files[0].string()));
  int64_t startup = INT64_MAX;
  for (const auto& v : calibration["startup_cpu_ms"]) startup = std::min<int64_t>(startup, v);
  int64_t slow_canonical = 0;
  ASSERT_EQ(calibration["tasks"].size(), 36u);
  for (const auto& t : calibration["tasks"]) {
    ASSERT_TRUE(t.contains("cpu_ms")) << t.dump();  // every canonical solution passed
    if (t["task_id"] == "Slow/0") {
      for (const auto& v : t["cpu_ms"]) slow_canonical = std::max<int64_t>(slow_canonical, v);
    }
  }
  const int64_t slow_limit = CalibratedLimitMs(slow_canonical, startup);
  // What a sample doing 10x the canonical's own work uses (its start-up included).
  const int64_t ten_x = startup + 10 * std::max<int64_t>(0, slow_canonical - startup);
  ASSERT_GT(slow_limit, kTimeLimitFloorMs) << "Slow/0's canonical took " << slow_canonical;

  // 2. The mixed workload: every fathom-mini task's infinite loops and slow correct
  // samples, and all samples of the first 8 tasks (correct, wrong, raising, hostile),
  // plus samples that need 0.4 s, 0.8 s and 10x the canonical's CPU.
  std::vector<nlohmann::json> samples;
  std::vector<bool> expected_pass;
  {
    std::vector<nlohmann::json> mini = JsonLines(kSource + "/problems/fathom-mini.samples.jsonl");
    std::vector<nlohmann::json> expected =
        JsonLines(kSource + "/problems/fathom-mini.expected.jsonl");
    ASSERT_EQ(mini.size(), expected.size());
    for (size_t i = 0; i < mini.size(); ++i) {
      const std::string label = mini[i]["label"];
      const int task = std::stoi(mini[i]["task_id"].get<std::string>().substr(11));
      if (label == "infinite_loop" || label == "slow_correct" || task < 8) {
        samples.push_back(mini[i]);
        expected_pass.push_back(expected[i]["passed"]);
      }
    }
  }
  const nlohmann::json mini0 = JsonLines(kSource + "/problems/fathom-mini.jsonl").at(0);
  const nlohmann::json slow = nlohmann::json::parse(kSlowProblem);
  auto add = [&](const std::string& task, const std::string& label, const char* field,
                 const std::string& code, bool pass) {
    samples.push_back({{"task_id", task}, {"label", label}, {field, code}});
    expected_pass.push_back(pass);
  };
  add("FathomMini/0", "burn_0.4s", "solution",
      BurnFor(0.4, mini0["prompt"], mini0["canonical_solution"]), true);
  add("FathomMini/0", "burn_to_0.8s", "solution",
      BurnUntil(0.8, mini0["prompt"], mini0["canonical_solution"]), true);
  add("Slow/0", "burn_to_10x", "solution",
      BurnUntil(ten_x / 1000.0, slow["prompt"], "    return n * (n - 1) // 2\n"), true);
  add("Slow/0", "canonical", "completion", slow["canonical_solution"], true);
  add("Slow/0", "infinite_loop", "completion", "    while True:\n        n += 1\n", false);
  {
    std::ofstream out(Path("mix.jsonl"));
    for (const auto& s : samples) out << s.dump() << "\n";
  }

  int exit_code;
  {
    Spinners busy(AvailableCores());
    ASSERT_EQ(busy.size(), static_cast<size_t>(AvailableCores()));
    exit_code = Grade({"--problems", Path("problems.jsonl"), "--samples", Path("mix.jsonl"),
                       "--json"},
                      "mix.log");
  }
  ASSERT_EQ(exit_code, 0) << ReadFile(Path("mix.log"));
  const std::string log = ReadFile(Path("mix.log"));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("measuring")));
  nlohmann::json summary = nlohmann::json::parse(log.substr(log.find("{\"pass_at_k\"")));
  EXPECT_EQ(summary["time_limit"]["mode"], "auto");
  EXPECT_EQ(summary["time_limit"]["calibration"], "cached");
  EXPECT_EQ(summary["time_limit"]["cpu_limit_ms"]["max"], slow_limit);
  EXPECT_EQ(summary["run"]["workers"], AvailableCores());

  std::vector<nlohmann::json> results = JsonLines(Path("mix.jsonl_results.jsonl"));
  ASSERT_EQ(results.size(), samples.size());
  std::map<std::string, nlohmann::json> by_label;
  int loops = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const nlohmann::json& r = results[i];
    const std::string where = absl::StrCat(r["task_id"].get<std::string>(), " ",
                                           r["label"].get<std::string>(), " ", r.dump());
    EXPECT_EQ(r["passed"], expected_pass[i]) << where;
    const int64_t limit = r["cpu_limit_ms"];
    if (r["task_id"] == "Slow/0") {
      EXPECT_EQ(limit, slow_limit) << where;
    }
    EXPECT_GE(limit, kTimeLimitFloorMs) << where;
    if (r["label"] == "infinite_loop") {
      ++loops;
      EXPECT_EQ(r["status"], "timeout") << where;
      EXPECT_GE(r["cpu_ms"].get<int64_t>(), limit) << where;
    }
    if (r["task_id"] == "FathomMini/0" || r["task_id"] == "Slow/0") by_label[r["label"]] = r;
  }
  EXPECT_EQ(loops, 9);
  // The samples really needed that much CPU, and passed.
  EXPECT_EQ(by_label["burn_0.4s"]["status"], "passed");
  EXPECT_GE(by_label["burn_0.4s"]["cpu_ms"].get<int64_t>(), 400);
  EXPECT_EQ(by_label["burn_to_0.8s"]["status"], "passed");
  EXPECT_GE(by_label["burn_to_0.8s"]["cpu_ms"].get<int64_t>(), 800);
  EXPECT_EQ(by_label["burn_to_10x"]["status"], "passed");
  EXPECT_GE(by_label["burn_to_10x"]["cpu_ms"].get<int64_t>(), ten_x);
  EXPECT_EQ(by_label["burn_to_10x"]["cpu_limit_ms"], slow_limit);
  EXPECT_EQ(by_label["canonical"]["status"], "passed");
  EXPECT_EQ(by_label["infinite_loop"]["cpu_limit_ms"], slow_limit);
}

TEST_F(TimeLimitsE2eTest, FixedLimitFlagsTurnCalibrationOffAndConflictsAreUsageErrors) {
  {
    std::ofstream s(Path("s.jsonl"));
    s << R"({"task_id": "FathomMini/29", "completion": "    while True:\n        pass\n"})"
      << "\n";
  }
  const std::vector<std::string> base = {"--problems", kSource + "/problems/fathom-mini.jsonl",
                                         "--samples", Path("s.jsonl"), "--json"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), base.begin(), base.end());
    return extra;
  };
  ASSERT_EQ(Grade(with({"--timeout", "0.5"}), "timeout.log"), 0) << ReadFile(Path("timeout.log"));
  std::vector<nlohmann::json> r = JsonLines(Path("s.jsonl_results.jsonl"));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0]["status"], "timeout");
  EXPECT_EQ(r[0]["cpu_limit_ms"], 500);
  const std::string log = ReadFile(Path("timeout.log"));
  EXPECT_THAT(log, HasSubstr(R"("time_limit":{"mode":"fixed","cpu_time_ms":500})"));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("time limits:")));
  EXPECT_FALSE(fs::exists(Path("xdg")));  // nothing calibrated, nothing cached

  ASSERT_EQ(Grade(with({"--time-limit", "0.3"}), "tl.log"), 0) << ReadFile(Path("tl.log"));
  EXPECT_EQ(JsonLines(Path("s.jsonl_results.jsonl"))[0]["cpu_limit_ms"], 300);
  // --limit cpu_time_ms is applied last and wins.
  ASSERT_EQ(Grade(with({"--timeout", "0.5", "--limit", "cpu_time_ms=400"}), "limit.log"), 0);
  EXPECT_EQ(JsonLines(Path("s.jsonl_results.jsonl"))[0]["cpu_limit_ms"], 400);

  EXPECT_EQ(Grade(with({"--time-limit", "auto", "--timeout", "2"}), "c1.log"), 2);
  EXPECT_THAT(ReadFile(Path("c1.log")), HasSubstr("--time-limit auto conflicts with --timeout"));
  EXPECT_EQ(Grade(with({"--time-limit", "auto", "--limit", "cpu_time_ms=900"}), "c2.log"), 2);
  EXPECT_THAT(ReadFile(Path("c2.log")),
              HasSubstr("--time-limit auto conflicts with --limit cpu_time_ms"));
  EXPECT_EQ(Grade(with({"--time-limit", "2", "--timeout", "2"}), "c3.log"), 2);
  EXPECT_THAT(ReadFile(Path("c3.log")), HasSubstr("give one of --timeout and --time-limit"));
  EXPECT_EQ(Grade(with({"--time-limit", "soon"}), "c4.log"), 2);
  EXPECT_THAT(ReadFile(Path("c4.log")), HasSubstr("--time-limit: expected seconds > 0 or auto"));
}

}  // namespace
}  // namespace fathom::grader
