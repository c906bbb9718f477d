// Replicas behind a balancer: three `fathom serve` replicas on loopback ports, driven
// (a) by one gRPC channel balancing with round_robin over the three addresses (watching
// each replica's health) and (b) through an L7 gRPC proxy from Debian, started by the test
// with a config in a directory of its own: HAProxy (active checks) and nginx
// (`grpc_pass`, passive checks). Every client uses the retry policy a client of a fleet
// should use (kServiceConfig): UNAVAILABLE is retried; fathom answers it only before
// running anything (draining), or the transport does when a replica is gone.
//
// Checks, each with its own three replicas:
//   - load spreads: each replica serves at least 20% of 3,000 requests;
//   - a replica sent SIGTERM mid-load drains: the calls it holds finish, it exits 0, and
//     every request is answered exactly once, with its own output, and run exactly once
//     across the fleet (the replicas' call logs add up to the requests);
//   - a replica killed with SIGKILL mid-load costs only the calls in flight on it: every
//     request still succeeds (the client retries those), and the runs done twice are at
//     most the calls the client had in flight.
// Each request prints its own id, so an answer given to the wrong call would show. Bounded
// in count (3,000 or 1,500 requests) and time (every call has a deadline); no timing is
// asserted. Needs root (the sandbox) like the other service tests; a host without the
// proxy's binary skips its cases and says so.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "fathom/v1/grader.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fathom_process.h"
#include "tests/serve/server_process.h"

namespace fathom {
namespace {

namespace fs = std::filesystem;
using testing::ServerProcess;
using Clock = std::chrono::steady_clock;

const std::string kBinary = FATHOM_BINARY;
constexpr char kNginx[] = "/usr/sbin/nginx";
constexpr char kHaproxy[] = "/usr/sbin/haproxy";
constexpr int kReplicas = 3;
constexpr int kClientThreads = 12;
// The replicas' --drain-delay: how long a replica that got SIGTERM keeps serving with its
// health NOT_SERVING before it closes its port. The round_robin client hears of the
// health change on its Watch stream within milliseconds and HAProxy within one 100 ms
// check; 3 s leaves a wide margin on a loaded machine.
constexpr char kDrainDelaySeconds[] = "3";

// round_robin over every address of the target, skipping a replica whose health (watched
// on each connection) is not SERVING, and retries of UNAVAILABLE (at most 5 attempts in
// all, gRPC's cap) with a short backoff. deploy/k8s/README.md gives the same config to
// clients of the Kubernetes Service.
constexpr char kServiceConfig[] = R"({
  "loadBalancingConfig": [{"round_robin": {}}],
  "healthCheckConfig": {"serviceName": "fathom.v1.Grader"},
  "methodConfig": [{
    "name": [{"service": "fathom.v1.Grader"}],
    "retryPolicy": {
      "maxAttempts": 5,
      "initialBackoff": "0.05s",
      "maxBackoff": "1s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }]
})";

std::string TestDir() {
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::replace(name.begin(), name.end(), '/', '_');  // "Case/Param"
  return (fs::path(::testing::TempDir()) / absl::StrCat("fathom_fleet_", getpid(), "_", name))
      .string();
}

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::seconds limit = std::chrono::seconds(60)) {
  const auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

// Execute calls that ended OK in a replica's call log.
int ExecutedOk(const ServerProcess& replica) {
  int n = 0;
  for (const std::string& line : replica.LogLines()) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("event", "") == "call" && j.value("method", "") == "Execute" &&
        j.value("code", "") == "OK") {
      ++n;
    }
  }
  return n;
}

double CallsInFlight(const ServerProcess& replica) {
  return testing::MetricValue(testing::HttpGet(replica.metrics_port(), "/metrics"),
                              "fathom_calls_in_flight");
}

// A free loopback port, for nginx to listen on (nginx cannot be asked for port 0 and say
// which it got). Another process may take it before nginx does: Nginx::Start retries.
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// A replica as a proxy sees it: its gRPC address and its metrics port (HAProxy's active
// check reads fathom_draining there).
struct Upstream {
  std::string address;
  int metrics_port = 0;
};

enum class Path { kRoundRobin, kHaproxy, kNginx };

// An L7 gRPC proxy from Debian in front of `upstreams`, in the foreground (no daemon, one
// process), everything it writes under `dir`, listening on a loopback port:
//   HAProxy: round robin, HTTP/2 to the replicas, an active check every 100 ms that takes
//     a replica out once its /metrics says fathom_draining 1 (or stops answering), and
//     connection failures retried on another replica;
//   nginx: round robin (grpc_pass), upstream keepalive, passive checks only (nginx's free
//     edition has no active ones): a replica leaves its rotation only when connecting to
//     it fails.
// Stopped (SIGTERM, then SIGKILL if it lingers) and reaped when the object goes.
class Proxy {
 public:
  static std::unique_ptr<Proxy> Start(Path kind, const std::string& dir,
                                      const std::vector<Upstream>& upstreams) {
    fs::create_directories(dir + "/tmp");
    for (int attempt = 0; attempt < 5; ++attempt) {
      auto p = std::unique_ptr<Proxy>(new Proxy());
      p->dir_ = dir;
      p->port_ = FreePort();
      if (kind == Path::kHaproxy) {
        WriteHaproxyConfig(dir, p->port_, upstreams);
        p->pid_ = e2e::StartProgram(kHaproxy, {"-db", "-f", dir + "/haproxy.cfg"},
                                    dir + "/error.log");
      } else {
        WriteNginxConfig(dir, p->port_, upstreams);
        p->pid_ = e2e::StartProgram(kNginx, {"-p", dir, "-c", dir + "/nginx.conf", "-e",
                                             dir + "/error.log"},
                                    dir + "/nginx.out");
      }
      if (WaitFor([&] { return Accepts(p->port_) || p->Exited(); }, std::chrono::seconds(30)) &&
          !p->Exited()) {
        return p;
      }
    }
    return nullptr;
  }

