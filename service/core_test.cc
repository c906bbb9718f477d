// The service core with a fake Runner: limits capping, Execute's request checks and
// RunSpec, Grade sessions (verdicts, dedup, summary, errors, cancellation), PassAtK and
// the listings. The real sandbox and a real server are in tests/serve_e2e_test.cc.
#include "service/core.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fathom::service {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

const Deadline kNoDeadline = Deadline::max();

// Answers like the harness would from markers in the program: "PASS" passes, "ASSERT"
// fails an assert, "LOOP" is a CPU timeout, "BLOCK" waits until its run is cancelled.
// An I/O-mode program (kIoProblem's inputs) returns the right values, but with "IOPLUS"
// a wrong one on its plus input. Execute programs (no nonce on stdin) echo stdin.
class FakeRunner final : public sandbox::Runner {
 public:
  absl::StatusOr<sandbox::RunResult> Run(const sandbox::RunSpec& spec) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      specs_.push_back(spec);
    }
    ++runs_;
    const std::string& program = spec.files.empty() ? std::string() : spec.files[0].content;
    if (program.find("BLOCK") != std::string::npos) {
      ++blocked_;
      while (spec.cancel != nullptr && !spec.cancel->cancelled()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      --blocked_;
      return absl::CancelledError("run cancelled");
    }
    sandbox::RunResult r;
    r.status = sandbox::RunStatus::kOk;
    r.exit_code = 0;
    r.cpu_ms = 3;
    r.wall_ms = 4;
    const std::string nonce = spec.stdin_data.substr(0, spec.stdin_data.find('\n'));
    auto record = [&](const std::string& json) {
      r.stdout_data = absl::StrCat("\nFATHOM-", nonce, " ", json, "\n");
    };
    if (program.find("_fathom_io(") != std::string::npos) {
      auto rec = [&](const char* group, int index, char kind, const std::string& payload) {
        return absl::StrCat("\n#", nonce, " ", group, " ", index, " ", std::string(1, kind),
                            " 5 ", payload.size(), "\n", payload);
      };
      const bool plus_wrong = program.find("IOPLUS") != std::string::npos;
      r.stdout_data = rec("base", 0, 'V', "i1;") + rec("base", 1, 'V', "i2;") +
                      rec("base", 0, 'D', "") + rec("plus", 0, 'V', plus_wrong ? "i4;" : "i3;") +
                      rec("plus", 0, 'D', "") + rec("-", 0, 'Z', "");
    } else if (program.find("LOOP") != std::string::npos) {
      r.status = sandbox::RunStatus::kCpuTimeout;
    } else if (program.find("ASSERT") != std::string::npos) {
      record(R"({"outcome":"exception","type":"AssertionError","message":"","assertion":true,"memory":false})");
    } else if (program.find("PASS") != std::string::npos) {
      record(R"({"outcome":"passed"})");
    } else {
      r.stdout_data = spec.stdin_data;
    }
    return r;
  }
  sandbox::LayerSet active_layers() const override { return {}; }

  std::vector<sandbox::RunSpec> specs() {
    std::lock_guard<std::mutex> lock(mu_);
    return specs_;
  }
  std::atomic<int> runs_{0};
  std::atomic<int> blocked_{0};

 private:
  std::mutex mu_;
  std::vector<sandbox::RunSpec> specs_;
};

class CollectingSink final : public GradeSession::Sink {
 public:
  void OnResult(v1::GradeResponse r) override {
    std::lock_guard<std::mutex> lock(mu_);
    results_.push_back(r.result());
    cv_.notify_all();
  }
  void OnIdle() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++idle_;
    cv_.notify_all();
  }
  // Waits (bounded) for `n` results; returns them.
  std::vector<v1::SampleResult> WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return results_.size() >= n; });
    return results_;
  }
  int idle() {
    std::lock_guard<std::mutex> lock(mu_);
    return idle_;
  }
  // Waits (bounded) for the first OnIdle: results are handed out before the session
  // counts them done, so the last result can arrive just before it.
  int WaitForIdle() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return idle_ > 0; });
    return idle_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<v1::SampleResult> results_;
  int idle_ = 0;
};

constexpr char kProblem[] =
    R"({"task_id": "T/0", "prompt": "def f():\n", "entry_point": "f",)"
    R"( "canonical_solution": "    return 1\n", "test": "def check(c):\n    assert c() == 1\n"})";
constexpr char kProblem1[] =
    R"({"task_id": "T/1", "prompt": "def g():\n", "entry_point": "g",)"
    R"( "canonical_solution": "    return 2\n", "test": "def check(c):\n    assert c() == 2\n"})";

