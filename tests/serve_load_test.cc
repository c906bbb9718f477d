// Load on a real `fathom serve` (loopback only, bounded in count and time): 64 concurrent
// clients, each on its own connection, send 5,000 mixed requests in all: trivial,
// infinite-loop and hostile Execute calls, and Grade calls. Every request is answered
// exactly once with exactly the outcome its program deserves, nothing is lost or
// duplicated, no run outlives the load, the warm zygotes (the default runner) survive
// every hostile program, and the server's memory comes back to where it started.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "fathom/v1/grader.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/serve/server_process.h"

namespace fathom {
namespace {

using testing::ServerProcess;

constexpr int kClients = 64;
constexpr int kRequests = 5000;
// The load must end well inside ctest's timeout: past this no new request is sent, and
// the test fails saying how far it got (it never quietly sends fewer).
constexpr auto kLoadBudget = std::chrono::minutes(12);
// Server RSS may end this much above its level after the warm-up, once the clients are
// gone (allocator slack: freed memory kept in glibc's per-thread arenas).
constexpr int64_t kRssSlackKb = 16 * 1024;

constexpr char kProblem[] =
    R"({"task_id": "L/0", "prompt": "def f(x):\n", "entry_point": "f", "canonical_solution": "",)"
    R"( "test": "def check(c):\n    assert c(2) == 4\n"})";

struct Expectation {
  std::string status;
  std::string stdout_data;  // checked when not empty
};

// Request `i`: its kind is fixed by i, so every answer can be checked exactly.
enum class Kind { kTrivial, kLoop, kHostile, kGrade };
Kind KindOf(int i) {
  switch (i % 10) {
    case 7: return Kind::kLoop;
    case 8: return Kind::kHostile;
    case 9: return Kind::kGrade;
    default: return Kind::kTrivial;
  }
}

v1::ExecuteRequest ExecuteRequestFor(int i, Expectation* want) {
  v1::ExecuteRequest req;
  switch (KindOf(i)) {
    case Kind::kTrivial:
      req.set_code(absl::StrCat("print(", i, " * 3)"));
      *want = {"ok", absl::StrCat(i * 3, "\n")};
      break;
    case Kind::kLoop:
      req.set_code("while True: pass");
      req.mutable_limits()->set_cpu_time_ms(50);
      *want = {"cpu_timeout", ""};
      break;
    default: {
      const int which = (i / 10) % 5;
      if (which == 0) {
        req.set_code("import os\nos.fork()");
        *want = {"nonzero_exit", ""};
      } else if (which == 1) {
        req.set_code("import ctypes\nctypes.CDLL(None).syscall(101, 0, 0, 0, 0)");
        *want = {"syscall_violation", ""};
      } else if (which == 2) {
        req.set_code("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)");
        *want = {"signaled", ""};
      } else if (which == 3) {
        req.set_code("x = bytearray(256 << 20)\nx[::4096] = b'1' * len(x[::4096])");
        req.mutable_limits()->set_memory_bytes(48 << 20);
        *want = {"memory_limit", ""};
      } else {
        req.set_code("import sys\nwhile True: sys.stdout.write('x' * 4096)");
        req.mutable_limits()->set_max_output_bytes(10000);
        *want = {"output_limit", ""};
      }
    }
  }
  return req;
}

TEST(ServeLoadTest, SixtyFourClientsFiveThousandMixedRequests) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> started =
      ServerProcess::Start(FATHOM_BINARY, {"--workers", "2", "--queue", "1024"});
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;

  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int c = 0; c < kClients; ++c) {
    grpc::ChannelArguments args;
    // One connection per client: a shared subchannel would hide the 64 connections.
    args.SetInt("fathom.client", c);
    channels.push_back(testing::ConnectedChannel(server.address(), args));
  }

