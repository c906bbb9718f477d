// `fathom serve` latency and throughput (a benchmark, not a test: it asserts nothing).
// Starts the real server on loopback with full isolation and prints one table per
// runner (warm zygotes, the server's default, then fresh interpreters, --no-zygote):
//   direct p50/p99    the same program through the same runner in this process (a
//                     ZygoteRunner or Sandbox::Run: what is left is the server's own cost)
//   Execute p50/p99   one client, sequential trivial Python programs (low load)
//   Execute req/s     --clients concurrent clients for --seconds (sustained)
//   Grade samples/s   the bundled fathom-mini samples through Grade, vs `fathom grade`
//                     on the same samples with the same workers
//
// The load average before and after each table is printed with it.
//
//   build/bench/serve_bench [--requests 200] [--clients 16] [--seconds 20] [--workers N]
//                           [--runner zygote|fresh|both] [--grade 0]
// --grade 0 leaves out the Grade comparison (for many short interleaved A/B rounds of the
// Execute figures on a machine whose speed drifts).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "fathom/v1/grader.grpc.pb.h"
#include "grader/pipeline/program.h"
#include "grader/policy/policy.h"
#include "nlohmann/json.hpp"
#include "sandbox/sandbox.h"
#include "sandbox/zygote.h"
#include "tests/serve/server_process.h"

namespace {

using Clock = std::chrono::steady_clock;
using fathom::testing::ServerProcess;
namespace v1 = fathom::v1;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

int Flag(int argc, char** argv, const std::string& name, int def) {
  for (int i = 1; i + 1 < argc; ++i) {
    int v = 0;
    if (argv[i] == "--" + name && absl::SimpleAtoi(argv[i + 1], &v)) return v;
  }
  return def;
}

std::string FlagText(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + name) return argv[i + 1];
  }
  return def;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return absl::StrCat(one, " ", five, " ", fifteen);
}

// CPU time (user + system, ms) of process `pid`: its threads and its reaped children.
double ProcessCpuMs(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 2));
  std::string f;
  double ticks = 0;
  for (int i = 3; fields >> f && i <= 17; ++i) {  // fields 14-17: utime stime cutime cstime
    if (i >= 14) ticks += std::stod(f);
  }
  return ticks * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The server's CPU: its own, its live children's (zygotes, run inits) and everything
// they reaped (the programs).
double ServerTreeCpuMs(const ServerProcess& server) {
  double ms = ProcessCpuMs(server.pid());
  for (pid_t c : server.Children()) ms += ProcessCpuMs(c);
  return ms;
}

int Fail(const absl::Status& s) {
  std::cerr << "serve_bench: " << s << "\n";
  return 1;
}

// One Execute; true when it ran and exited 0. `run_wall_ms`: the run's own wall time, as
// the runner measured it (the rest of the latency is the service's and the transport's).
bool ExecuteOnce(v1::Grader::Stub& stub, const std::string& code, double* run_wall_ms = nullptr) {
  v1::ExecuteRequest req;
  req.set_code(code);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::ExecuteResponse resp;
  const bool ok = stub.Execute(&ctx, req, &resp).ok() && resp.result().status() == "ok";
  if (run_wall_ms != nullptr) *run_wall_ms = static_cast<double>(resp.result().wall_ms());
  return ok;
}

