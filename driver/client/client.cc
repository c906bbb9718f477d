// The client's run loop: one thread drives libcurl's multi handle, admits items from the
// source as room frees, paces requests through the token buckets, classifies each answer
// (ok, context length, retry, reject, fatal), commits answers to the cache once per loop
// turn and only then hands finished items to the sink.
#include "driver/client/client.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <unordered_map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "driver/client/rate_limiter.h"

namespace fathom::driver::client {

namespace {

using Clock = std::chrono::steady_clock;

int64_t MsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

// A response body larger than this is not an answer; the transfer is aborted.
constexpr size_t kMaxResponseBytes = 64 << 20;

void GlobalCurlInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

std::string NormalizeEndpoint(std::string_view endpoint) {
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.remove_suffix(1);
  return std::string(endpoint);
}

std::string FormatProgress(const Progress& p) {
  std::string line = p.items_total > 0
                         ? absl::StrFormat("%d/%d items", p.items_done, p.items_total)
                         : absl::StrFormat("%d items", p.items_done);
  absl::StrAppendFormat(&line, " | %.1f req/s | %.0f tok/s | %d errors | %d cached",
                        p.requests_per_s, p.tokens_per_s, p.errors, p.cache_hits);
  if (p.context_length > 0) absl::StrAppendFormat(&line, " | %d too long", p.context_length);
  if (p.eta_s >= 0) {
    int64_t s = static_cast<int64_t>(std::llround(p.eta_s));
    if (s >= 3600) {
      absl::StrAppendFormat(&line, " | ETA %dh%02dm", s / 3600, s / 60 % 60);
    } else {
      absl::StrAppendFormat(&line, " | ETA %dm%02ds", s / 60, s % 60);
    }
  }
  return line;
}

class Client::Impl {
 public:
  Impl(ClientOptions options, Cache* cache) : options_(std::move(options)), cache_(cache) {}
  ~Impl();
  absl::Status Init();
  absl::Status Run(const Source& source, const Sink& sink);
  absl::Status Estimate(const Request& request, DryRunEstimate* estimate);
  Progress Snapshot() const;

  ClientOptions options_;
  std::deque<Client::Job> submitted_;  // Submit()ted from the sink, admitted first
  Cache* cache_;
  std::atomic<bool> cancelled_{false};
  std::atomic<int64_t> items_total_{0};
  CURLM* multi_ = nullptr;

 private:
  struct Item {
    uint64_t tag = 0;
    Request request;
    CacheKey key;
    ItemResult result;
    int outstanding = 0;  // samples not yet final
  };
  struct Transfer {
    Item* item = nullptr;
    std::vector<int> samples;  // the sample indices this request answers, in choice order
    int n_wire = 1;
    std::string body;
    int attempts = 0;
    std::vector<int64_t> delays;
    int64_t token_cost = 0;
    CURL* easy = nullptr;
    std::string response;
    int64_t retry_after_ms_header = -1;  // retry-after-ms
  };
  using TransferPtr = std::unique_ptr<Transfer>;

  void Admit(Client::Job job);
  void QueueSamples(Item* item, const std::vector<int>& samples, int attempts,
                    const std::vector<int64_t>& delays);
  absl::Status StartReady(Clock::time_point now, int64_t* wait_ms);
  absl::Status Finish(Transfer* t, CURLcode code);
  void Retry(TransferPtr t, std::string error, int http_status, int64_t retry_after_ms);
  void Settle(Item* item, int sample, Sample value);
  void SplitToSeparate(TransferPtr t);
  absl::Status Flush(const Sink& sink);
  void Abort();
  CURL* TakeHandle();
  std::string Redact(std::string text) const;
  int64_t Backoff(int failures);
  void MaybeReportProgress(bool force);

  static size_t OnWrite(char* data, size_t size, size_t count, void* user);
  static size_t OnHeader(char* data, size_t size, size_t count, void* user);

  std::string endpoint_;
  std::string api_key_;
  bool key_missing_ = false;  // a named variable that is unset
  curl_slist* headers_ = nullptr;
  std::vector<CURL*> free_handles_;
  std::mt19937_64 rng_;
  TokenBucket rpm_bucket_, tpm_bucket_;
  bool n_unsupported_ = false;
  bool ever_connected_ = false;
  Clock::time_point pause_until_{};
  bool start_blocked_ = false;  // the last StartReady stopped for a bucket or a pause