  ~Proxy() {
    if (pid_ <= 0 || reaped_) return;
    kill(pid_, SIGTERM);
    if (!WaitFor([&] { return Exited(); }, std::chrono::seconds(30))) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  Proxy() = default;

  static void WriteHaproxyConfig(const std::string& dir, int port,
                                 const std::vector<Upstream>& upstreams) {
    std::ofstream conf(dir + "/haproxy.cfg");
    conf << "global\n  maxconn 4096\n  pidfile " << dir << "/haproxy.pid\n"
         << "defaults\n  mode http\n  timeout connect 5s\n  timeout client 300s\n"
         << "  timeout server 300s\n  retries 3\n  option redispatch 1\n"
         << "frontend grpc\n  bind 127.0.0.1:" << port << " proto h2\n"
         << "  default_backend fathom\n"
         << "backend fathom\n  balance roundrobin\n  option httpchk GET /metrics\n"
         // The value line only: the HELP line also starts "fathom_draining 1".
         << "  http-check expect ! rstring \"(?m)^fathom_draining 1\"\n";
    for (size_t i = 0; i < upstreams.size(); ++i) {
      conf << "  server r" << i << " " << upstreams[i].address << " proto h2 check port "
           << upstreams[i].metrics_port << " check-proto h1 inter 100 fall 1 rise 1\n";
    }
  }

  static void WriteNginxConfig(const std::string& dir, int port,
                               const std::vector<Upstream>& upstreams) {
    std::ofstream conf(dir + "/nginx.conf");
    conf << "daemon off;\nmaster_process off;\nworker_processes 1;\n"
         << "pid " << dir << "/nginx.pid;\nerror_log " << dir << "/error.log notice;\n"
         << "events { worker_connections 4096; }\n"
         << "http {\n  access_log off;\n";
    for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
      conf << "  " << t << "_temp_path " << dir << "/tmp/" << t << ";\n";
    }
    // Keep the client's one HTTP/2 connection for the whole test (nginx's default closes
    // it after 1,000 requests).
    conf << "  keepalive_requests 1000000;\n  upstream fathom {\n";
    for (const Upstream& u : upstreams) conf << "    server " << u.address << ";\n";
    conf << "    keepalive 16;\n  }\n"
         << "  server {\n    listen 127.0.0.1:" << port << " http2;\n"
         << "    location / {\n      grpc_pass grpc://fathom;\n"
         << "      grpc_read_timeout 300s;\n      grpc_send_timeout 300s;\n    }\n  }\n}\n";
  }

