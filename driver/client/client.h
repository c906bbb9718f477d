// The OpenAI-compatible client: sends Requests to one endpoint and model through libcurl's
// multi interface, N in flight, within rpm/tpm token buckets, retrying 429/5xx/timeouts
// with full-jitter exponential backoff that honours Retry-After, and storing every answer
// in the Cache as it arrives, so that a rerun (after kill -9 too) sends nothing already
// answered.
//
//   ClientOptions options{.endpoint = "http://127.0.0.1:8000/v1", .model = "qwen"};
//   auto cache = Cache::Open("runs/qwen/cache.sqlite");
//   auto client = Client::Create(options, cache->get());
//   absl::StatusOr<std::vector<ItemResult>> results = (*client)->Complete(requests);
//
// Errors: a failure of one item is its samples' Outcome, and the run goes on. Run() and
// Complete() return an error only for what every item would hit: the endpoint refusing the
// connection (or not resolving) before it ever answered, TLS verification failing, 401,
// 403 or 404 (wrong key, model or URL), a cache write failing, or Cancel(). Messages name
// the endpoint; the API key never appears in any message, log line or cache row.
//
// Thread safety: Run/Complete/Estimate are called from one thread at a time; progress(),
// SetTotal() and Cancel() from any thread.
#ifndef FATHOM_DRIVER_CLIENT_CLIENT_H_
#define FATHOM_DRIVER_CLIENT_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "driver/client/cache.h"
#include "driver/client/request.h"

namespace fathom::driver::client {

enum class CacheMode {
  kReadWrite,  // answered samples are read from the cache and new answers written
  kRefresh,    // --refresh: ask again, overwrite what is stored
  kOff,        // --no-cache: neither read nor write
};

// Counters for a progress line; a snapshot. Counts add up over the client's Run calls;
// elapsed, the rates and the ETA are the current (or last) Run's.
struct Progress {
  int64_t items_total = 0;   // SetTotal(), or 0 when unknown
  int64_t items_done = 0;
  int64_t samples_done = 0;
  int64_t cache_hits = 0;    // samples answered from the cache
  int64_t requests = 0;      // HTTP requests sent
  int64_t retries = 0;
  int64_t errors = 0;        // samples kFailed or kRejected
  int64_t context_length = 0;  // samples kContextLength
  int64_t prompt_tokens = 0;   // as the server reported them (not for cache hits)
  int64_t completion_tokens = 0;
  // What the rpm/tpm buckets last decided: the milliseconds (on ClientOptions::rate_clock)
  // they hold the next request back, or 0 once they let one go.
  int64_t rate_wait_ms = 0;
  double elapsed_s = 0;
  double requests_per_s = 0;
  double tokens_per_s = 0;     // completion tokens
  double eta_s = -1;           // -1: unknown
};
// "412/10000 items | 38.2 req/s | 1520 tok/s | 0 errors | 120 cached | ETA 4m10s"
std::string FormatProgress(const Progress& progress);

struct ClientOptions {
  // The API's base URL, up to and including /v1: "https://api.openai.com/v1".
  std::string endpoint;
  std::string model;
  // The environment variable holding the API key. Empty: OPENAI_API_KEY when set, else no
  // Authorization header (local servers). Named: it must be set (Run fails otherwise).
  std::string api_key_env;
  // Requests in flight at once.
  int concurrency = 8;
  // Requests and tokens per minute; 0 = unlimited. Token buckets that hold one second's
  // allowance (so bursts stay within what per-second enforcement accepts) and refill
  // continuously. Token cost of a request: its estimated prompt tokens
  // (EstimatePromptTokens) plus max_tokens x n, as OpenAI counts it; a request costing more
  // than the bucket holds waits for a full bucket and leaves it in debt.
  double rpm = 0;
  double tpm = 0;
  // The clock the rpm/tpm buckets read; null: std::chrono::steady_clock. Tests inject a
  // manual one to assert exactly what the buckets let through.
  std::function<std::chrono::steady_clock::time_point()> rate_clock;
  // Retries after the first attempt, for 429, 5xx, 408, timeouts, dropped connections and
  // malformed bodies. Then the sample is kFailed and the run goes on.
  int max_retries = 6;
  // Per request (connect to last byte), and for the connection alone.
  int64_t timeout_ms = 300'000;
  int64_t connect_timeout_ms = 10'000;
  // Backoff before retry k (k = 1, 2, ...): uniform in [0, min(max, base x 2^(k-1))] (full
  // jitter), and never less than the server's Retry-After / retry-after-ms (capped at
  // max_retry_after_ms). A Retry-After on a 429 also holds back every new request until it
  // has passed: the limit is the key's, not the item's.
  int64_t backoff_base_ms = 1000;
  int64_t backoff_max_ms = 60'000;
  int64_t max_retry_after_ms = 600'000;
  // Ask for n samples with the API's n. A server that refuses n > 1 (a 400) or returns
  // fewer choices is then sent separate requests for the rest, for the rest of the run.
  bool n_via_api = true;
  CacheMode cache_mode = CacheMode::kReadWrite;
  // Seeds the backoff jitter; 0 = from std::random_device.
  uint64_t jitter_seed = 0;
  // Called on Run's thread at most every progress_interval_ms.
  std::function<void(const Progress&)> on_progress;
  int64_t progress_interval_ms = 1000;
};

// What a run would send (--dry-run): cache hits are not counted as requests.
struct DryRunEstimate {
  int64_t items = 0;
  int64_t samples = 0;
  int64_t cached_samples = 0;
  int64_t requests = 0;
  int64_t prompt_tokens = 0;  // EstimatePromptTokens x requests
};

class Client {
 public:
  // Does not connect: a refused connection shows on the first request. `cache` may be
  // null (as kOff); it must outlive the client.
  static absl::StatusOr<std::unique_ptr<Client>> Create(ClientOptions options, Cache* cache);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  struct Job {
    Request request;
    uint64_t tag = 0;  // the caller's, handed back with the result
  };
  // Returns the next job, or nullopt when there are no more. Called on Run's thread only
  // when there is room (about 2 x concurrency items open), so memory stays flat however
  // many items the source yields.
  using Source = std::function<std::optional<Job>()>;
  // Receives each finished item, in completion order, on Run's thread. Every sample it
  // holds is already in the cache.
  using Sink = std::function<void(uint64_t tag, ItemResult result)>;

  // Runs until the source is exhausted and every item is finished, or a fatal error.
  absl::Status Run(const Source& source, const Sink& sink);
  // Adds a job from inside the sink (Run's thread only), e.g. the same item again with one
  // shot fewer after a context-length answer. Run does not return before it is finished,
  // even when the source is exhausted.
  void Submit(Job job);
  // The batch form: results in request order.
  absl::StatusOr<std::vector<ItemResult>> Complete(std::vector<Request> requests);

  // Adds what `request` would cost to `estimate`, reading the cache (no network).
  absl::Status Estimate(const Request& request, DryRunEstimate* estimate);

  // Any thread. Run() stops soon after, returning Cancelled; answers already received are
  // in the cache.
  void Cancel();
  void SetTotal(int64_t items);
  Progress progress() const;

  const ClientOptions& options() const;

  class Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The endpoint as cache keys and messages use it: no trailing '/'.
std::string NormalizeEndpoint(std::string_view endpoint);

}  // namespace fathom::driver::client

#endif  // FATHOM_DRIVER_CLIENT_CLIENT_H_