  // Run state.
  uint64_t next_item_id_ = 0;
  std::unordered_map<Item*, std::unique_ptr<Item>> items_;
  std::deque<TransferPtr> ready_;
  std::multimap<Clock::time_point, TransferPtr> delayed_;
  std::unordered_map<Transfer*, TransferPtr> in_flight_;
  std::vector<std::pair<Item*, int>> to_store_;  // samples answered this turn
  std::vector<Item*> finished_;
  absl::Status fatal_;

  // Counters (cumulative over Run calls); rates are over the current Run, from these
  // snapshots taken when it started.
  // Atomic: progress() reads them from any thread.
  std::atomic<int64_t> started_ns_{Clock::now().time_since_epoch().count()};
  std::atomic<int64_t> run_requests0_{0}, run_tokens0_{0}, run_network_items0_{0};
  Clock::time_point last_progress_{};
  std::atomic<int64_t> items_done_{0}, samples_done_{0}, cache_hits_{0}, requests_{0},
      retries_{0}, errors_{0}, context_length_{0}, prompt_tokens_{0}, completion_tokens_{0},
      network_items_done_{0}, rate_wait_ms_{0};
};

Client::Impl::~Impl() {
  Abort();
  for (CURL* h : free_handles_) curl_easy_cleanup(h);
  if (multi_ != nullptr) curl_multi_cleanup(multi_);
  curl_slist_free_all(headers_);
  // Overwrite the key before the memory goes back to the allocator.
  std::fill(api_key_.begin(), api_key_.end(), '\0');
}

absl::Status Client::Impl::Init() {
  GlobalCurlInit();
  endpoint_ = NormalizeEndpoint(options_.endpoint);
  if (endpoint_.empty()) return absl::InvalidArgumentError("no endpoint");
  if (options_.model.empty()) return absl::InvalidArgumentError("no model");
  if (options_.concurrency < 1) return absl::InvalidArgumentError("concurrency must be >= 1");
  if (options_.max_retries < 0) return absl::InvalidArgumentError("max_retries must be >= 0");
  if (options_.timeout_ms <= 0) return absl::InvalidArgumentError("timeout must be > 0");
  std::string env = options_.api_key_env.empty() ? "OPENAI_API_KEY" : options_.api_key_env;
  if (const char* key = std::getenv(env.c_str()); key != nullptr && *key != '\0') {
    api_key_ = key;
  } else if (!options_.api_key_env.empty()) {
    key_missing_ = true;
  }
  headers_ = curl_slist_append(headers_, "Content-Type: application/json");
  headers_ = curl_slist_append(headers_, "Expect:");  // no 100-continue round trip
  if (!api_key_.empty()) {
    std::string auth = "Authorization: Bearer " + api_key_;
    headers_ = curl_slist_append(headers_, auth.c_str());
    std::fill(auth.begin(), auth.end(), '\0');
  }
  multi_ = curl_multi_init();
  if (multi_ == nullptr) return absl::InternalError("curl_multi_init failed");
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(options_.concurrency + 4));
  curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  rng_.seed(options_.jitter_seed != 0 ? options_.jitter_seed : std::random_device{}());
  // Bursts of one second's allowance at most: providers enforce per-minute limits in
  // shorter windows (OpenAI: 60 rpm may mean one a second), so a minute's burst draws 429s.
  if (options_.rpm > 0) {
    rpm_bucket_ = TokenBucket(std::max(options_.rpm / 60.0, 1.0), options_.rpm / 60000.0);
  }
  if (options_.tpm > 0) {
    tpm_bucket_ = TokenBucket(std::max(options_.tpm / 60.0, 1.0), options_.tpm / 60000.0);
  }
  return absl::OkStatus();
}

std::string Client::Impl::Redact(std::string text) const {
  if (api_key_.size() >= 4) absl::StrReplaceAll({{api_key_, "[redacted]"}}, &text);
  return text;
}

int64_t Client::Impl::Backoff(int failures) {
  double cap = static_cast<double>(options_.backoff_base_ms) *
               std::pow(2.0, std::min(failures - 1, 40));
  cap = std::min(cap, static_cast<double>(options_.backoff_max_ms));
  std::uniform_real_distribution<double> jitter(0.0, std::max(cap, 0.0));
  return static_cast<int64_t>(jitter(rng_));
}

CURL* Client::Impl::TakeHandle() {
  if (!free_handles_.empty()) {
    CURL* h = free_handles_.back();
    free_handles_.pop_back();
    return h;
  }
  CURL* h = curl_easy_init();
  if (h == nullptr) return nullptr;
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Impl::OnWrite);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &Impl::OnHeader);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // never re-send the key elsewhere
  return h;
}