// HumanEval+ problems: expected outputs 1, 2 (base) and 3 (plus); P/1's canonical
// solution "failed" when they were measured.
constexpr char kIoProblem[] =
    R"({"task_id": "P/0", "prompt": "def f(x):\n", "entry_point": "f",)"
    R"( "canonical_solution": "    return x\n", "test": "", "base_input": [[1], [2]],)"
    R"( "plus_input": [[3]], "atol": 0, "contract": ""})";
constexpr char kIoProblem1[] =
    R"({"task_id": "P/1", "prompt": "def g(x):\n", "entry_point": "g",)"
    R"( "canonical_solution": "    return x\n", "test": "def check(c):\n    assert c(1) == 1\n",)"
    R"( "base_input": [[1]], "plus_input": [], "atol": 0, "contract": ""})";

class CoreTest : public ::testing::Test {
 protected:
  void SetUp() override { MakeCore(/*workers=*/2, /*capacity=*/64); }

  // `task_cpu_ms`: calibrated per-task limits for "mini" (empty: the runtime's fixed one).
  void MakeCore(int workers, size_t capacity, std::vector<int64_t> task_cpu_ms = {},
                CoreOptions options = {}) {
    core_.reset();
    queue_ = std::make_unique<RunQueue>(RunQueue::Options{workers, capacity});
    policy_.name = "python";
    policy_.interpreter = "/usr/bin/python3";
    policy_.flags = {"-I"};
    policy_.file_name = "main.py";
    policy_.env_set = {{"LANG", "C.UTF-8"}, {"PATH", "/usr/bin"}};
    ServedRuntime rt;
    rt.prepared.policy = &policy_;
    rt.limits.cpu_time_ms = 3000;
    rt.context = grader::MakeRuntimeContext(rt.prepared, "3.11", "hash", {});
    std::vector<ServedRuntime> runtimes;
    runtimes.push_back(rt);
    std::vector<ServedProblemSet> sets(1);
    sets[0].name = "mini";
    for (const char* text : {kProblem, kProblem1}) {
      absl::StatusOr<grader::Problem> p = grader::ParseProblem(nlohmann::json::parse(text), "t");
      ASSERT_TRUE(p.ok()) << p.status();
      sets[0].set.by_id[p->task_id] = sets[0].set.problems.size();
      sets[0].set.problems.push_back(*p);
    }
    if (io_set_) {  // "plus": kIoProblem, kIoProblem1, with oracles unless io_oracles_ false
      ServedProblemSet plus;
      plus.name = "plus";
      for (const char* text : {kIoProblem, kIoProblem1}) {
        absl::StatusOr<grader::Problem> p =
            grader::ParseProblem(nlohmann::json::parse(text), "t");
        ASSERT_TRUE(p.ok()) << p.status();
        plus.set.by_id[p->task_id] = plus.set.problems.size();
        plus.set.problems.push_back(*p);
      }
      if (io_oracles_) {
        plus.setup.io.oracles.resize(2);
        plus.setup.io.oracles[0] = grader::IoOracleFromValues(
            plus.set.problems[0], {grader::PyValue::Int(1), grader::PyValue::Int(2)},
            {grader::PyValue::Int(3)}, {100, 100}, {100});
        plus.setup.io.oracles[1].failure = "canonical solution: failed";
        plus.setup.io.unusable_tasks = {"P/1"};
        plus.setup.io.cached = true;
      }
      sets.push_back(std::move(plus));
    }
    if (!task_cpu_ms.empty()) {
      sets[0].setup.time_limit.automatic = true;
      sets[0].setup.time_limit.min_ms = *std::min_element(task_cpu_ms.begin(), task_cpu_ms.end());
      sets[0].setup.time_limit.max_ms = *std::max_element(task_cpu_ms.begin(), task_cpu_ms.end());
      sets[0].setup.time_limit.median_ms = task_cpu_ms[task_cpu_ms.size() / 2];
      sets[0].setup.task_cpu_time_ms = std::move(task_cpu_ms);
    }
    absl::StatusOr<std::unique_ptr<Core>> core = Core::Create(
        std::move(options), std::move(runtimes), std::move(sets), runner_, *queue_, metrics_);
    ASSERT_TRUE(core.ok()) << core.status();
    core_ = *std::move(core);
  }

  std::shared_ptr<Tenant> NewTenant() { return *queue_->NewTenant(); }