  bool Exited() {
    if (reaped_) return true;
    reaped_ = waitpid(pid_, nullptr, WNOHANG) == pid_;
    return reaped_;
  }
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// What one request got.
struct Answer {
  grpc::Status status;
  std::string stdout_text;
};

// Sends `n` Execute calls from kClientThreads threads over `channel`; request i prints
// "<tag>-<i>" (every tenth sleeps 50 ms first, so that calls overlap on each replica).
// With a gate set, the threads stop before request `gate_at` until Open().
class Load {
 public:
  Load(std::shared_ptr<grpc::Channel> channel, int n, std::string tag, int gate_at = -1)
      : stub_(v1::Grader::NewStub(channel)), answers_(n), tag_(std::move(tag)),
        gate_at_(gate_at) {}

  void Start() {
    for (int t = 0; t < kClientThreads; ++t) threads_.emplace_back([this] { Loop(); });
  }
  void Join() {
    Open();
    for (std::thread& t : threads_) t.join();
  }
  // Every thread is parked at the gate, with nothing of it in flight.
  bool AtGate() const { return parked_.load() == kClientThreads; }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  int done() const { return done_.load(); }
  std::string Expected(int i) const { return absl::StrCat(tag_, "-", i, "\n"); }
  const std::vector<Answer>& answers() const { return answers_; }

 private:
  void Loop() {
    for (;;) {
      const int i = next_.fetch_add(1);
      if (i >= static_cast<int>(answers_.size())) return;
      if (i >= gate_at_ && gate_at_ >= 0) {
        std::unique_lock<std::mutex> lock(mu_);
        if (!open_) {
          parked_.fetch_add(1);
          cv_.wait(lock, [this] { return open_; });
        }
      }
      v1::ExecuteRequest req;
      const std::string id = absl::StrCat(tag_, "-", i);
      req.set_code(i % 10 == 9 ? absl::StrCat("import time\ntime.sleep(0.05)\nprint('", id, "')\n")
                               : absl::StrCat("print('", id, "')\n"));
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(180));
      v1::ExecuteResponse resp;
      answers_[i].status = stub_->Execute(&ctx, req, &resp);
      answers_[i].stdout_text = resp.result().stdout();
      done_.fetch_add(1);
    }
  }

