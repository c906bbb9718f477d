// A fake OpenAI-compatible server for the model client's tests and bench: HTTP/1.1 with
// keep-alive on a loopback port, /v1/completions and /v1/chat/completions, deterministic
// answers (a function of the prompt and seed), n, stop sequences, max_tokens, usage, a
// latency option, and faults injected per prompt by markers in the prompt text:
//
//   [[fault:KIND:COUNT]] or [[fault:KIND:COUNT:ARG]]
//     the first COUNT requests for this prompt ("*" = every one) get the fault; several
//     markers apply one after another (COUNT of the first, then COUNT of the second, ...).
//   KIND: 429     429, with "Retry-After: ARG" (seconds) when ARG is given
//         429ms   429 with "retry-after-ms: ARG"
//         500 503 that status (503 with Retry-After: ARG when given)
//         slow    the answer after ARG ms (to pass the client's timeout)
//         drop    headers announcing a longer body than is sent, then the connection closed
//         badjson a 200 whose body is not JSON
//         400     a 400 that is not a context-length error
//         echo    a 500 whose message quotes the request's Authorization header (a server
//                 that leaks; the client must not pass the key on)
//
// Prompts longer than Options::context_limit_bytes get a 400 context-length error, in
// OpenAI's or vLLM's shape. The server counts requests per prompt (the completions prompt,
// or the chat messages' contents joined by "\n") and records every arrival.
//
// Plain sockets and epoll on one thread; written for tests, not for the open internet.
//
// Thread safety: every public method may be called from any thread.
#ifndef FATHOM_TESTS_FAKE_OPENAI_FAKE_OPENAI_H_
#define FATHOM_TESTS_FAKE_OPENAI_FAKE_OPENAI_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace fathom::fake_openai {

struct Options {
  int port = 0;                   // 0: any free port (FakeOpenAiServer::port() says which)
  int latency_ms = 0;             // every answer is held this long
  size_t context_limit_bytes = 0; // 0: no limit
  enum class ContextStyle { kOpenAi, kVllm };
  ContextStyle context_style = ContextStyle::kOpenAi;
  enum class NMode {
    kAccept,  // n choices
    kReject,  // 400 for n > 1
    kIgnore,  // one choice whatever n says (as some local servers do)
  };
  NMode n_mode = NMode::kAccept;
};

// What the server generates for a prompt, before stop sequences and max_tokens:
// "answer-<16 hex digits of a hash of prompt and seed> ### and some trailing words".
std::string GeneratedText(std::string_view prompt, int64_t seed);
// What it answers: GeneratedText cut at the first stop sequence (finish_reason "stop") or
// after max_tokens words (a token is a whitespace-separated word; finish_reason "length").
struct Answer {
  std::string text;
  std::string finish_reason;
  int64_t completion_tokens = 0;
};
Answer AnswerFor(std::string_view prompt, int64_t seed, const std::vector<std::string>& stop,
                 int max_tokens);
// Choice j of a request with seed s (0 when absent) is AnswerFor(prompt, s + j, ...).

struct Arrival {
  std::string prompt;
  int n = 1;
  std::optional<int64_t> seed;
  int64_t ms = 0;        // since the server started
  int status = 0;        // what it was answered (0: dropped)
};

class FakeOpenAiServer {
 public:
  static absl::StatusOr<std::unique_ptr<FakeOpenAiServer>> Start(Options options);
  ~FakeOpenAiServer();  // stops and joins

  int port() const { return port_; }
  std::string endpoint() const;  // "http://127.0.0.1:PORT/v1"

  int RequestCount(std::string_view prompt) const;
  int64_t TotalRequests() const;
  std::vector<Arrival> Arrivals() const;
  std::map<std::string, int> Counts() const;
  // Connections accepted so far (keep-alive reuses them).
  int64_t Connections() const { return connections_.load(); }
  // The most requests held at once (waiting out latency_ms or a "slow" fault).
  int64_t MaxHeld() const { return max_held_.load(); }
  // The Authorization header of the last request ("" when none).
  std::string LastAuthorization() const;

  class Loop;

 private:
  FakeOpenAiServer() = default;
  friend class Loop;

  Options options_;
  int port_ = 0;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::chrono::steady_clock::time_point started_;
  mutable std::mutex mu_;
  std::map<std::string, int, std::less<>> counts_;  // GUARDED_BY(mu_)
  std::vector<Arrival> arrivals_;                  // GUARDED_BY(mu_)
  std::string last_authorization_;                 // GUARDED_BY(mu_)
  std::atomic<int64_t> total_{0};
  std::atomic<int64_t> connections_{0};
  std::atomic<int64_t> max_held_{0};
};

}  // namespace fathom::fake_openai

#endif  // FATHOM_TESTS_FAKE_OPENAI_FAKE_OPENAI_H_