  // Runs Execute to the end; returns the response or the error.
  absl::StatusOr<v1::ExecuteResponse> Execute(const v1::ExecuteRequest& request,
                                              Deadline deadline = kNoDeadline) {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<absl::StatusOr<v1::ExecuteResponse>> out;
    absl::Status s = core_->StartExecute(request, deadline, NewTenant(),
                                         [&](absl::StatusOr<v1::ExecuteResponse> r) {
                                           std::lock_guard<std::mutex> lock(mu);
                                           out = std::move(r);
                                           cv.notify_all();
                                         });
    if (!s.ok()) return s;
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return out.has_value(); });
    return out.has_value() ? *out : absl::DeadlineExceededError("test timed out");
  }

  static v1::Sample MakeSample(const std::string& task, const std::string& completion,
                               const std::string& id) {
    v1::Sample s;
    s.set_task_id(task);
    s.set_completion(completion);
    s.set_completion_id(id);
    return s;
  }

  // Grades `samples` of problem set `set` under `mode`; the results by completion id.
  std::map<std::string, v1::SampleResult> GradeAll(const std::string& set,
                                                   const std::string& mode,
                                                   const std::vector<v1::Sample>& samples,
                                                   v1::GradeSummary* summary) {
    auto sink = std::make_shared<CollectingSink>();
    auto session = std::make_shared<GradeSession>(*core_, NewTenant(), sink, kNoDeadline);
    v1::GradeRequest req;
    req.set_problem_set(set);
    req.set_mode(mode);
    for (const v1::Sample& s : samples) *req.add_samples() = s;
    absl::Status added = session->AddBatch(req, nullptr);
    EXPECT_TRUE(added.ok()) << added;
    std::map<std::string, v1::SampleResult> out;
    for (const v1::SampleResult& r : sink->WaitFor(samples.size())) out[r.completion_id()] = r;
    EXPECT_GE(sink->WaitForIdle(), 1);
    *summary = session->Summary();
    return out;
  }

  bool io_set_ = false;      // MakeCore serves "plus" too
  bool io_oracles_ = true;   // ... with its expected outputs
  grader::RuntimePolicy policy_;
  FakeRunner runner_;
  Metrics metrics_;
  std::unique_ptr<RunQueue> queue_;
  std::unique_ptr<Core> core_;
};

TEST(CapLimitsTest, ZeroIsTheServersValueAndNothingGoesAboveIt) {
  sandbox::Limits server;
  server.cpu_time_ms = 3000;
  server.memory_bytes = 1 << 30;
  v1::Limits req;
  absl::StatusOr<sandbox::Limits> l = CapLimits(req, server, kNoDeadline);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(*l, server);
  req.set_cpu_time_ms(500);
  req.set_memory_bytes(int64_t{8} << 30);
  l = CapLimits(req, server, kNoDeadline);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->cpu_time_ms, 500);
  EXPECT_EQ(l->memory_bytes, 1 << 30);
  req.set_cpu_time_ms(-1);
  EXPECT_THAT(CapLimits(req, server, kNoDeadline).status().message(),
              HasSubstr("limits.cpu_time_ms"));
  req.set_cpu_time_ms(0);
  req.set_memory_bytes(5);
  l = CapLimits(req, server, kNoDeadline);
  EXPECT_EQ(l.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(l.status().message(), HasSubstr("limits.memory_bytes"));
}

