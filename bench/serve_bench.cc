// `fathom serve` latency and throughput (a benchmark, not a test: it asserts nothing).
// Starts the real server on loopback with full isolation and prints one table:
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
  if (!server.ok()) {
    std::cerr << server.status() << "\n";
    return 1;
  }
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  auto stub = v1::Grader::NewStub(channel);
  for (int i = 0; i < 10; ++i) ExecuteOnce(*stub, "pass");  // warm-up

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
    s->set_completion(j["completion"].get<std::string>());
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
