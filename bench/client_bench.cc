// client_bench: the model client (driver/client) against the fake OpenAI-compatible server
// (tests/fake_openai, run as its own process so that the client's CPU is measured alone).
// Not a test; see bench/README.md for the figures.
//
//   client_bench [--items N] [--concurrency C] [--latency-ms L] [--no-cache] [--api chat|completions]
//
// Prints one line: items, wall seconds, requests/s, the client's CPU per request (user +
// system of this process, which is only the client), its peak RSS after 10% of the items
// and at the end (flat memory: the two are close), and the server's CPU.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "driver/client/cache.h"
#include "driver/client/client.h"

namespace fc = fathom::driver::client;

namespace {

double CpuSeconds(const rusage& u) {
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double LoadAverage() {
  double load[1] = {0};
  getloadavg(load, 1);
  return load[0];
}

}  // namespace

int main(int argc, char** argv) {
  int items = 10000, concurrency = 64, latency_ms = 200;
  bool use_cache = true;
  fathom::driver::Api api = fathom::driver::Api::kChat;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : "0"; };
    if (a == "--items") items = std::atoi(next());
    else if (a == "--concurrency") concurrency = std::atoi(next());
    else if (a == "--latency-ms") latency_ms = std::atoi(next());
    else if (a == "--no-cache") use_cache = false;
    else if (a == "--api") api = *fc::ParseApi(next());
    else {
      std::fprintf(stderr, "usage: %s [--items N] [--concurrency C] [--latency-ms L] [--no-cache]\n",
                   argv[0]);
      return 2;
    }
  }

  // The server, as a child process; it prints its port.
  int pipefd[2];
  if (pipe(pipefd) != 0) return 1;
  pid_t server = fork();
  if (server == 0) {
    dup2(pipefd[1], 1);
    close(pipefd[0]);
    std::string latency = std::to_string(latency_ms);
    execl(FAKE_OPENAI_BINARY, FAKE_OPENAI_BINARY, "--latency-ms", latency.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipefd[1]);
  char buf[64] = {0};
  ssize_t got = read(pipefd[0], buf, sizeof(buf) - 1);
  int port = 0;
  if (got <= 0 || std::sscanf(buf, "port %d", &port) != 1) {
    std::fprintf(stderr, "client_bench: the fake server did not start\n");
    return 1;
  }

  char tmpl[] = "/tmp/fathom_client_bench_XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::unique_ptr<fc::Cache> cache;
  if (use_cache) cache = std::move(*fc::Cache::Open(dir + "/cache.sqlite"));

  fc::ClientOptions options;
  options.endpoint = absl::StrCat("http://127.0.0.1:", port, "/v1");
  options.model = "bench";
  options.concurrency = concurrency;
  options.cache_mode = use_cache ? fc::CacheMode::kReadWrite : fc::CacheMode::kOff;
  auto client = std::move(*fc::Client::Create(options, cache.get()));
  client->SetTotal(items);

  const double load_before = LoadAverage();
  rusage before{}, after{}, at_tenth{};
  getrusage(RUSAGE_SELF, &before);
  auto t0 = std::chrono::steady_clock::now();
  int next = 0, done = 0, failed = 0;
  absl::Status status = client->Run(
      [&]() -> std::optional<fc::Client::Job> {
        if (next == items) return std::nullopt;
        fc::Request r;
        r.api = api;
        // A GPT-Fathom-sized prompt: about 1.5 KB, as a 5-shot multiple-choice item.
        std::string text = absl::StrCat("Question ", next, ": ", std::string(1500, 'q'),
                                        "\nAnswer:");
        if (api == fathom::driver::Api::kChat) {
          r.messages = nlohmann::json::array(
              {{{"role", "system"}, {"content", "You are a helpful assistant."}},
               {{"role", "user"}, {"content", std::move(text)}}});
        } else {
          r.prompt = std::move(text);
        }
        r.max_tokens = 32;
        return fc::Client::Job{std::move(r), static_cast<uint64_t>(next++)};
      },
      [&](uint64_t, fc::ItemResult result) {
        failed += !result.ok();
        if (++done == items / 10) getrusage(RUSAGE_SELF, &at_tenth);
      });
  auto t1 = std::chrono::steady_clock::now();
  getrusage(RUSAGE_SELF, &after);
  const double load_after = LoadAverage();

  kill(server, SIGTERM);
  int wstatus = 0;
  rusage server_usage{};
  wait4(server, &wstatus, 0, &server_usage);
  std::filesystem::remove_all(dir);
  if (!status.ok()) {
    std::fprintf(stderr, "client_bench: %s\n", std::string(status.message()).c_str());
    return 1;
  }

  const double wall = std::chrono::duration<double>(t1 - t0).count();
  const fc::Progress p = client->progress();
  const double cpu = CpuSeconds(after) - CpuSeconds(before);
  std::printf(
      "items %d (failed %d) | concurrency %d | latency %d ms | cache %s | wall %.2f s | "
      "%.0f req/s | client CPU %.3f ms/request (%.2f s) | client peak RSS %ld KB at 10%%, "
      "%ld KB at 100%% | server CPU %.2f s | load average %.1f -> %.1f on %ld cores\n",
      items, failed, concurrency, latency_ms, use_cache ? "on" : "off", wall,
      static_cast<double>(p.requests) / wall, 1000.0 * cpu / static_cast<double>(p.requests),
      cpu, at_tenth.ru_maxrss, after.ru_maxrss, CpuSeconds(server_usage), load_before,
      load_after, sysconf(_SC_NPROCESSORS_ONLN));
  return failed == 0 ? 0 : 1;
}