TEST(CapLimitsTest, TheDeadlineCapsCpuAndWall) {
  sandbox::Limits server;
  server.cpu_time_ms = 3000;
  const auto soon = std::chrono::system_clock::now() + std::chrono::milliseconds(1000);
  absl::StatusOr<sandbox::Limits> l = CapLimits({}, server, soon);
  ASSERT_TRUE(l.ok());
  EXPECT_LE(l->cpu_time_ms, 1000);
  EXPECT_GT(l->cpu_time_ms, 800);
  EXPECT_EQ(l->wall_time_ms, l->cpu_time_ms);
  // A generous deadline changes nothing (limits are part of cache keys).
  l = CapLimits({}, server, std::chrono::system_clock::now() + std::chrono::hours(1));
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(*l, server);
  EXPECT_EQ(CapLimits({}, server, std::chrono::system_clock::now() - std::chrono::seconds(1))
                .status()
                .code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST_F(CoreTest, ExecuteBuildsTheRunSpecFromTheRequest) {
  v1::ExecuteRequest req;
  req.set_code("print(input())");
  req.set_stdin("hello\n");
  req.add_args("--flag");
  (*req.mutable_env())["LANG"] = "C";
  v1::File* f = req.add_files();
  f->set_name("data.txt");
  f->set_content("x");
  absl::StatusOr<v1::ExecuteResponse> r = Execute(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->result().status(), "ok");
  EXPECT_EQ(r->result().stdout(), "hello\n");
  EXPECT_GE(r->worker_id(), 0);
  EXPECT_FALSE(r->cache_hit());
  ASSERT_EQ(runner_.specs().size(), 1u);
  const sandbox::RunSpec spec = runner_.specs()[0];
  EXPECT_THAT(spec.argv, ElementsAre("/usr/bin/python3", "-I", "main.py", "--flag"));
  EXPECT_THAT(spec.env, ElementsAre("LANG=C", "PATH=/usr/bin"));
  ASSERT_EQ(spec.files.size(), 2u);
  EXPECT_EQ(spec.files[0].name, "main.py");
  EXPECT_EQ(spec.files[1].name, "data.txt");
  EXPECT_TRUE(spec.has_stdin);
  EXPECT_NE(spec.cancel, nullptr);
  EXPECT_EQ(metrics_.RunCount("python", "ok"), 1);
}

TEST_F(CoreTest, ExecuteRejectsBadRequestsNamingTheField) {
  auto code_of = [&](const v1::ExecuteRequest& req) { return Execute(req).status(); };
  v1::ExecuteRequest req;
  req.set_runtime("cobol");
  req.set_code("x");
  EXPECT_EQ(code_of(req).code(), absl::StatusCode::kNotFound);
  req.set_runtime("");
  req.clear_code();
  EXPECT_THAT(code_of(req).message(), HasSubstr("code: empty, and no file named 'main.py'"));
  req.add_files()->set_name("../x");
  EXPECT_THAT(code_of(req).message(), HasSubstr("files[0].name"));
  req.clear_files();
  req.set_code("x");
  req.add_files()->set_name("main.py");
  EXPECT_THAT(code_of(req).message(), HasSubstr("files[0].name: 'main.py' is given twice"));
  req.clear_files();
  (*req.mutable_env())["LD_PRELOAD"] = "/evil.so";
  absl::Status s = code_of(req);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("env[\"LD_PRELOAD\"]"));
  EXPECT_EQ(runner_.runs_.load(), 0);
}

TEST_F(CoreTest, ExecuteWithOnlyFilesRunsTheMainFile) {
  v1::ExecuteRequest req;
  v1::File* f = req.add_files();
  f->set_name("main.py");
  f->set_content("print(1)");
  ASSERT_TRUE(Execute(req).ok());
  ASSERT_EQ(runner_.specs().size(), 1u);
  ASSERT_EQ(runner_.specs()[0].files.size(), 1u);
  EXPECT_EQ(runner_.specs()[0].files[0].content, "print(1)");
}

// A served set's calibrated per-task limits replace the runtime's CPU ceiling (a limit
// above it is the server's own measurement, as in `fathom grade`); the request and the
// deadline lower them; inline problems keep the runtime's limit. Each result says its
// limit, the summary how the server runs programs.
TEST_F(CoreTest, GradeGivesEachTaskItsCalibratedLimitAsTheRequestCapsIt) {
  CoreOptions options;
  options.runner_description = "warm zygotes (2)";
  options.zygote_stats = [] {
    sandbox::ZygoteStats z;
    z.restarts = 3;
    z.peak_rss_kb = 20480;
    return z;
  };
  MakeCore(2, 64, {1200, 4500}, options);
  auto grade = [&](int64_t request_cpu_ms, bool inline_problem) {
    auto sink = std::make_shared<CollectingSink>();
    auto session = std::make_shared<GradeSession>(*core_, NewTenant(), sink, kNoDeadline);
    v1::GradeRequest req;
    if (inline_problem) {
      req.add_inline_problems(kProblem1);
    } else {
      req.set_problem_set("mini");
      *req.add_samples() = MakeSample("T/0", absl::StrCat("    return 1  # PASS ", request_cpu_ms), "a");
    }
    *req.add_samples() = MakeSample("T/1", absl::StrCat("    return 2  # PASS ", request_cpu_ms), "b");
    req.mutable_limits()->set_cpu_time_ms(request_cpu_ms);
    EXPECT_TRUE(session->AddBatch(req, nullptr).ok());
    std::map<std::string, int64_t> limits;
    for (const v1::SampleResult& r : sink->WaitFor(req.samples_size())) {
      EXPECT_EQ(r.status(), "passed");
      limits[r.completion_id()] = r.cpu_limit_ms();
    }
    EXPECT_EQ(session->Summary().runner(), "warm zygotes (2)");
    EXPECT_EQ(session->Summary().zygote().restarts(), 3);
    return limits;
  };
  EXPECT_EQ(grade(0, false), (std::map<std::string, int64_t>{{"a", 1200}, {"b", 4500}}));
  EXPECT_EQ(grade(2000, false), (std::map<std::string, int64_t>{{"a", 1200}, {"b", 2000}}));
  EXPECT_EQ(grade(0, true), (std::map<std::string, int64_t>{{"b", 3000}}));
  std::multiset<int64_t> ran;  // what the runner was given
  for (const sandbox::RunSpec& spec : runner_.specs()) ran.insert(spec.limits.cpu_time_ms);
  EXPECT_EQ(ran, (std::multiset<int64_t>{1200, 4500, 1200, 2000, 3000}));

  v1::ListProblemSetsResponse sets;
  core_->ListProblemSets(&sets);
  ASSERT_EQ(sets.problem_sets_size(), 1);
  const v1::TimeLimits& t = sets.problem_sets(0).time_limits();
  EXPECT_EQ(t.mode(), "auto");
  EXPECT_EQ(t.min_ms(), 1200);
  EXPECT_EQ(t.median_ms(), 4500);
  EXPECT_EQ(t.max_ms(), 4500);
}

TEST_F(CoreTest, GradeGivesEachSampleItsVerdictAndSharesIdenticalPrograms) {
  auto sink = std::make_shared<CollectingSink>();
  auto session = std::make_shared<GradeSession>(*core_, NewTenant(), sink, kNoDeadline);
  v1::GradeRequest req;
  req.set_problem_set("mini");
  *req.add_samples() = MakeSample("T/0", "    return 1  # PASS", "a");
  *req.add_samples() = MakeSample("T/0", "    return 0  # ASSERT", "b");
  *req.add_samples() = MakeSample("T/1", "    return 1  # PASS", "c");
  *req.add_samples() = MakeSample("T/0", "    return 1  # PASS", "d");  // same as "a"
  *req.add_samples() = MakeSample("T/1", "    while True: pass  # LOOP", "e");
  req.add_ks(1);
  req.add_ks(2);
  ASSERT_TRUE(session->AddBatch(req, nullptr).ok());
  std::vector<v1::SampleResult> results = sink->WaitFor(5);
  ASSERT_EQ(results.size(), 5u);
  EXPECT_GE(sink->WaitForIdle(), 1);
  EXPECT_EQ(session->outstanding(), 0);
  std::map<std::string, v1::SampleResult> by_id;
  for (const auto& r : results) by_id[r.completion_id()] = r;
  EXPECT_EQ(by_id["a"].status(), "passed");
  EXPECT_EQ(by_id["a"].result(), "passed");
  EXPECT_TRUE(by_id["a"].passed());
  EXPECT_EQ(by_id["b"].status(), "failed");
  EXPECT_EQ(by_id["b"].result(), "failed: ");
  EXPECT_EQ(by_id["c"].status(), "passed");
  EXPECT_EQ(by_id["e"].status(), "timeout");
  EXPECT_EQ(by_id["e"].result(), "timed out");
  EXPECT_EQ(by_id["e"].index(), 4);
  EXPECT_EQ(by_id["e"].task_id(), "T/1");
  // "a" and "d" are one program: one ran, the other shared its verdict.
  EXPECT_NE(by_id["a"].cache_hit(), by_id["d"].cache_hit());
  EXPECT_EQ(by_id["d"].status(), "passed");
  EXPECT_EQ(runner_.runs_.load(), 4);

  v1::GradeSummary s = session->Summary();
  EXPECT_EQ(s.samples(), 5);
  EXPECT_EQ(s.ran(), 4);
  EXPECT_EQ(s.cache_hits(), 1);
  EXPECT_EQ(s.status_counts().at("passed"), 3);
  // T/0: n=3 c=2, T/1: n=2 c=1. pass@1 = (2/3 + 1/2) / 2; pass@2 = (1 + 1) / 2.
  ASSERT_EQ(s.pass_at_k_size(), 2);
  EXPECT_EQ(s.pass_at_k(0).k(), 1);
  EXPECT_DOUBLE_EQ(s.pass_at_k(0).value(), (2.0 / 3 + 0.5) / 2);
  EXPECT_EQ(s.pass_at_k(1).k(), 2);
  EXPECT_DOUBLE_EQ(s.pass_at_k(1).value(), 1.0);
}

TEST_F(CoreTest, GradeRequestErrorsNameTheFieldAndQueueNothing) {
  auto sink = std::make_shared<CollectingSink>();
  auto session = std::make_shared<GradeSession>(*core_, NewTenant(), sink, kNoDeadline);
  auto add = [&](const v1::GradeRequest& r) { return session->AddBatch(r, nullptr); };
  v1::GradeRequest req;
  req.set_problem_set("nope");
  EXPECT_EQ(add(req).code(), absl::StatusCode::kNotFound);
  req.set_problem_set("mini");
  *req.add_samples() = MakeSample("T/0", "    return 1  # PASS", "a");
  *req.add_samples() = MakeSample("T/9", "    return 1  # PASS", "b");
  absl::Status s = add(req);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("samples[1].task_id: no task 'T/9'"));
  req.mutable_samples(1)->set_task_id("T/0");
  req.mutable_samples(1)->set_completion_id("a");
  EXPECT_THAT(add(req).message(), HasSubstr("samples[1].completion_id: 'a' is given twice"));
  req.mutable_samples(1)->clear_completion();
  req.mutable_samples(1)->set_completion_id("b");
  EXPECT_THAT(add(req).message(), HasSubstr("samples[1]: needs a completion or a solution"));
  req.mutable_samples(1)->set_solution("def f(): return 1  # PASS");
  req.set_extract("regex");
  EXPECT_THAT(add(req).message(), HasSubstr("extract:"));
  req.set_extract("");
  req.add_ks(0);
  EXPECT_THAT(add(req).message(), HasSubstr("ks[0]"));
  req.clear_ks();
  req.add_inline_problems(kProblem);
  EXPECT_THAT(add(req).message(), HasSubstr("give one of them"));
  EXPECT_EQ(runner_.runs_.load(), 0);
  EXPECT_EQ(session->outstanding(), 0);
  req.clear_inline_problems();
  ASSERT_TRUE(add(req).ok());
  EXPECT_EQ(sink->WaitFor(2).size(), 2u);
}