size_t Client::Impl::OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  if (t->response.size() + bytes > kMaxResponseBytes) return 0;
  t->response.append(data, bytes);
  return bytes;
}

size_t Client::Impl::OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  absl::string_view line(data, bytes);
  constexpr absl::string_view kName = "retry-after-ms:";
  if (line.size() > kName.size() && absl::EqualsIgnoreCase(line.substr(0, kName.size()), kName)) {
    double ms = 0;
    if (absl::SimpleAtod(absl::StripAsciiWhitespace(line.substr(kName.size())), &ms) && ms >= 0) {
      t->retry_after_ms_header = static_cast<int64_t>(std::ceil(ms));
    }
  }
  return bytes;
}

void Client::Impl::QueueSamples(Item* item, const std::vector<int>& samples, int attempts,
                                const std::vector<int64_t>& delays) {
  const Request& r = item->request;
  const int64_t prompt_tokens = EstimatePromptTokens(r);
  auto make = [&](std::vector<int> indices, int n_wire, int64_t seed_offset) {
    auto t = std::make_unique<Transfer>();
    t->item = item;
    t->samples = std::move(indices);
    t->n_wire = n_wire;
    // The key body is the wire body when neither n nor the seed differs: one dump fewer.
    t->body = n_wire == 1 && (seed_offset == 0 || !r.seed)
                  ? item->key.body
                  : RequestBody(r, options_.model, n_wire, seed_offset);
    t->attempts = attempts;
    t->delays = delays;
    t->token_cost = prompt_tokens + static_cast<int64_t>(std::max(r.max_tokens, 0)) * n_wire;
    ready_.push_back(std::move(t));
  };
  // One request with n answers samples s0..s0+k-1 when they are contiguous: it goes out
  // with seed + s0, so that its choice j stands for sample s0 + j, whose separate request
  // would carry seed + s0 + j. Gaps (a partial cache) go out one by one.
  bool contiguous = true;
  for (size_t i = 1; i < samples.size(); ++i) contiguous &= samples[i] == samples[0] + int(i);
  if (samples.size() > 1 && options_.n_via_api && !n_unsupported_ && contiguous) {
    make(samples, static_cast<int>(samples.size()), samples[0]);
  } else {
    for (int s : samples) make({s}, 1, s);
  }
}

void Client::Impl::Admit(Client::Job job) {
  auto owned = std::make_unique<Item>();
  Item* item = owned.get();
  item->tag = job.tag;
  item->request = std::move(job.request);
  const int n = std::max(item->request.n, 1);
  item->key = CacheKey{endpoint_, options_.model, item->request.api,
                       KeyBody(item->request, options_.model)};
  item->result.samples.resize(n);
  item->outstanding = n;
  items_.emplace(item, std::move(owned));
  std::vector<bool> have(n, false);
  if (cache_ != nullptr && options_.cache_mode == CacheMode::kReadWrite) {
    absl::StatusOr<std::vector<CachedSample>> hits = cache_->Lookup(item->key, n);
    if (!hits.ok()) {
      fatal_ = hits.status();
      return;
    }
    for (CachedSample& c : *hits) {
      have[c.sample] = true;
      cache_hits_.fetch_add(1, std::memory_order_relaxed);
      Settle(item, c.sample, std::move(c.value));
    }
  }
  std::vector<int> missing;
  for (int i = 0; i < n; ++i) {
    if (!have[i]) missing.push_back(i);
  }
  if (!missing.empty()) QueueSamples(item, missing, 0, {});
}