  std::unique_ptr<v1::Grader::Stub> stub_;
  std::vector<Answer> answers_;
  const std::string tag_;
  const int gate_at_;
  std::atomic<int> next_{0}, done_{0}, parked_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;  // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;
};

// Every request answered OK with its own output; the failures otherwise, first few named.
void ExpectEveryAnswerIsItsOwn(const Load& load) {
  int wrong = 0;
  std::vector<std::string> examples;
  for (size_t i = 0; i < load.answers().size(); ++i) {
    const Answer& a = load.answers()[i];
    if (a.status.ok() && a.stdout_text == load.Expected(static_cast<int>(i))) continue;
    ++wrong;
    if (examples.size() < 5) {
      examples.push_back(absl::StrCat("#", i, ": ", a.status.error_code(), " ",
                                      a.status.error_message(), " stdout=", a.stdout_text));
    }
  }
  EXPECT_EQ(wrong, 0) << absl::StrJoin(examples, "\n");
}

std::string PathName(Path p) {
  switch (p) {
    case Path::kRoundRobin: return "RoundRobin";
    case Path::kHaproxy: return "Haproxy";
    case Path::kNginx: return "Nginx";
  }
  return "";
}

class ServeFleetTest : public ::testing::TestWithParam<Path> {
 protected:
  void SetUp() override {
    dir_ = TestDir();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const char* proxy = GetParam() == Path::kHaproxy ? kHaproxy
                        : GetParam() == Path::kNginx ? kNginx
                                                     : nullptr;
    if (proxy != nullptr && !fs::exists(proxy)) {
      GTEST_SKIP() << "NOT RUN: " << proxy << " is absent (scripts/bootstrap installs it)";
    }
    for (int r = 0; r < kReplicas; ++r) {
      absl::StatusOr<std::unique_ptr<ServerProcess>> s = ServerProcess::Start(
          kBinary, {"--workers", "1", "--grace", "120", "--drain-delay", kDrainDelaySeconds});
      ASSERT_TRUE(s.ok()) << s.status();
      replicas_.push_back(*std::move(s));
    }
    std::vector<std::string> addresses;
    std::vector<Upstream> upstreams;
    for (const auto& r : replicas_) {
      addresses.push_back(r->address());
      upstreams.push_back({r->address(), r->metrics_port()});
    }
    grpc::ChannelArguments args;
    args.SetServiceConfigJSON(kServiceConfig);
    args.SetInt(GRPC_ARG_ENABLE_RETRIES, 1);
    if (GetParam() == Path::kRoundRobin) {
      channel_ = testing::ConnectedChannel("ipv4:" + absl::StrJoin(addresses, ","), args);
    } else {
      proxy_ = Proxy::Start(GetParam(), dir_ + "/proxy", upstreams);
      ASSERT_NE(proxy_, nullptr) << proxy << " did not start:\n"
                                 << e2e::ReadFile(dir_ + "/proxy/error.log");
      channel_ = testing::ConnectedChannel(proxy_->address(), args);
    }
  }
  void TearDown() override {
    proxy_.reset();
    if (HasFailure()) {  // what the replicas said besides their calls, and the proxy's log
      for (size_t r = 0; r < replicas_.size(); ++r) {
        for (const std::string& line : replicas_[r]->LogLines()) {
          if (line.find("\"event\":\"call\"") == std::string::npos ||
              line.find("\"code\":\"OK\"") == std::string::npos) {
            std::cout << "replica " << r << ": " << line << "\n";
          }
        }
      }
      std::cout << "proxy log:\n" << e2e::ReadFile(dir_ + "/proxy/error.log");
    }
    replicas_.clear();
    fs::remove_all(dir_);
  }

  // SIGTERMs the replicas still running (all at once: each announces its drain first),
  // waits for their logs to end; then each replica's Execute calls that ended OK.
  std::vector<int> StopAndCount() {
    for (auto& r : replicas_) kill(r->pid(), SIGTERM);
    for (auto& r : replicas_) {
      const int rc = r->Stop(SIGTERM, std::chrono::seconds(180));
      EXPECT_TRUE(rc == 0 || rc == -1) << "exit " << rc;  // -1: reaped before
    }
    std::vector<int> out;
    for (auto& r : replicas_) {
      EXPECT_TRUE(WaitFor([&] { return r->LogClosed(); })) << "a replica's log stayed open";
      out.push_back(ExecutedOk(*r));
    }
    return out;
  }

