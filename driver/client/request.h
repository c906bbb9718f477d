// The client's vocabulary: what is asked of an OpenAI-compatible endpoint (Request), what
// came back per sample (Sample), and the request bodies and response parsing both APIs share.
//
// Thread safety: plain values; the free functions are pure.
#ifndef FATHOM_DRIVER_CLIENT_REQUEST_H_
#define FATHOM_DRIVER_CLIENT_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "driver/benchmark.h"
#include "nlohmann/json.hpp"

namespace fathom::driver::client {

// kChat: POST {endpoint}/chat/completions with `messages`; kCompletions: POST
// {endpoint}/completions with `prompt`.
std::string_view ApiName(Api api);  // "chat" | "completions"
std::optional<Api> ParseApi(std::string_view name);

// One item: one prompt, `n` samples of it. The model and endpoint belong to the Client.
struct Request {
  Api api = Api::kChat;
  std::string prompt;         // kCompletions
  nlohmann::json messages;    // kChat: [{"role", "content"}...], sent verbatim
  int max_tokens = 0;         // 0 = not sent (the server's default)
  double temperature = 0.0;
  double top_p = 1.0;
  std::vector<std::string> stop;  // not sent when empty
  int n = 1;                      // samples wanted, indices 0..n-1
  // Sent when set. When the n samples go out as separate requests, sample i is sent with
  // seed + i: with one seed every separate request of a sampled (T > 0) item would return
  // the same text, which is not n samples.
  std::optional<int64_t> seed;
};

// How one sample ended.
enum class Outcome {
  kOk,             // an answer: text, finish_reason, usage
  kContextLength,  // 400/413/422 saying the prompt does not fit the model's window: the
                   // caller may retry the item with one shot fewer
  kRejected,       // another 4xx the server will answer the same way again (no retry)
  kFailed,         // retryable failures (429, 5xx, timeout, dropped connection, malformed
                   // body) until max_retries ran out; `error` names the last one
};
std::string_view OutcomeName(Outcome outcome);  // "ok" | "context_length" | ...

struct Sample {
  Outcome outcome = Outcome::kFailed;
  std::string text;
  std::string finish_reason;  // "stop" | "length" | ... as the server said
  // The request's prompt tokens, and this choice's completion tokens. When one response
  // carried several choices (the API's n), the response's completion_tokens are shared out
  // in proportion to each choice's text length (the API reports no per-choice count).
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  std::string error;          // kContextLength/kRejected/kFailed: what the server or the
                              // transport said (the API key is never in it)
  int http_status = 0;        // the last HTTP status (0: none, e.g. a timeout)
  bool cache_hit = false;
  int attempts = 0;           // HTTP requests this sample took in this run (0: cache hit)
  std::vector<int64_t> retry_delays_ms;  // the waits before each retry, in order
};

// The results for one Request: samples[i] is sample i.
struct ItemResult {
  std::vector<Sample> samples;
  // Every sample is kOk.
  bool ok() const;
};

// The JSON body sent for `request` with the given n and seed offset (no "n" when n == 1).
// Keys are sorted, so equal requests have equal bodies byte for byte.
std::string RequestBody(const Request& request, std::string_view model, int n,
                        int64_t seed_offset);
// The cache's key body: the request without "n" and with its own seed. Sample i of a
// request is the same question whether it was asked with n = 100 or on its own, so a run
// with --samples 10 reuses the first 10 samples of a run with 100.
std::string KeyBody(const Request& request, std::string_view model);

// A parsed 200 response: its choices in index order.
struct ParsedChoice {
  std::string text;
  std::string finish_reason;
};
struct ParsedResponse {
  std::vector<ParsedChoice> choices;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};
// InvalidArgument when the body is not a response of that API (malformed JSON, no choices).
absl::StatusOr<ParsedResponse> ParseResponse(Api api, std::string_view body);

// The error message of an error body ({"error": {"message"}} as OpenAI, {"message"} as
// vLLM, {"error": "..."} as others), else the body's first 200 bytes.
std::string ErrorMessage(std::string_view body);
// A 400/413/422 that says the prompt is longer than the model's window, in the shapes
// OpenAI (code context_length_exceeded), vLLM ("maximum context length"), llama.cpp
// ("exceeds the available context size") and TGI ("must be <= N ... tokens") answer.
bool IsContextLengthError(long http_status, std::string_view body);

// A prompt-token estimate without a tokenizer, meant to err high: one token per 3 ASCII
// bytes (English runs near 4 bytes a token, code near 3) plus one token per non-ASCII code
// point (CJK is about one per character on GPT-4's tokenizer). A server that counts more
// still answers with a context-length error, which the caller handles.
int64_t EstimateTokens(std::string_view text);
int64_t EstimatePromptTokens(const Request& request);

}  // namespace fathom::driver::client

#endif  // FATHOM_DRIVER_CLIENT_REQUEST_H_