void Client::Impl::Settle(Item* item, int sample, Sample value) {
  if (!value.cache_hit) {
    if (value.outcome == Outcome::kOk || value.outcome == Outcome::kContextLength) {
      to_store_.emplace_back(item, sample);
    }
    if (value.outcome == Outcome::kFailed || value.outcome == Outcome::kRejected) {
      errors_.fetch_add(1, std::memory_order_relaxed);
    }
    if (value.outcome == Outcome::kContextLength) {
      context_length_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  item->result.samples[sample] = std::move(value);
  samples_done_.fetch_add(1, std::memory_order_relaxed);
  if (--item->outstanding == 0) finished_.push_back(item);
}

absl::Status Client::Impl::StartReady(Clock::time_point now, int64_t* wait_ms) {
  // Retries whose time has come go first: they are the oldest work.
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    ready_.push_front(std::move(delayed_.begin()->second));
    delayed_.erase(delayed_.begin());
  }
  if (!delayed_.empty()) *wait_ms = std::min(*wait_ms, MsBetween(now, delayed_.begin()->first) + 1);
  start_blocked_ = false;
  if (now < pause_until_) {
    start_blocked_ = true;
    *wait_ms = std::min(*wait_ms, MsBetween(now, pause_until_) + 1);
    return absl::OkStatus();
  }
  while (!ready_.empty() && in_flight_.size() < static_cast<size_t>(options_.concurrency)) {
    Transfer* t = ready_.front().get();
    if (options_.rpm > 0 || options_.tpm > 0) {
      const Clock::time_point rate_now = options_.rate_clock ? options_.rate_clock() : now;
      int64_t wait = 0;
      if (options_.rpm > 0) wait = std::max(wait, rpm_bucket_.WaitMs(1, rate_now));
      if (options_.tpm > 0) wait = std::max(wait, tpm_bucket_.WaitMs(t->token_cost, rate_now));
      rate_wait_ms_.store(wait, std::memory_order_relaxed);
      if (wait > 0) {
        start_blocked_ = true;
        *wait_ms = std::min(*wait_ms, wait);
        return absl::OkStatus();
      }
      if (options_.rpm > 0) rpm_bucket_.Take(1, rate_now);
      if (options_.tpm > 0) tpm_bucket_.Take(t->token_cost, rate_now);
    }
    CURL* h = TakeHandle();
    if (h == nullptr) return absl::InternalError("curl_easy_init failed");
    t->easy = h;
    t->response.clear();
    t->retry_after_ms_header = -1;
    ++t->attempts;
    std::string url = absl::StrCat(
        endpoint_, t->item->request.api == Api::kChat ? "/chat/completions" : "/completions");
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->body.size()));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, t->body.data());
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(h, CURLOPT_PRIVATE, t);
    if (curl_multi_add_handle(multi_, h) != CURLM_OK) {
      return absl::InternalError("curl_multi_add_handle failed");
    }
    requests_.fetch_add(1, std::memory_order_relaxed);
    in_flight_.emplace(t, std::move(ready_.front()));
    ready_.pop_front();
  }
  return absl::OkStatus();
}

void Client::Impl::Retry(TransferPtr t, std::string error, int http_status,
                         int64_t retry_after_ms) {
  if (t->attempts > options_.max_retries) {
    for (int s : t->samples) {
      Sample sample;
      sample.outcome = Outcome::kFailed;
      sample.error = absl::StrCat(error, " (after ", t->attempts, " attempts)");
      sample.http_status = http_status;
      sample.attempts = t->attempts;
      sample.retry_delays_ms = t->delays;
      Settle(t->item, s, std::move(sample));
    }
    return;
  }
  retries_.fetch_add(1, std::memory_order_relaxed);
  int64_t delay = Backoff(t->attempts);
  if (retry_after_ms >= 0) {
    retry_after_ms = std::min(retry_after_ms, options_.max_retry_after_ms);
    delay = std::max(delay, retry_after_ms);
    if (http_status == 429) {
      pause_until_ = std::max(pause_until_, Clock::now() + std::chrono::milliseconds(retry_after_ms));
    }
  }
  t->delays.push_back(delay);
  delayed_.emplace(Clock::now() + std::chrono::milliseconds(delay), std::move(t));
}

void Client::Impl::SplitToSeparate(TransferPtr t) {
  n_unsupported_ = true;
  // Not a retry: the same question, asked the way this server accepts.
  QueueSamples(t->item, t->samples, t->attempts - 1, t->delays);
}