  std::vector<std::atomic<int>> answers(kRequests);
  std::mutex mu;
  std::vector<std::string> failures;
  auto fail = [&](int i, const std::string& why) {
    std::lock_guard<std::mutex> lock(mu);
    if (failures.size() < 20) failures.push_back(absl::StrCat("request ", i, ": ", why));
  };
  auto run_one = [&](v1::Grader::Stub& stub, int i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
    if (KindOf(i) != Kind::kGrade) {
      Expectation want;
      v1::ExecuteRequest req = ExecuteRequestFor(i, &want);
      v1::ExecuteResponse resp;
      grpc::Status s = stub.Execute(&ctx, req, &resp);
      answers[i]++;
      if (!s.ok()) return fail(i, absl::StrCat("rpc ", s.error_code(), " ", s.error_message()));
      if (resp.result().status() != want.status) {
        return fail(i, absl::StrCat(resp.result().status(), " != ", want.status, " stderr ",
                                    resp.result().stderr().substr(0, 300)));
      }
      if (!want.stdout_data.empty() && resp.result().stdout() != want.stdout_data) {
        fail(i, absl::StrCat("stdout '", resp.result().stdout(), "'"));
      }
      return;
    }
    // Grade: a pass, a failed assert, and every tenth time an infinite loop (with a CPU
    // limit that still leaves the other two samples far from it).
    v1::GradeRequest req;
    req.add_inline_problems(kProblem);
    std::vector<std::string> want_status = {"passed", "failed"};
    for (const char* body : {"    return x * 2", "    return x + 3"}) {
      v1::Sample* s = req.add_samples();
      s->set_task_id("L/0");
      s->set_completion(absl::StrCat(body, "  # request ", i));
      s->set_completion_id(absl::StrCat(req.samples_size() - 1));
    }
    if ((i / 10) % 10 == 0) {
      v1::Sample* s = req.add_samples();
      s->set_task_id("L/0");
      s->set_completion("    while True: pass");
      s->set_completion_id("2");
      want_status.push_back("timeout");
      req.mutable_limits()->set_cpu_time_ms(250);
    }
    auto reader = stub.Grade(&ctx, req);
    v1::GradeResponse resp;
    std::vector<int> seen(want_status.size());
    int summaries = 0;
    while (reader->Read(&resp)) {
      if (resp.has_summary()) {
        ++summaries;
        continue;
      }
      const int64_t k = resp.result().index();
      if (k < 0 || k >= static_cast<int64_t>(seen.size())) return fail(i, "bad index");
      ++seen[k];
      if (resp.result().status() != want_status[k]) {
        fail(i, absl::StrCat("sample ", k, ": ", resp.result().status(), " != ", want_status[k]));
      }
    }
    grpc::Status s = reader->Finish();
    answers[i]++;
    if (!s.ok()) return fail(i, absl::StrCat("grade rpc ", s.error_code(), " ", s.error_message()));
    if (summaries != 1) fail(i, absl::StrCat(summaries, " summaries"));
    for (size_t k = 0; k < seen.size(); ++k) {
      if (seen[k] != 1) fail(i, absl::StrCat("sample ", k, " answered ", seen[k], " times"));
    }
  };

  // Warm-up, then the baseline memory.
  {
    auto stub = v1::Grader::NewStub(channels[0]);
    for (int i = 0; i < 20; ++i) run_one(*stub, i);
    for (int i = 0; i < 20; ++i) answers[i] = 0;
  }
  const int64_t rss_before = server.RssKb();
  const std::vector<pid_t> zygotes = server.Children();
  ASSERT_EQ(zygotes.size(), 2u) << "one warm zygote per worker";

  std::atomic<int> next{0};
  const auto start = std::chrono::steady_clock::now();
  const auto budget_end = start + kLoadBudget;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto stub = v1::Grader::NewStub(channels[c]);
      for (int i = next++; i < kRequests; i = next++) {
        if (std::chrono::steady_clock::now() > budget_end) return;
        run_one(*stub, i);
      }
    });
  }
  for (auto& t : clients) t.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  int answered = 0, twice = 0;
  for (auto& a : answers) {
    answered += a.load() >= 1;
    twice += a.load() > 1;
  }
  std::cerr << "load: " << answered << " of " << kRequests << " requests in " << elapsed
            << " s (" << answered / elapsed << "/s) with " << kClients << " clients\n";
  EXPECT_EQ(answered, kRequests) << "the " << std::chrono::duration_cast<std::chrono::seconds>(
                                        kLoadBudget).count()
                                 << " s budget ran out";
  EXPECT_EQ(twice, 0);
  EXPECT_THAT(failures, ::testing::IsEmpty());

  // Nothing left running, and memory back to its level after the warm-up once the
  // clients have hung up.
  channels.clear();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  for (int i = 0; i < 500 && !server.Grandchildren().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(server.Grandchildren().empty()) << "a program outlived the load";
  EXPECT_EQ(server.Children(), zygotes) << "a zygote died or a run's init is left";
  const std::string metrics = testing::HttpGet(server.metrics_port(), "/metrics");
  EXPECT_EQ(testing::MetricValue(metrics, "fathom_calls_in_flight"), 0);
  EXPECT_EQ(testing::MetricValue(metrics, "fathom_queue_depth"), 0);
  EXPECT_EQ(testing::MetricValue(metrics, "fathom_zygote_restarts_total"), 0);
  const int64_t rss_after = server.RssKb();
  std::cerr << "load: server RSS " << rss_before << " KiB after warm-up, " << rss_after
            << " KiB after the load\n";
  EXPECT_LE(rss_after, rss_before + kRssSlackKb);
  EXPECT_EQ(server.Stop(SIGTERM, std::chrono::seconds(30)), 0);
}

}  // namespace
}  // namespace fathom