// One table: the server with warm zygotes (`zygote`) or fresh interpreters.
int Bench(bool zygote, int requests, int clients, int seconds, int workers, bool with_grade) {
  const std::string source = FATHOM_SOURCE_DIR;
  const std::string mini = source + "/problems/fathom-mini.jsonl";
  const std::string samples = source + "/problems/fathom-mini.samples.jsonl";
  const std::string load_before = LoadAverage();

  std::vector<std::string> args = {"--workers", absl::StrCat(workers), "--problems",
                                   "mini=" + mini};
  if (!zygote) args.push_back("--no-zygote");
  absl::StatusOr<std::unique_ptr<ServerProcess>> server = ServerProcess::Start(FATHOM_BINARY, args);
  if (!server.ok()) return Fail(server.status());
  auto channel = fathom::testing::ConnectedChannel((*server)->address());
  auto stub = v1::Grader::NewStub(channel);
  for (int i = 0; i < 10; ++i) ExecuteOnce(*stub, "pass");  // warm-up

  // 0. The baseline: the sandbox alone, same policy, same program.
  std::vector<double> direct;
  double direct_cpu_ms = 0;  // per run: the runner, its zygote or init, the program
  {
    absl::StatusOr<fathom::grader::Policy> policy =
        fathom::grader::LoadPolicy(source + "/policies");
    if (!policy.ok()) return Fail(policy.status());
    fathom::sandbox::SandboxOptions options;
    options.wanted = policy->wanted_layers;
    absl::StatusOr<std::unique_ptr<fathom::sandbox::Sandbox>> sb =
        fathom::sandbox::Sandbox::Create(options);
    if (!sb.ok()) return Fail(sb.status());
    absl::StatusOr<fathom::grader::PreparedRuntime> rt =
        fathom::grader::PrepareRuntime(*policy, "python", true);
    if (!rt.ok()) return Fail(rt.status());
    fathom::sandbox::RunSpec spec = fathom::grader::MakeRunSpec(*rt, "pass", (*rt).policy->limits);
    fathom::sandbox::Runner* runner = sb->get();
    std::unique_ptr<fathom::sandbox::ZygoteRunner> zygotes;
    if (zygote) {
      absl::StatusOr<std::unique_ptr<fathom::sandbox::ZygoteRunner>> z =
          fathom::sandbox::ZygoteRunner::Create(sb->get(),
                                                fathom::grader::GradingZygoteOptions(*rt, 1));
      if (!z.ok()) return Fail(z.status());
      zygotes = *std::move(z);
      runner = zygotes.get();
    }
    for (int i = 0; i < 10; ++i) (void)runner->Run(spec);  // warm-up
    auto own_tree_cpu_ms = [server_pid = (*server)->pid()] {  // the idle server left out
      double ms = ProcessCpuMs(getpid());
      for (pid_t c : fathom::testing::ChildrenOf(getpid())) {
        if (c != server_pid) ms += ProcessCpuMs(c);
      }
      return ms;
    };
    const double direct_cpu_before = own_tree_cpu_ms();
    for (int i = 0; i < requests; ++i) {
      auto t0 = Clock::now();
      absl::StatusOr<fathom::sandbox::RunResult> r = runner->Run(spec);
      if (!r.ok() || r->status != fathom::sandbox::RunStatus::kOk) return 1;
      direct.push_back(Ms(Clock::now() - t0));
    }
    direct_cpu_ms = (own_tree_cpu_ms() - direct_cpu_before) / requests;
  }

  // 1. Latency at low load: one client, one request at a time.
  std::vector<double> lat, run_wall;
  for (int i = 0; i < requests; ++i) {
    auto t0 = Clock::now();
    double wall = 0;
    if (!ExecuteOnce(*stub, "pass", &wall)) {
      std::cerr << "an Execute failed\n";
      return 1;
    }
    lat.push_back(Ms(Clock::now() - t0));
    run_wall.push_back(wall);
  }

  // 1b. The gRPC round trip alone on this machine: a call that runs nothing.
  std::vector<double> rtt;
  for (int i = 0; i < requests; ++i) {
    grpc::ClientContext ctx;
    v1::ListRuntimesResponse resp;
    auto t0 = Clock::now();
    if (!stub->ListRuntimes(&ctx, {}, &resp).ok()) return Fail(absl::InternalError("ListRuntimes"));
    rtt.push_back(Ms(Clock::now() - t0));
  }

  // 2. Sustained rate: `clients` clients, each on its own connection, for `seconds`.
  std::atomic<int64_t> done{0}, failed{0};
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  const auto t_rate = Clock::now();
  const double server_cpu_before = ServerTreeCpuMs(**server);
  const double client_cpu_before = ProcessCpuMs(getpid());
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      grpc::ChannelArguments args;
      args.SetInt("fathom.bench.client", c);
      auto s = v1::Grader::NewStub(fathom::testing::ConnectedChannel((*server)->address(), args));
      while (Clock::now() < end) (ExecuteOnce(*s, "pass") ? done : failed)++;
    });
  }
  for (auto& t : threads) t.join();
  const double rate_s = Ms(Clock::now() - t_rate) / 1000;
  const double server_cpu_ms = ServerTreeCpuMs(**server) - server_cpu_before;
  const double client_cpu_ms = ProcessCpuMs(getpid()) - client_cpu_before;
  const double answered = static_cast<double>(std::max<int64_t>(1, done.load() + failed.load()));
  const double restarts = fathom::testing::MetricValue(
      fathom::testing::HttpGet((*server)->metrics_port(), "/metrics"),
      "fathom_zygote_restarts_total");

  // 3. Grade throughput vs `fathom grade` on the same samples and workers (not with
  // --grade 0).
  int results = 0;
  bool grade_ok = false;
  double grade_s = 0, cli_s = 0;
  int cli_rc = 1;
  if (with_grade) {
    v1::GradeRequest grade;
    grade.set_problem_set("mini");
    std::ifstream in(samples);
    std::string line;
    while (std::getline(in, line)) {
      nlohmann::json j = nlohmann::json::parse(line);
      v1::Sample* s = grade.add_samples();
      s->set_task_id(j["task_id"].get<std::string>());
      if (j.contains("solution")) {
        s->set_solution(j["solution"].get<std::string>());
      } else {
        s->set_completion(j["completion"].get<std::string>());
      }
      s->set_completion_id(j["completion_id"].dump());
    }
    auto t_grade = Clock::now();
    grpc::ClientContext gctx;
    auto reader = stub->Grade(&gctx, grade);
    v1::GradeResponse resp;
    while (reader->Read(&resp)) results += resp.has_result();
    grade_ok = reader->Finish().ok();
    grade_s = Ms(Clock::now() - t_grade) / 1000;
  }
  (*server)->Stop(SIGTERM, std::chrono::seconds(30));
  if (with_grade) {
    const std::string out = "/tmp/fathom-serve-bench-results.jsonl";
    const std::string cmd = absl::StrCat(
        FATHOM_BINARY, " grade --no-progress --no-resume --workers ", workers,
        zygote ? "" : " --no-zygote", " --problems ", mini, " --samples ", samples, " --out ",
        out, " > /dev/null");
    auto t_cli = Clock::now();
    cli_rc = std::system(cmd.c_str());
    cli_s = Ms(Clock::now() - t_cli) / 1000;
    std::remove(out.c_str());
  }

  std::printf("fathom serve, %d workers, full isolation, %s; load average %s before, %s after\n",
              workers, zygote ? "warm zygotes (default)" : "fresh interpreters (--no-zygote)",
              load_before.c_str(), LoadAverage().c_str());
  std::printf("%-44s %10s\n", "measure", "value");
  const char* direct_name = zygote ? "direct ZygoteRunner::Run" : "direct Sandbox::Run";
  std::printf("%-44s %10.1f\n", absl::StrCat(direct_name, " p50 ms (same program)").c_str(),
              Percentile(direct, 0.50));
  std::printf("%-44s %10.1f\n", absl::StrCat(direct_name, " p99 ms (same program)").c_str(),
              Percentile(direct, 0.99));
  std::printf("%-44s %10.2f\n", absl::StrCat(direct_name, " CPU ms/run").c_str(), direct_cpu_ms);
  std::printf("%-44s %10.1f\n", "Execute p50 ms (1 client, trivial Python)", Percentile(lat, 0.50));
  std::printf("%-44s %10.1f\n", "Execute p99 ms (1 client, trivial Python)", Percentile(lat, 0.99));
  std::printf("%-44s %10.1f\n", "  the run's own wall_ms p50 (in the runner)",
              Percentile(run_wall, 0.50));
  std::printf("%-44s %10.2f\n", "ListRuntimes p50 ms (gRPC round trip, no run)",
              Percentile(rtt, 0.50));
  std::printf("%-44s %10.1f\n", absl::StrCat("Execute req/s sustained (", clients, " clients, ",
                                             seconds, " s)").c_str(),
              static_cast<double>(done.load()) / rate_s);
  std::printf("%-44s %10lld\n", "  failed requests", static_cast<long long>(failed.load()));
  // A zygote restarted during the run takes the CPU it had accounted with it: the CPU
  // figures below are then too low, and a restart at all is worth knowing.
  std::printf("%-44s %10.0f\n", "  zygote restarts (since the server started)", restarts);
  std::printf("%-44s %10.2f\n", "  server CPU ms/request (gRPC + runner + run)",
              server_cpu_ms / answered);
  std::printf("%-44s %10.2f\n", "  client CPU ms/request (the bench's gRPC)",
              client_cpu_ms / answered);
  std::printf("%-44s %10.2f\n", "  cores busy (server + client CPU / wall)",
              (server_cpu_ms + client_cpu_ms) / (rate_s * 1000));
  if (!with_grade) {
    std::printf("\n");
    return 0;
  }
  std::printf("%-44s %10.1f\n", "Grade samples/s (fathom-mini, 160 samples)",
              grade_ok ? results / grade_s : 0.0);
  std::printf("%-44s %10.1f\n", "fathom grade samples/s (same samples)",
              cli_rc == 0 ? 160 / cli_s : 0.0);
  std::printf("%-44s %10.2f\n\n", "Grade / fathom grade", cli_s / grade_s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int requests = Flag(argc, argv, "requests", 200);
  const int clients = Flag(argc, argv, "clients", 16);
  const int seconds = Flag(argc, argv, "seconds", 20);
  const int workers = Flag(argc, argv, "workers", static_cast<int>(std::thread::hardware_concurrency()));
  const std::string runner = FlagText(argc, argv, "runner", "both");
  if (runner != "zygote" && runner != "fresh" && runner != "both") {
    std::cerr << "serve_bench: --runner zygote|fresh|both\n";
    return 2;
  }
  const bool with_grade = Flag(argc, argv, "grade", 1) != 0;
  int rc = 0;
  if (runner != "fresh") rc |= Bench(true, requests, clients, seconds, workers, with_grade);
  if (runner != "zygote") rc |= Bench(false, requests, clients, seconds, workers, with_grade);
  return rc;
}