absl::Status Client::Impl::Finish(Transfer* raw, CURLcode code) {
  TransferPtr t = std::move(in_flight_.at(raw));
  in_flight_.erase(raw);
  curl_multi_remove_handle(multi_, t->easy);
  long status = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  curl_off_t retry_after_s = -1;
  if (curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &retry_after_s) != CURLE_OK) {
    retry_after_s = -1;
  }
  free_handles_.push_back(t->easy);
  t->easy = nullptr;
  int64_t retry_after_ms = t->retry_after_ms_header;
  if (retry_after_ms < 0 && retry_after_s > 0) retry_after_ms = retry_after_s * 1000;

  if (code != CURLE_OK) {
    std::string what = curl_easy_strerror(code);
    switch (code) {
      case CURLE_COULDNT_CONNECT:
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
        if (!ever_connected_) {
          return absl::UnavailableError(
              Redact(absl::StrCat("cannot connect to ", endpoint_, ": ", what)));
        }
        break;
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_CONNECT_ERROR:
        return absl::UnavailableError(
            Redact(absl::StrCat("TLS with ", endpoint_, " failed: ", what)));
      case CURLE_OPERATION_TIMEDOUT:
        ever_connected_ = true;
        what = absl::StrCat("timed out after ", options_.timeout_ms, " ms");
        break;
      default:
        ever_connected_ = true;
        break;
    }
    Retry(std::move(t), Redact(what), 0, -1);
    return absl::OkStatus();
  }
  ever_connected_ = true;
  if (status == 200) {
    absl::StatusOr<ParsedResponse> parsed = ParseResponse(t->item->request.api, t->response);
    if (!parsed.ok()) {
      Retry(std::move(t), absl::StrCat("malformed response: ", parsed.status().message()), 200, -1);
      return absl::OkStatus();
    }
    size_t got = std::min(parsed->choices.size(), t->samples.size());
    int64_t total_bytes = 0;
    for (size_t j = 0; j < got; ++j) total_bytes += parsed->choices[j].text.size();
    int64_t given = 0;
    for (size_t j = 0; j < got; ++j) {
      Sample s;
      s.outcome = Outcome::kOk;
      s.text = std::move(parsed->choices[j].text);
      s.finish_reason = std::move(parsed->choices[j].finish_reason);
      s.prompt_tokens = parsed->prompt_tokens;
      if (got == 1) {
        s.completion_tokens = parsed->completion_tokens;
      } else if (j + 1 == got) {
        s.completion_tokens = parsed->completion_tokens - given;
      } else {
        s.completion_tokens = total_bytes > 0
                                  ? parsed->completion_tokens *
                                        static_cast<int64_t>(s.text.size()) / total_bytes
                                  : parsed->completion_tokens / static_cast<int64_t>(got);
      }
      given += s.completion_tokens;
      s.http_status = 200;
      s.attempts = t->attempts;
      s.retry_delays_ms = t->delays;
      Settle(t->item, t->samples[j], std::move(s));
    }
    prompt_tokens_.fetch_add(parsed->prompt_tokens, std::memory_order_relaxed);
    completion_tokens_.fetch_add(parsed->completion_tokens, std::memory_order_relaxed);
    if (got < t->samples.size()) {
      // The server ignored n: ask for the rest one by one.
      t->samples.erase(t->samples.begin(), t->samples.begin() + static_cast<long>(got));
      SplitToSeparate(std::move(t));
    }
    return absl::OkStatus();
  }
  std::string message = Redact(ErrorMessage(t->response));
  if (IsContextLengthError(status, t->response)) {
    for (int s : t->samples) {
      Sample sample;
      sample.outcome = Outcome::kContextLength;
      sample.error = message;
      sample.http_status = static_cast<int>(status);
      sample.attempts = t->attempts;
      sample.retry_delays_ms = t->delays;
      Settle(t->item, s, std::move(sample));
    }
    return absl::OkStatus();
  }
  if (status == 429 || status == 408 || status >= 500) {
    Retry(std::move(t), absl::StrCat("HTTP ", status, ": ", message), static_cast<int>(status),
          retry_after_ms);
    return absl::OkStatus();
  }
  if (status == 401 || status == 403 || status == 404) {
    return absl::FailedPreconditionError(absl::StrCat(
        endpoint_, " answered HTTP ", status, " for model ", options_.model, ": ", message));
  }
  if (status == 400 && t->n_wire > 1) {
    SplitToSeparate(std::move(t));
    return absl::OkStatus();
  }
  for (int s : t->samples) {
    Sample sample;
    sample.outcome = Outcome::kRejected;
    sample.error = absl::StrCat("HTTP ", status, ": ", message);
    sample.http_status = static_cast<int>(status);
    sample.attempts = t->attempts;
    sample.retry_delays_ms = t->delays;
    Settle(t->item, s, std::move(sample));
  }
  return absl::OkStatus();
}

