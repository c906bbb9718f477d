// `fathom serve` latency and throughput (a benchmark, not a test: it asserts nothing).
// Starts the real server on loopback with full isolation and prints one table:
//   direct p50/p99    the same program through Sandbox::Run in this process (the
//                     baseline: what is left is the server's own cost)
//   Execute p50/p99   one client, sequential trivial Python programs (low load)
//   Execute req/s     --clients concurrent clients for --seconds (sustained)
//   Grade samples/s   the bundled fathom-mini samples through Grade, vs `fathom grade`
//                     on the same samples with the same workers
//
//   build/bench/serve_bench [--requests 200] [--clients 16] [--seconds 20] [--workers N]
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "fathom/v1/grader.grpc.pb.h"
#include "grader/policy.h"
#include "sandbox/sandbox.h"
#include "nlohmann/json.hpp"
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

int Fail(const absl::Status& s) {
  std::cerr << "serve_bench: " << s << "\n";
  return 1;
}

bool ExecuteOnce(v1::Grader::Stub& stub, const std::string& code) {
  v1::ExecuteRequest req;
  req.set_code(code);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::ExecuteResponse resp;
  return stub.Execute(&ctx, req, &resp).ok() && resp.result().status() == "ok";
}

}  // namespace

int main(int argc, char** argv) {
  const int requests = Flag(argc, argv, "requests", 200);
  const int clients = Flag(argc, argv, "clients", 16);
  const int seconds = Flag(argc, argv, "seconds", 20);
  const int workers = Flag(argc, argv, "workers", static_cast<int>(std::thread::hardware_concurrency()));
  const std::string source = FATHOM_SOURCE_DIR;
  const std::string mini = source + "/problems/fathom-mini.jsonl";
  const std::string samples = source + "/problems/fathom-mini.samples.jsonl";

  absl::StatusOr<std::unique_ptr<ServerProcess>> server = ServerProcess::Start(
      FATHOM_BINARY, {"--workers", absl::StrCat(workers), "--problems", "mini=" + mini});
  if (!server.ok()) return Fail(server.status());
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  auto stub = v1::Grader::NewStub(channel);
  for (int i = 0; i < 10; ++i) ExecuteOnce(*stub, "pass");  // warm-up

  // 0. The baseline: the sandbox alone, same policy, same program.
  std::vector<double> direct;
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
    for (int i = 0; i < requests; ++i) {
      auto t0 = Clock::now();
      absl::StatusOr<fathom::sandbox::RunResult> r = (*sb)->Run(spec);
      if (!r.ok() || r->status != fathom::sandbox::RunStatus::kOk) return 1;
      direct.push_back(Ms(Clock::now() - t0));
    }
  }

  // 1. Latency at low load: one client, one request at a time.
  std::vector<double> lat;
  for (int i = 0; i < requests; ++i) {
    auto t0 = Clock::now();
    if (!ExecuteOnce(*stub, "pass")) {
      std::cerr << "an Execute failed\n";
      return 1;
    }
    lat.push_back(Ms(Clock::now() - t0));
  }

  // 2. Sustained rate: `clients` clients, each on its own connection, for `seconds`.
  std::atomic<int64_t> done{0}, failed{0};
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  const auto t_rate = Clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      grpc::ChannelArguments args;
      args.SetInt("fathom.bench.client", c);
      auto s = v1::Grader::NewStub(grpc::CreateCustomChannel(
          (*server)->address(), grpc::InsecureChannelCredentials(), args));
      while (Clock::now() < end) (ExecuteOnce(*s, "pass") ? done : failed)++;
    });
  }
  for (auto& t : threads) t.join();
  const double rate_s = Ms(Clock::now() - t_rate) / 1000;

  // 3. Grade throughput vs `fathom grade` on the same samples and workers.
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
  int results = 0;
  while (reader->Read(&resp)) results += resp.has_result();
  const bool grade_ok = reader->Finish().ok();
  const double grade_s = Ms(Clock::now() - t_grade) / 1000;
  (*server)->Stop(SIGTERM, std::chrono::seconds(30));

  const std::string out = "/tmp/fathom-serve-bench-results.jsonl";
  const std::string cmd = absl::StrCat(FATHOM_BINARY, " grade --no-progress --no-resume --workers ",
                                       workers, " --problems ", mini, " --samples ", samples,
                                       " --out ", out, " > /dev/null");
  auto t_cli = Clock::now();
  const int cli_rc = std::system(cmd.c_str());
  const double cli_s = Ms(Clock::now() - t_cli) / 1000;
  std::remove(out.c_str());

  std::printf("fathom serve, %d workers, full isolation (fresh-exec sandbox)\n", workers);
  std::printf("%-44s %10s\n", "measure", "value");
  std::printf("%-44s %10.1f\n", "direct Sandbox::Run p50 ms (same program)", Percentile(direct, 0.50));
  std::printf("%-44s %10.1f\n", "direct Sandbox::Run p99 ms (same program)", Percentile(direct, 0.99));
  std::printf("%-44s %10.1f\n", "Execute p50 ms (1 client, trivial Python)", Percentile(lat, 0.50));
  std::printf("%-44s %10.1f\n", "Execute p99 ms (1 client, trivial Python)", Percentile(lat, 0.99));
  std::printf("%-44s %10.1f\n", absl::StrCat("Execute req/s sustained (", clients, " clients, ",
                                             seconds, " s)").c_str(),
              static_cast<double>(done.load()) / rate_s);
  std::printf("%-44s %10lld\n", "  failed requests", static_cast<long long>(failed.load()));
  std::printf("%-44s %10.1f\n", "Grade samples/s (fathom-mini, 160 samples)",
              grade_ok ? results / grade_s : 0.0);
  std::printf("%-44s %10.1f\n", "fathom grade samples/s (same samples)",
              cli_rc == 0 ? 160 / cli_s : 0.0);
  std::printf("%-44s %10.2f\n", "Grade / fathom grade", cli_s / grade_s);
  return 0;
}