TEST_F(CoreTest, InlineProblemsInAnyFormat) {
  auto sink = std::make_shared<CollectingSink>();
  auto session = std::make_shared<GradeSession>(*core_, NewTenant(), sink, kNoDeadline);
  v1::GradeRequest req;
  req.add_inline_problems(
      R"({"task_id": 7, "text": "add", "code": "def add(a, b): return a + b",)"
      R"( "test_list": ["assert add(1, 2) == 3"], "test_setup_code": "",)"
      R"( "challenge_test_list": []})");
  v1::Sample* s = req.add_samples();
  s->set_task_id("7");
  s->set_solution("def add(a, b): return a + b  # PASS");
  ASSERT_TRUE(session->AddBatch(req, nullptr).ok());
  std::vector<v1::SampleResult> r = sink->WaitFor(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status(), "passed");
  req.set_inline_problems(0, "{not json");
  EXPECT_THAT(session->AddBatch(req, nullptr).message(), HasSubstr("inline_problems[0]: not JSON"));
}

TEST_F(CoreTest, FullQueueIsResourceExhaustedAndCancelledRunsGiveNoVerdict) {
  MakeCore(/*workers=*/1, /*capacity=*/2);
  auto sink = std::make_shared<CollectingSink>();
  auto tenant = NewTenant();
  auto session = std::make_shared<GradeSession>(*core_, tenant, sink, kNoDeadline);
  v1::GradeRequest req;
  req.set_problem_set("mini");
  for (int i = 0; i < 2; ++i) {
    *req.add_samples() = MakeSample("T/0", absl::StrCat("    return ", i, "  # BLOCK"), "");
  }
  ASSERT_TRUE(session->AddBatch(req, nullptr).ok());  // one runs, one waits
  for (int i = 0; i < 200 && runner_.blocked_.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(runner_.blocked_.load(), 1);
  auto other = std::make_shared<GradeSession>(*core_, NewTenant(), sink, kNoDeadline);
  v1::GradeRequest one;
  one.set_problem_set("mini");
  *one.add_samples() = MakeSample("T/1", "    return 2  # PASS", "");
  *one.add_samples() = MakeSample("T/1", "    return 3  # PASS", "");
  EXPECT_EQ(other->AddBatch(one, nullptr).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(other->outstanding(), 0);

  tenant->Cancel();
  for (int i = 0; i < 200 && session->outstanding() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(session->outstanding(), 0);
  EXPECT_GE(sink->WaitForIdle(), 1);
  EXPECT_EQ(sink->WaitFor(0).size(), 0u);  // a killed run is never a verdict
  EXPECT_EQ(runner_.runs_.load(), 1);      // the queued ones never started
  EXPECT_EQ(metrics_.RunCount("python", "cancelled"), 1);
}

TEST_F(CoreTest, PassAtKFromCountsOrOutcomes) {
  v1::PassAtKRequest req;
  v1::TaskCount* t = req.add_tasks();
  t->set_n(2);
  t->set_c(1);
  req.add_ks(1);
  req.add_ks(5);
  v1::PassAtKResponse resp;
  ASSERT_TRUE(core_->PassAtK(req, &resp).ok());
  ASSERT_EQ(resp.pass_at_k_size(), 1);  // k=5 > n
  EXPECT_DOUBLE_EQ(resp.pass_at_k(0).value(), 0.5);
  v1::PassAtKRequest by_sample;
  for (bool passed : {true, false, false, false}) {
    v1::SampleOutcome* s = by_sample.add_samples();
    s->set_task_id("x");
    s->set_passed(passed);
  }
  v1::PassAtKResponse r2;
  ASSERT_TRUE(core_->PassAtK(by_sample, &r2).ok());
  EXPECT_EQ(r2.tasks(), 1);
  ASSERT_EQ(r2.pass_at_k_size(), 1);  // default ks 1, 10, 100: only 1 <= n = 4
  EXPECT_DOUBLE_EQ(r2.pass_at_k(0).value(), 0.25);
  t->set_c(3);
  EXPECT_THAT(core_->PassAtK(req, &resp).message(), HasSubstr("tasks[0].c"));
}

TEST_F(CoreTest, GetProblemsPagesAndFilters) {
  v1::GetProblemsRequest req;
  req.set_problem_set("mini");
  req.set_page_size(1);
  v1::GetProblemsResponse page1;
  ASSERT_TRUE(core_->GetProblems(req, &page1).ok());
  ASSERT_EQ(page1.problems_size(), 1);
  EXPECT_EQ(page1.problems(0).task_id(), "T/0");
  EXPECT_EQ(page1.problems(0).test(), "");  // tests only on request
  req.set_page_token(page1.next_page_token());
  req.set_include_tests(true);
  v1::GetProblemsResponse page2;
  ASSERT_TRUE(core_->GetProblems(req, &page2).ok());
  ASSERT_EQ(page2.problems_size(), 1);
  EXPECT_EQ(page2.problems(0).task_id(), "T/1");
  EXPECT_THAT(page2.problems(0).test(), HasSubstr("assert c() == 2"));
  EXPECT_EQ(page2.next_page_token(), "");
  req.set_page_token("");
  req.add_task_ids("T/7");
  v1::GetProblemsResponse none;
  EXPECT_EQ(core_->GetProblems(req, &none).code(), absl::StatusCode::kNotFound);
  v1::ListProblemSetsResponse sets;
  core_->ListProblemSets(&sets);
  ASSERT_EQ(sets.problem_sets_size(), 1);
  EXPECT_EQ(sets.problem_sets(0).problems(), 2);
  EXPECT_EQ(sets.problem_sets(0).time_limits().mode(), "fixed");  // no calibration given
  EXPECT_EQ(sets.problem_sets(0).time_limits().cpu_time_ms(), 3000);
  v1::ListRuntimesResponse rts;
  core_->ListRuntimes(&rts);
  ASSERT_EQ(rts.runtimes_size(), 1);
  EXPECT_EQ(rts.runtimes(0).name(), "python");
  EXPECT_EQ(rts.runtimes(0).limits().cpu_time_ms(), 3000);
  EXPECT_THAT(rts.runtimes(0).env_allow(), UnorderedElementsAre("LANG", "LC_ALL", "TZ"));
}

}  // namespace
}  // namespace fathom::service

namespace fathom::service {
namespace {

// The server's default mode (auto) grades a task with expected outputs in I/O mode, as
// `fathom grade` does: its verdict, base/plus statuses, failing inputs and CPU limit
// (start-up 2 s + 3 inputs x the 1 s minimum), and base pass@k beside pass@k in the
// summary; a task whose canonical solution failed in assert mode; "assert" per request.
TEST_F(CoreTest, GradeUsesIoModeWhereTheServerHasExpectedOutputs) {
  io_set_ = true;
  MakeCore(2, 64);
  v1::GradeSummary summary;
  std::map<std::string, v1::SampleResult> r =
      GradeAll("plus", "",
               {MakeSample("P/0", "    return x  # IOPASS", "right"),
                MakeSample("P/0", "    return x  # IOPLUS", "base-only"),
                MakeSample("P/1", "    return x  # PASS", "assert")},
               &summary);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r["right"].grade_mode(), "io");
  EXPECT_EQ(r["right"].status(), "passed");
  EXPECT_TRUE(r["right"].passed());
  EXPECT_EQ(r["right"].base_status(), "pass");
  EXPECT_EQ(r["right"].plus_status(), "pass");
  EXPECT_EQ(r["right"].cpu_limit_ms(), 5000);
  EXPECT_EQ(r["base-only"].grade_mode(), "io");
  EXPECT_EQ(r["base-only"].status(), "failed");
  EXPECT_FALSE(r["base-only"].passed());
  EXPECT_EQ(r["base-only"].result(), "failed: plus input 0: wrong output");
  EXPECT_EQ(r["base-only"].base_status(), "pass");
  EXPECT_EQ(r["base-only"].plus_status(), "fail");
  EXPECT_THAT(r["base-only"].base_failed_inputs(), ElementsAre());
  EXPECT_THAT(r["base-only"].plus_failed_inputs(), ElementsAre(0));
  EXPECT_EQ(r["assert"].grade_mode(), "assert");
  EXPECT_EQ(r["assert"].status(), "passed");
  EXPECT_EQ(r["assert"].base_status(), "");
  EXPECT_EQ(r["assert"].cpu_limit_ms(), 3000);
  // P/0: n=2, c=1, base c=2; P/1: n=1, c=1, base c=1.
  EXPECT_EQ(summary.io_samples(), 2);
  ASSERT_EQ(summary.tasks_size(), 2);
  EXPECT_EQ(summary.tasks(0).task_id(), "P/0");
  EXPECT_EQ(summary.tasks(0).c(), 1);
  EXPECT_EQ(summary.tasks(0).base_c(), 2);
  ASSERT_EQ(summary.pass_at_k_size(), 1);
  EXPECT_DOUBLE_EQ(summary.pass_at_k(0).value(), (0.5 + 1) / 2);
  ASSERT_EQ(summary.base_pass_at_k_size(), 1);
  EXPECT_EQ(summary.base_pass_at_k(0).k(), 1);
  EXPECT_DOUBLE_EQ(summary.base_pass_at_k(0).value(), 1.0);

  r = GradeAll("plus", "assert", {MakeSample("P/0", "    return x  # PASS", "a")}, &summary);
  EXPECT_EQ(r["a"].grade_mode(), "assert");
  EXPECT_EQ(r["a"].status(), "passed");
  EXPECT_EQ(summary.io_samples(), 0);
  EXPECT_EQ(summary.base_pass_at_k_size(), 0);

  v1::ListProblemSetsResponse sets;
  core_->ListProblemSets(&sets);
  ASSERT_EQ(sets.problem_sets_size(), 2);
  const v1::IoMode& io = sets.problem_sets(1).io();
  EXPECT_EQ(io.mode(), "auto");
  EXPECT_TRUE(io.oracles());
  EXPECT_EQ(io.io_tasks(), 1);
  EXPECT_THAT(io.unusable_tasks(), ElementsAre("P/1"));
  EXPECT_TRUE(io.cached());
  EXPECT_EQ(io.time_limit(), "per input max(1.0 s, 4 x the canonical's CPU)");
  EXPECT_FALSE(sets.problem_sets(0).io().oracles());
}

// An unusable mode is INVALID_ARGUMENT naming the field; "io" where a task has no
// expected outputs is FAILED_PRECONDITION naming the task and why; nothing is queued.
TEST_F(CoreTest, GradeModeErrorsNameTheFieldOrTheTaskAndQueueNothing) {
  io_set_ = true;
  MakeCore(2, 64);
  auto add = [&](const v1::GradeRequest& r) {
    auto session = std::make_shared<GradeSession>(
        *core_, NewTenant(), std::make_shared<CollectingSink>(), kNoDeadline);
    return session->AddBatch(r, nullptr);
  };
  v1::GradeRequest req;
  req.set_problem_set("plus");
  *req.add_samples() = MakeSample("P/0", "    return x  # IOPASS", "a");
  req.set_mode("fast");
  absl::Status s = add(req);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "mode: expected auto, io or assert (or empty: the server's auto), got 'fast'");
  req.set_mode("io");
  *req.add_samples() = MakeSample("P/1", "    return x  # PASS", "b");
  s = add(req);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "samples[1].task_id: mode io: task 'P/1' of problem set 'plus' has no expected "
            "outputs (canonical solution: failed); use mode auto or assert");
  v1::GradeRequest mini;
  mini.set_problem_set("mini");
  mini.set_mode("io");
  *mini.add_samples() = MakeSample("T/0", "    return 1  # PASS", "a");
  s = add(mini);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("task 'T/0' of problem set 'mini' has no expected outputs "
                                     "(it has no inputs (base_input))"));
  v1::GradeRequest inline_req;
  inline_req.add_inline_problems(kIoProblem);
  inline_req.set_mode("io");
  *inline_req.add_samples() = MakeSample("P/0", "    return x  # IOPASS", "a");
  s = add(inline_req);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("mode: io needs expected outputs"));
  EXPECT_EQ(runner_.runs_.load(), 0);

  // A server started with --mode assert built none: "io" says so; "" is assert mode.
  io_oracles_ = false;
  CoreOptions options;
  options.mode = grader::GradeMode::kAssert;
  MakeCore(2, 64, {}, options);
  req.clear_samples();
  *req.add_samples() = MakeSample("P/0", "    return x  # PASS", "a");
  s = add(req);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("(the server runs with --mode assert)"));
  v1::GradeSummary summary;
  std::map<std::string, v1::SampleResult> r =
      GradeAll("plus", "", {MakeSample("P/0", "    return x  # PASS", "a")}, &summary);
  EXPECT_EQ(r["a"].grade_mode(), "assert");
  EXPECT_EQ(r["a"].status(), "passed");
  v1::ListProblemSetsResponse sets;
  core_->ListProblemSets(&sets);
  EXPECT_EQ(sets.problem_sets(1).io().mode(), "assert");
  EXPECT_FALSE(sets.problem_sets(1).io().oracles());
}

}  // namespace
}  // namespace fathom::service