absl::Status Client::Impl::Flush(const Sink& sink) {
  if (!to_store_.empty() && cache_ != nullptr && options_.cache_mode != CacheMode::kOff) {
    std::vector<Cache::Entry> entries;
    entries.reserve(to_store_.size());
    for (auto& [item, sample] : to_store_) {
      entries.push_back({&item->key, sample, &item->result.samples[sample]});
    }
    if (absl::Status s = cache_->Put(entries); !s.ok()) return s;
  }
  to_store_.clear();
  for (Item* item : finished_) {
    auto it = items_.find(item);
    std::unique_ptr<Item> owned = std::move(it->second);
    items_.erase(it);
    items_done_.fetch_add(1, std::memory_order_relaxed);
    bool any_network = std::any_of(owned->result.samples.begin(), owned->result.samples.end(),
                                   [](const Sample& s) { return !s.cache_hit; });
    if (any_network) network_items_done_.fetch_add(1, std::memory_order_relaxed);
    sink(owned->tag, std::move(owned->result));
  }
  finished_.clear();
  return absl::OkStatus();
}

void Client::Impl::Abort() {
  for (auto& [raw, t] : in_flight_) {
    curl_multi_remove_handle(multi_, t->easy);
    free_handles_.push_back(t->easy);
  }
  in_flight_.clear();
  ready_.clear();
  delayed_.clear();
  submitted_.clear();
  items_.clear();
  to_store_.clear();
  finished_.clear();
}

void Client::Impl::MaybeReportProgress(bool force) {
  if (!options_.on_progress) return;
  Clock::time_point now = Clock::now();
  if (!force && MsBetween(last_progress_, now) < options_.progress_interval_ms) return;
  last_progress_ = now;
  options_.on_progress(Snapshot());
}

absl::Status Client::Impl::Run(const Source& source, const Sink& sink) {
  fatal_ = absl::OkStatus();
  started_ns_ = Clock::now().time_since_epoch().count();
  run_requests0_ = requests_.load();
  run_tokens0_ = completion_tokens_.load();
  run_network_items0_ = network_items_done_.load();
  last_progress_ = Clock::now();
  const size_t max_open = static_cast<size_t>(options_.concurrency) * 2 + 16;
  bool source_done = false;
  auto fail = [&](absl::Status status) {
    // What was answered is committed; what is finished is handed over.
    absl::Status flushed = Flush(sink);
    Abort();
    return flushed.ok() ? status : flushed;
  };
  while (true) {
    if (cancelled_.load()) return fail(absl::CancelledError("cancelled"));
    while (!submitted_.empty()) {
      Admit(std::move(submitted_.front()));
      submitted_.pop_front();
      if (!fatal_.ok()) return fail(fatal_);
    }
    while (!source_done && items_.size() < max_open &&
           ready_.size() < static_cast<size_t>(options_.concurrency)) {
      std::optional<Client::Job> job = source();
      if (!job) {
        source_done = true;
        break;
      }
      Admit(std::move(*job));
      if (!fatal_.ok()) return fail(fatal_);
    }
    if (!ready_.empty() && key_missing_) {
      return fail(absl::FailedPreconditionError(absl::StrCat(
          "the environment variable ", options_.api_key_env, " (the API key) is not set")));
    }
    Clock::time_point now = Clock::now();
    int64_t wait_ms = 100;
    if (absl::Status s = StartReady(now, &wait_ms); !s.ok()) return fail(s);
    if (absl::Status s = Flush(sink); !s.ok()) return fail(s);
    if (source_done && items_.empty() && submitted_.empty()) break;

    int running = 0;
    curl_multi_perform(multi_, &running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
      absl::Status s = Finish(t, msg->data.result);
      if (!s.ok()) return fail(s);
    }
    if (absl::Status s = Flush(sink); !s.ok()) return fail(s);
    MaybeReportProgress(false);
    if (source_done && items_.empty() && submitted_.empty()) break;
    // Sleep until a socket is ready, a retry is due, the buckets refill, or Cancel(),
    // unless there is work to start or admit right away.
    bool can_start = !ready_.empty() && !start_blocked_ &&
                     in_flight_.size() < static_cast<size_t>(options_.concurrency);
    bool can_admit = !submitted_.empty() ||
                     (!source_done && items_.size() < max_open &&
                      ready_.size() < static_cast<size_t>(options_.concurrency));
    if (!can_start && !can_admit) {
      curl_multi_poll(multi_, nullptr, 0, static_cast<int>(std::clamp<int64_t>(wait_ms, 1, 100)),
                      nullptr);
    }
  }
  MaybeReportProgress(true);
  return absl::OkStatus();
}