  std::string dir_;
  std::vector<std::unique_ptr<ServerProcess>> replicas_;
  std::unique_ptr<Proxy> proxy_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_P(ServeFleetTest, LoadSpreadsOverEveryReplica) {
  constexpr int kRequests = 3000;
  Load load(channel_, kRequests, "spread");
  load.Start();
  load.Join();
  ExpectEveryAnswerIsItsOwn(load);
  const std::vector<int> served = StopAndCount();
  int total = 0;
  for (int n : served) {
    total += n;
    EXPECT_GE(n, kRequests / 5) << "served per replica: " << absl::StrJoin(served, ", ");
  }
  EXPECT_EQ(total, kRequests) << "served per replica: " << absl::StrJoin(served, ", ");
  std::cout << "served per replica: " << absl::StrJoin(served, ", ") << "\n";
}

// The load stops at a gate a third of the way in; two slow calls go straight to the victim
// (they are the drain's calls in progress: sleeping, so certainly still running when the
// signal comes); the gate opens and the victim gets SIGTERM at once, while the load
// resumes at full concurrency.
TEST_P(ServeFleetTest, AReplicaSentSigtermMidLoadDrainsAndNoRequestIsLostOrRunTwice) {
  if (GetParam() == Path::kNginx) {
    GTEST_SKIP() << "NOT RUN for nginx: without active health checks it keeps sending to a "
                    "draining replica until the GOAWAY, and gRPC 1.51 answers the calls "
                    "caught in that instant CANCELLED (a few per drain here; see "
                    "service/server.h). HAProxy, with an active check, is the proxy case.";
  }
  constexpr int kRequests = 1500;
  ServerProcess& victim = *replicas_[1];
  Load load(channel_, kRequests, "term", kRequests / 3);
  load.Start();
  ASSERT_TRUE(WaitFor([&] { return load.AtGate(); }, std::chrono::seconds(300)));
  ASSERT_TRUE(WaitFor([&] { return CallsInFlight(victim) == 0; }));

  auto direct = v1::Grader::NewStub(testing::ConnectedChannel(victim.address()));
  Answer slow[2];
  std::vector<std::thread> slow_calls;
  for (int k = 0; k < 2; ++k) {
    slow_calls.emplace_back([&, k] {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(180));
      v1::ExecuteRequest req;
      req.set_code(absl::StrCat("import time\ntime.sleep(1)\nprint('slow-", k, "')\n"));
      v1::ExecuteResponse resp;
      slow[k].status = direct->Execute(&ctx, req, &resp);
      slow[k].stdout_text = resp.result().stdout();
    });
  }
  ASSERT_TRUE(WaitFor([&] { return CallsInFlight(victim) == 2; }));
  load.Open();
  ASSERT_EQ(kill(victim.pid(), SIGTERM), 0);
  for (std::thread& t : slow_calls) t.join();
  load.Join();
  EXPECT_EQ(victim.Stop(0, std::chrono::seconds(180)), 0);

  for (int k = 0; k < 2; ++k) {
    EXPECT_TRUE(slow[k].status.ok()) << "a call in progress was not drained: "
                                     << slow[k].status.error_message();
    EXPECT_EQ(slow[k].stdout_text, absl::StrCat("slow-", k, "\n"));
  }
  ExpectEveryAnswerIsItsOwn(load);
  const std::vector<int> served = StopAndCount();
  int total = 0;
  for (int n : served) total += n;
  // Every request ran exactly once in the fleet (plus the two slow calls).
  EXPECT_EQ(total, kRequests + 2) << "served per replica: " << absl::StrJoin(served, ", ");
  std::cout << "served per replica: " << absl::StrJoin(served, ", ") << "\n";
}

// The load stops at a gate a third of the way in, resumes, and the victim is SIGKILLed
// as soon as it has a call in flight. Every request still succeeds; runs done twice (a
// call the victim ran but could not answer, run again elsewhere) are at most what the
// client had in flight.
TEST_P(ServeFleetTest, AReplicaKilledMidLoadCostsOnlyItsCallsInFlightWhichAreRetried) {
  constexpr int kRequests = 1500;
  ServerProcess& victim = *replicas_[1];
  Load load(channel_, kRequests, "kill", kRequests / 3);
  load.Start();
  ASSERT_TRUE(WaitFor([&] { return load.AtGate(); }, std::chrono::seconds(300)));
  load.Open();
  ASSERT_TRUE(WaitFor([&] { return CallsInFlight(victim) >= 1; }, std::chrono::seconds(120)));
  EXPECT_EQ(victim.Stop(SIGKILL, std::chrono::seconds(60)), 128 + SIGKILL);
  load.Join();

  ExpectEveryAnswerIsItsOwn(load);
  const std::vector<int> served = StopAndCount();
  int total = 0;
  for (int n : served) total += n;
  EXPECT_GE(total, kRequests) << "served per replica: " << absl::StrJoin(served, ", ");
  EXPECT_LE(total - kRequests, kClientThreads)
      << "served per replica: " << absl::StrJoin(served, ", ");
  std::cout << "served per replica: " << absl::StrJoin(served, ", ") << "; run twice: "
            << total - kRequests << "\n";
}

INSTANTIATE_TEST_SUITE_P(Balancers, ServeFleetTest,
                         ::testing::Values(Path::kRoundRobin, Path::kHaproxy, Path::kNginx),
                         [](const ::testing::TestParamInfo<Path>& p) { return PathName(p.param); });

}  // namespace
}  // namespace fathom
