// fake_openai: the fake OpenAI-compatible server as a process (for the bench and by hand).
// Prints "port N" on stdout once listening; runs until SIGTERM or SIGINT.
//
//   fake_openai [--port N] [--latency-ms N] [--context-limit BYTES]
//               [--context-style openai|vllm] [--n accept|reject|ignore]
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/fake_openai/fake_openai.h"

int main(int argc, char** argv) {
  using fathom::fake_openai::Options;
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (value == nullptr) {
      std::fprintf(stderr, "fake_openai: %s needs a value\n", arg.c_str());
      return 2;
    }
    ++i;
    if (arg == "--port") {
      options.port = std::atoi(value);
    } else if (arg == "--latency-ms") {
      options.latency_ms = std::atoi(value);
    } else if (arg == "--context-limit") {
      options.context_limit_bytes = static_cast<size_t>(std::atoll(value));
    } else if (arg == "--context-style") {
      options.context_style = std::strcmp(value, "vllm") == 0 ? Options::ContextStyle::kVllm
                                                               : Options::ContextStyle::kOpenAi;
    } else if (arg == "--n") {
      options.n_mode = std::strcmp(value, "reject") == 0   ? Options::NMode::kReject
                       : std::strcmp(value, "ignore") == 0 ? Options::NMode::kIgnore
                                                           : Options::NMode::kAccept;
    } else {
      std::fprintf(stderr, "fake_openai: unknown option %s\n", arg.c_str());
      return 2;
    }
  }
  // Block the stop signals before the server's thread starts, so that only sigwait sees them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  auto server = fathom::fake_openai::FakeOpenAiServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "fake_openai: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  std::printf("port %d\n", (*server)->port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  std::fprintf(stderr, "fake_openai: %lld requests\n",
               static_cast<long long>((*server)->TotalRequests()));
  return 0;
}