absl::Status Client::Impl::Estimate(const Request& request, DryRunEstimate* estimate) {
  const int n = std::max(request.n, 1);
  int missing = n;
  if (cache_ != nullptr && options_.cache_mode == CacheMode::kReadWrite) {
    CacheKey key{endpoint_, options_.model, request.api, KeyBody(request, options_.model)};
    absl::StatusOr<std::vector<CachedSample>> hits = cache_->Lookup(key, n);
    if (!hits.ok()) return hits.status();
    missing -= static_cast<int>(hits->size());
  }
  int64_t requests = missing == 0 ? 0 : (options_.n_via_api && missing > 1 ? 1 : missing);
  estimate->items += 1;
  estimate->samples += n;
  estimate->cached_samples += n - missing;
  estimate->requests += requests;
  estimate->prompt_tokens += requests * EstimatePromptTokens(request);
  return absl::OkStatus();
}

Progress Client::Impl::Snapshot() const {
  Progress p;
  p.items_total = items_total_.load();
  p.items_done = items_done_.load();
  p.samples_done = samples_done_.load();
  p.cache_hits = cache_hits_.load();
  p.requests = requests_.load();
  p.retries = retries_.load();
  p.errors = errors_.load();
  p.context_length = context_length_.load();
  p.prompt_tokens = prompt_tokens_.load();
  p.completion_tokens = completion_tokens_.load();
  p.rate_wait_ms = rate_wait_ms_.load();
  p.elapsed_s = std::chrono::duration<double>(
                    Clock::now() - Clock::time_point(Clock::duration(started_ns_.load())))
                    .count();
  if (p.elapsed_s > 0) {
    p.requests_per_s = static_cast<double>(p.requests - run_requests0_) / p.elapsed_s;
    p.tokens_per_s = static_cast<double>(p.completion_tokens - run_tokens0_) / p.elapsed_s;
  }
  int64_t network_done = network_items_done_.load() - run_network_items0_;
  if (p.items_total > 0 && network_done > 0 && p.elapsed_s > 0) {
    double rate = static_cast<double>(network_done) / p.elapsed_s;
    p.eta_s = static_cast<double>(std::max<int64_t>(p.items_total - p.items_done, 0)) / rate;
  }
  return p;
}

// --- Client ---

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientOptions options, Cache* cache) {
  auto impl = std::make_unique<Impl>(std::move(options), cache);
  if (absl::Status s = impl->Init(); !s.ok()) return s;
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

absl::Status Client::Run(const Source& source, const Sink& sink) {
  return impl_->Run(source, sink);
}

absl::StatusOr<std::vector<ItemResult>> Client::Complete(std::vector<Request> requests) {
  std::vector<ItemResult> results(requests.size());
  size_t next = 0;
  absl::Status s = Run(
      [&]() -> std::optional<Job> {
        if (next == requests.size()) return std::nullopt;
        Job job{std::move(requests[next]), next};
        ++next;
        return job;
      },
      [&](uint64_t tag, ItemResult result) { results[tag] = std::move(result); });
  if (!s.ok()) return s;
  return results;
}

absl::Status Client::Estimate(const Request& request, DryRunEstimate* estimate) {
  return impl_->Estimate(request, estimate);
}

void Client::Submit(Job job) { impl_->submitted_.push_back(std::move(job)); }

void Client::Cancel() {
  impl_->cancelled_.store(true);
  curl_multi_wakeup(impl_->multi_);
}

void Client::SetTotal(int64_t items) { impl_->items_total_.store(items); }

Progress Client::progress() const { return impl_->Snapshot(); }

const ClientOptions& Client::options() const { return impl_->options_; }

}  // namespace fathom::driver::client
