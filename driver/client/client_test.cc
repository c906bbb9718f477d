// The client against the fake server on a loopback port: answers, n, cache hits, retries
// and Retry-After, timeouts, dropped connections, malformed bodies, context-length errors,
// refused connections, the API key kept out of every file, and kill -9 / resume.
// Assertions are on exact outcomes and request counts, never on elapsed time.
#include "driver/client/client.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fake_openai/fake_openai.h"

namespace fathom::driver::client {
namespace {

using fake_openai::AnswerFor;
using fake_openai::FakeOpenAiServer;
using ::testing::HasSubstr;
using ::testing::Not;

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fathom_client_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void StartServer(fake_openai::Options options = {}) {
    auto server = FakeOpenAiServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  Cache* OpenCache() {
    if (!cache_) {
      auto cache = Cache::Open(dir_ + "/cache.sqlite");
      EXPECT_TRUE(cache.ok()) << cache.status();
      cache_ = std::move(*cache);
    }
    return cache_.get();
  }
  ClientOptions Options() {
    ClientOptions o;
    o.endpoint = server_->endpoint();
    o.model = "fake";
    o.concurrency = 4;
    o.backoff_base_ms = 5;
    o.backoff_max_ms = 20;
    o.max_retries = 3;
    o.timeout_ms = 10'000;
    o.jitter_seed = 1;
    return o;
  }
  std::unique_ptr<Client> MakeClient(ClientOptions o, bool cache = true) {
    auto client = Client::Create(std::move(o), cache ? OpenCache() : nullptr);
    EXPECT_TRUE(client.ok()) << client.status();
    return std::move(*client);
  }
  std::vector<ItemResult> CompleteOk(Client& client, std::vector<Request> requests) {
    auto results = client.Complete(std::move(requests));
    EXPECT_TRUE(results.ok()) << results.status();
    return results.ok() ? std::move(*results) : std::vector<ItemResult>{};
  }

  std::string dir_;
  std::unique_ptr<FakeOpenAiServer> server_;
  std::unique_ptr<Cache> cache_;
};

Request Completion(std::string prompt, int n = 1) {
  Request r;
  r.api = Api::kCompletions;
  r.prompt = std::move(prompt);
  r.n = n;
  return r;
}

Request Chat(std::string content) {
  Request r;
  r.api = Api::kChat;
  r.messages = nlohmann::json::array({{{"role", "user"}, {"content", content}}});
  return r;
}

TEST_F(ClientTest, BothApisAnswerWithStopMaxTokensUsageAndN) {
  StartServer();
  auto client = MakeClient(Options());
  Request chat = Chat("chat question");
  chat.stop = {"###"};
  Request completion = Completion("completion question", 3);
  completion.seed = 40;
  completion.temperature = 0.8;
  completion.max_tokens = 2;
  auto results = CompleteOk(*client, {chat, completion});
  ASSERT_EQ(results.size(), 2u);
  ASSERT_EQ(results[0].samples.size(), 1u);
  const Sample& c = results[0].samples[0];
  EXPECT_EQ(c.outcome, Outcome::kOk);
  EXPECT_EQ(c.text, AnswerFor("chat question", 0, {"###"}, 0).text);
  EXPECT_THAT(c.text, Not(HasSubstr("###")));
  EXPECT_EQ(c.finish_reason, "stop");
  EXPECT_EQ(c.prompt_tokens, 4);  // the fake's ceil(13 bytes / 4)
  EXPECT_EQ(c.completion_tokens, 1);
  EXPECT_EQ(c.attempts, 1);
  EXPECT_FALSE(c.cache_hit);
  ASSERT_EQ(results[1].samples.size(), 3u);
  int64_t completion_tokens = 0;
  for (int i = 0; i < 3; ++i) {
    const Sample& s = results[1].samples[i];
    EXPECT_EQ(s.outcome, Outcome::kOk);
    EXPECT_EQ(s.text, AnswerFor("completion question", 40 + i, {}, 2).text) << i;
    EXPECT_EQ(s.finish_reason, "length");
    completion_tokens += s.completion_tokens;
  }
  EXPECT_EQ(completion_tokens, 6);
  // One request each: n went through the API.
  EXPECT_EQ(server_->RequestCount("chat question"), 1);
  EXPECT_EQ(server_->RequestCount("completion question"), 1);
  EXPECT_EQ(server_->TotalRequests(), 2);
}

TEST_F(ClientTest, NSentSeparatelyWhenTheServerRejectsOrIgnoresIt) {
  for (auto mode : {fake_openai::Options::NMode::kReject, fake_openai::Options::NMode::kIgnore}) {
    fake_openai::Options so;
    so.n_mode = mode;
    StartServer(so);
    auto client = MakeClient(Options(), /*cache=*/false);
    Request a = Completion("first", 3), b = Completion("second", 3);
    a.seed = b.seed = 5;
    auto results = CompleteOk(*client, {a});
    auto more = CompleteOk(*client, {b});
    ASSERT_EQ(results.size(), 1u);
    ASSERT_EQ(more.size(), 1u);
    for (int i = 0; i < 3; ++i) {
      // The same answers as n through the API: sample i carries seed + i.
      EXPECT_EQ(results[0].samples[i].text, AnswerFor("first", 5 + i, {}, 0).text);
      EXPECT_EQ(more[0].samples[i].text, AnswerFor("second", 5 + i, {}, 0).text);
    }
    // The first item: one request with n = 3, then the rest one by one (reject: all
    // three; ignore: the two it did not answer). The second: separate from the start.
    EXPECT_EQ(server_->RequestCount("first"),
              mode == fake_openai::Options::NMode::kReject ? 4 : 3);
    EXPECT_EQ(server_->RequestCount("second"), 3);
    server_.reset();
  }
}

TEST_F(ClientTest, CacheHitsSendNothingRefreshResendsNoCacheWritesNothing) {
  StartServer();
  std::vector<Request> requests;
  for (int i = 0; i < 20; ++i) requests.push_back(Completion(absl::StrCat("item ", i), 2));
  auto first = CompleteOk(*MakeClient(Options()), requests);
  EXPECT_EQ(server_->TotalRequests(), 20);
  EXPECT_EQ(*OpenCache()->CountSamples(), 40);

  auto client = MakeClient(Options());
  auto second = CompleteOk(*client, requests);
  EXPECT_EQ(server_->TotalRequests(), 20);  // nothing sent
  ASSERT_EQ(second.size(), 20u);
  for (size_t i = 0; i < 20; ++i) {
    for (int s = 0; s < 2; ++s) {
      EXPECT_TRUE(second[i].samples[s].cache_hit);
      EXPECT_EQ(second[i].samples[s].attempts, 0);
      EXPECT_EQ(second[i].samples[s].text, first[i].samples[s].text);
    }
  }
  EXPECT_EQ(client->progress().cache_hits, 40);
  EXPECT_EQ(client->progress().requests, 0);

  // Fewer samples reuse the stored ones; more ask only for the missing.
  requests[0].n = 1;
  requests[1].n = 4;
  CompleteOk(*MakeClient(Options()), {requests[0], requests[1]});
  EXPECT_EQ(server_->RequestCount("item 0"), 1);
  EXPECT_EQ(server_->RequestCount("item 1"), 2);  // samples 2 and 3, one request with n = 2
  EXPECT_EQ(server_->Arrivals().back().n, 2);

  ClientOptions refresh = Options();
  refresh.cache_mode = CacheMode::kRefresh;
  CompleteOk(*MakeClient(refresh), {requests[5]});
  EXPECT_EQ(server_->RequestCount("item 5"), 2);

  ClientOptions off = Options();
  off.cache_mode = CacheMode::kOff;
  CompleteOk(*MakeClient(off), {Completion("not stored")});
  EXPECT_EQ(server_->RequestCount("not stored"), 1);
  EXPECT_EQ(*OpenCache()->CountSamples(), 40 + 2);  // item 1's samples 2 and 3 only
}

TEST_F(ClientTest, RetryAfterHonoured) {
  StartServer();
  auto client = MakeClient(Options());
  const std::string prompt = "limited [[fault:429:2:1]]";
  const std::string ms_prompt = "limited ms [[fault:429ms:1:300]]";
  auto results = CompleteOk(*client, {Completion(prompt), Completion(ms_prompt)});
  ASSERT_EQ(results.size(), 2u);
  const Sample& s = results[0].samples[0];
  EXPECT_EQ(s.outcome, Outcome::kOk);
  EXPECT_EQ(s.attempts, 3);
  EXPECT_EQ(server_->RequestCount(prompt), 3);
  // The client waited at least the server's Retry-After (1 s) before each retry, although
  // its own backoff would have been at most 20 ms.
  ASSERT_EQ(s.retry_delays_ms.size(), 2u);
  EXPECT_GE(s.retry_delays_ms[0], 1000);
  EXPECT_GE(s.retry_delays_ms[1], 1000);
  ASSERT_EQ(results[1].samples[0].retry_delays_ms.size(), 1u);
  EXPECT_GE(results[1].samples[0].retry_delays_ms[0], 300);
  // And the server saw the retries no sooner than that.
  std::vector<int64_t> at;
  for (const auto& a : server_->Arrivals()) {
    if (a.prompt == prompt) at.push_back(a.ms);
  }
  ASSERT_EQ(at.size(), 3u);
  EXPECT_GE(at[1] - at[0], 1000);
  EXPECT_GE(at[2] - at[1], 1000);
}

TEST_F(ClientTest, TransientFaultsAreRetriedWithExactCounts) {
  StartServer();
  ClientOptions o = Options();
  o.timeout_ms = 500;
  auto client = MakeClient(o);
  const std::vector<std::string> prompts = {
      "a [[fault:500:1]][[fault:503:1]]",  // two server errors, then the answer
      "b [[fault:drop:1]]",                // a connection closed mid-body
      "c [[fault:badjson:2]]",             // two malformed bodies
      "d [[fault:slow:1:3000]]",           // past the 500 ms timeout once
      "e",
  };
  std::vector<Request> requests;
  for (const auto& p : prompts) requests.push_back(Completion(p));
  auto results = CompleteOk(*client, requests);
  const int expected[] = {3, 2, 3, 2, 1};
  for (size_t i = 0; i < prompts.size(); ++i) {
    const Sample& s = results[i].samples[0];
    EXPECT_EQ(s.outcome, Outcome::kOk) << prompts[i] << ": " << s.error;
    EXPECT_EQ(s.text, AnswerFor(prompts[i], 0, {}, 0).text);
    EXPECT_EQ(s.attempts, expected[i]) << prompts[i];
    EXPECT_EQ(server_->RequestCount(prompts[i]), expected[i]) << prompts[i];
  }
  EXPECT_EQ(client->progress().retries, 2 + 1 + 2 + 1);
}

TEST_F(ClientTest, ErrorsAfterMaxRetriesAreRecordedAndTheRunGoesOn) {
  StartServer();
  ClientOptions o = Options();
  o.max_retries = 2;
  auto client = MakeClient(o);
  const std::string broken = "always failing [[fault:503:*]]";
  const std::string rejected = "bad request [[fault:400:*]]";
  std::vector<Request> requests = {Completion("fine 1"), Completion(broken),
                                   Completion(rejected), Completion("fine 2")};
  auto results = CompleteOk(*client, requests);
  EXPECT_EQ(results[0].samples[0].outcome, Outcome::kOk);
  EXPECT_EQ(results[3].samples[0].outcome, Outcome::kOk);
  const Sample& failed = results[1].samples[0];
  EXPECT_EQ(failed.outcome, Outcome::kFailed);
  EXPECT_EQ(failed.attempts, 3);
  EXPECT_EQ(failed.http_status, 503);
  EXPECT_THAT(failed.error, HasSubstr("HTTP 503"));
  EXPECT_THAT(failed.error, HasSubstr("after 3 attempts"));
  EXPECT_EQ(server_->RequestCount(broken), 3);
  const Sample& bad = results[2].samples[0];
  EXPECT_EQ(bad.outcome, Outcome::kRejected);
  EXPECT_EQ(bad.http_status, 400);
  EXPECT_EQ(server_->RequestCount(rejected), 1);  // a 400 is not retried
  EXPECT_EQ(client->progress().errors, 2);
  // Failures are not cached: a rerun asks again, answers are not asked again.
  CompleteOk(*MakeClient(o), requests);
  EXPECT_EQ(server_->RequestCount(broken), 6);
  EXPECT_EQ(server_->RequestCount(rejected), 2);
  EXPECT_EQ(server_->RequestCount("fine 1"), 1);
}

TEST_F(ClientTest, ContextLengthIsItsOwnOutcomeInBothShapes) {
  for (auto style : {fake_openai::Options::ContextStyle::kOpenAi,
                     fake_openai::Options::ContextStyle::kVllm}) {
    fake_openai::Options so;
    so.context_limit_bytes = 40;
    so.context_style = style;
    StartServer(so);
    cache_.reset();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    const std::string long_prompt(100, 'x');
    const std::string short_prompt = "short enough";
    std::vector<Request> requests = {Chat(long_prompt), Chat(short_prompt)};
    auto results = CompleteOk(*MakeClient(Options()), requests);
    const Sample& s = results[0].samples[0];
    EXPECT_EQ(s.outcome, Outcome::kContextLength);
    EXPECT_EQ(s.http_status, 400);
    EXPECT_THAT(s.error, HasSubstr("maximum context length"));
    EXPECT_EQ(s.attempts, 1);
    EXPECT_EQ(results[1].samples[0].outcome, Outcome::kOk);
    EXPECT_EQ(server_->RequestCount(long_prompt), 1);
    // The server's verdict is an answer: a rerun does not ask again.
    auto again = CompleteOk(*MakeClient(Options()), requests);
    EXPECT_EQ(again[0].samples[0].outcome, Outcome::kContextLength);
    EXPECT_TRUE(again[0].samples[0].cache_hit);
    EXPECT_EQ(server_->RequestCount(long_prompt), 1);
    server_.reset();
  }
}

TEST_F(ClientTest, ConnectionRefusedFailsFastNamingTheEndpoint) {
  // A port nobody listens on: bind one, note it, close it.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  const std::string endpoint = absl::StrCat("http://127.0.0.1:", ntohs(addr.sin_port), "/v1");
  ClientOptions o;
  o.endpoint = endpoint + "/";
  o.model = "fake";
  o.max_retries = 5;
  o.backoff_base_ms = 60'000;  // were it retried, the test would time out
  auto client = Client::Create(o, nullptr);
  ASSERT_TRUE(client.ok());
  std::vector<Request> requests(50, Completion("anything"));
  auto results = (*client)->Complete(requests);
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(results.status().message()),
              HasSubstr(absl::StrCat("cannot connect to ", endpoint, ":")));
  EXPECT_EQ((*client)->progress().retries, 0);
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_F(ClientTest, ApiKeyIsSentButNeverWrittenOrReported) {
  const std::string key = absl::StrCat("sk-fathom-test-", getpid(), "-d41d8cd98f00b204");
  setenv("FATHOM_TEST_API_KEY", key.c_str(), 1);
  StartServer();
  ClientOptions o = Options();
  o.api_key_env = "FATHOM_TEST_API_KEY";
  o.max_retries = 1;
  std::vector<std::string> progress_lines;
  o.on_progress = [&](const Progress& p) { progress_lines.push_back(FormatProgress(p)); };
  auto client = MakeClient(o);
  const std::string leaky = "leaky server [[fault:echo:*]]";
  auto results = CompleteOk(*client, {Completion("plain"), Completion(leaky)});
  EXPECT_EQ(server_->LastAuthorization().substr(0, 7), "Bearer ");
  EXPECT_THAT(server_->LastAuthorization(), HasSubstr(key));
  const Sample& s = results[1].samples[0];
  EXPECT_EQ(s.outcome, Outcome::kFailed);
  EXPECT_THAT(s.error, HasSubstr("[redacted]"));
  EXPECT_THAT(s.error, Not(HasSubstr(key)));
  for (const auto& line : progress_lines) EXPECT_THAT(line, Not(HasSubstr(key)));
  // Every file written (the database, its WAL and shared memory) is free of the key.
  client.reset();
  cache_.reset();
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    EXPECT_THAT(ReadAll(entry.path()), Not(HasSubstr(key))) << entry.path();
    EXPECT_THAT(ReadAll(entry.path()), Not(HasSubstr("d41d8cd98f00b204"))) << entry.path();
  }
  EXPECT_GE(files, 1);
  unsetenv("FATHOM_TEST_API_KEY");
}

TEST_F(ClientTest, NamedKeyVariableMustBeSet) {
  StartServer();
  unsetenv("FATHOM_TEST_UNSET_KEY");
  ClientOptions o = Options();
  o.api_key_env = "FATHOM_TEST_UNSET_KEY";
  auto results = MakeClient(o)->Complete({Completion("x")});
  ASSERT_FALSE(results.ok());
  EXPECT_THAT(std::string(results.status().message()), HasSubstr("FATHOM_TEST_UNSET_KEY"));
  EXPECT_EQ(server_->TotalRequests(), 0);
}

TEST_F(ClientTest, DryRunCountsRequestsAndPromptTokensLessTheCache) {
  StartServer();
  std::vector<Request> requests = {Completion("abcdef", 1), Completion("ghijkl", 4)};
  CompleteOk(*MakeClient(Options()), {requests[0]});
  auto client = MakeClient(Options());
  DryRunEstimate e;
  for (const auto& r : requests) ASSERT_TRUE(client->Estimate(r, &e).ok());
  EXPECT_EQ(e.items, 2);
  EXPECT_EQ(e.samples, 5);
  EXPECT_EQ(e.cached_samples, 1);
  EXPECT_EQ(e.requests, 1);       // "ghijkl" with n = 4
  EXPECT_EQ(e.prompt_tokens, 2);  // 6 ASCII bytes / 3
  EXPECT_EQ(server_->TotalRequests(), 1);
}

TEST_F(ClientTest, StreamingSourceKeepsAtMostTwiceConcurrencyOpen) {
  StartServer();
  ClientOptions o = Options();
  o.concurrency = 3;
  auto client = MakeClient(o, /*cache=*/false);
  int pulled = 0, delivered = 0, max_open = 0;
  absl::Status s = client->Run(
      [&]() -> std::optional<Client::Job> {
        if (pulled == 200) return std::nullopt;
        max_open = std::max(max_open, pulled - delivered);
        Client::Job job{Completion(absl::StrCat("stream ", pulled)), static_cast<uint64_t>(pulled)};
        ++pulled;
        return job;
      },
      [&](uint64_t tag, ItemResult r) {
        EXPECT_EQ(r.samples[0].text, AnswerFor(absl::StrCat("stream ", tag), 0, {}, 0).text);
        ++delivered;
      });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(delivered, 200);
  EXPECT_LE(max_open, 2 * 3 + 16);
  EXPECT_EQ(server_->TotalRequests(), 200);
}

TEST_F(ClientTest, AtMostConcurrencyInFlightOverReusedConnections) {
  fake_openai::Options so;
  so.latency_ms = 30;
  StartServer(so);
  ClientOptions o = Options();
  o.concurrency = 5;
  std::vector<Request> requests;
  for (int i = 0; i < 60; ++i) requests.push_back(Chat(absl::StrCat("keep-alive ", i)));
  auto results = CompleteOk(*MakeClient(o, /*cache=*/false), requests);
  EXPECT_EQ(server_->TotalRequests(), 60);
  EXPECT_LE(server_->MaxHeld(), 5);
  EXPECT_GE(server_->MaxHeld(), 1);
  EXPECT_LE(server_->Connections(), 5);  // keep-alive: no connection per request
}

TEST_F(ClientTest, RequestsPerMinuteBucketSpacesRequests) {
  // The buckets read a manual clock, advanced only by the test: what they let through at
  // each instant is exact, whatever the machine's speed (no elapsed time is asserted).
  StartServer();
  std::atomic<int64_t> fake_ms{3'600'000};  // not the clock's epoch (an unset time point)
  ClientOptions o = Options();
  o.concurrency = 30;
  o.rpm = 600;  // ten a second, bursts of ten
  o.rate_clock = [&fake_ms] {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(fake_ms.load()));
  };
  auto client = MakeClient(o, /*cache=*/false);
  std::vector<Request> requests;
  for (int i = 0; i < 30; ++i) requests.push_back(Completion(absl::StrCat("paced ", i)));
  absl::StatusOr<std::vector<ItemResult>> results;
  std::thread run([&] { results = client->Complete(requests); });
  // Waits (bounded: 60 s) until `sent` requests reached the server and the buckets hold
  // the next one back for exactly `wait_ms` of the manual clock.
  auto settle = [&](int64_t sent, int64_t wait_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while ((server_->TotalRequests() < sent || client->progress().rate_wait_ms != wait_ms) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_EQ(client->progress().requests, sent);
    EXPECT_EQ(server_->TotalRequests(), sent);
    EXPECT_EQ(client->progress().rate_wait_ms, wait_ms);
  };
  settle(10, 100);  // the full bucket's burst; the 11th waits 100 ms (one token at 10/s)
  fake_ms += 90;
  settle(10, 10);   // 90 ms later: still held, for the last 10 ms
  fake_ms += 10;
  settle(11, 100);  // one token: one request
  fake_ms += 5'000;
  settle(21, 100);  // five seconds refill only the bucket's ten
  fake_ms += 1'000;
  run.join();
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(server_->TotalRequests(), 30);
  EXPECT_EQ(client->progress().rate_wait_ms, 0);  // the last nine went without waiting
}

// Runs client_resume_helper; returns its wait status.
pid_t SpawnHelper(const std::string& endpoint, const std::string& cache, int items,
                  const std::string& out) {
  pid_t pid = fork();
  if (pid == 0) {
    execl(CLIENT_RESUME_HELPER, CLIENT_RESUME_HELPER, endpoint.c_str(), cache.c_str(),
          std::to_string(items).c_str(), "8", out.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

TEST_F(ClientTest, KilledMidwayAndRerunAsksNothingAnsweredTwice) {
  fake_openai::Options so;
  so.latency_ms = 20;
  StartServer(so);
  constexpr int kItems = 300;
  const std::string cache = dir_ + "/cache.sqlite";
  pid_t pid = SpawnHelper(server_->endpoint(), cache, kItems, dir_ + "/killed.tsv");
  // Kill it once a third of the items were answered (bounded: 60 s).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (server_->TotalRequests() < kItems / 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  const int64_t sent_before = server_->TotalRequests();
  ASSERT_LT(sent_before, kItems) << "the helper finished before it was killed";

  // What the killed run committed.
  std::set<int> answered;
  {
    auto c = Cache::Open(cache);
    ASSERT_TRUE(c.ok());
    for (int i = 0; i < kItems; ++i) {
      Request r = Completion(absl::StrCat("resume item ", i), 2);
      r.temperature = 0.8;
      r.seed = 7;
      CacheKey key{server_->endpoint(), "fake", Api::kCompletions, KeyBody(r, "fake")};
      if ((*c)->Lookup(key, 2)->size() == 2) answered.insert(i);
    }
  }
  EXPECT_GT(answered.size(), 0u);

  pid = SpawnHelper(server_->endpoint(), cache, kItems, dir_ + "/resumed.tsv");
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  // The same results as an uninterrupted run: each item's two samples, seed 7 and 8.
  std::ifstream in(dir_ + "/resumed.tsv");
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    ASSERT_EQ(f.size(), 3u);
    const std::string prompt = absl::StrCat("resume item ", lines);
    EXPECT_EQ(f[0], std::to_string(lines));
    EXPECT_EQ(f[1], AnswerFor(prompt, 7, {}, 0).text);
    EXPECT_EQ(f[2], AnswerFor(prompt, 8, {}, 0).text);
    ++lines;
  }
  EXPECT_EQ(lines, kItems);
  // No answered item asked twice; the rest at most twice (in flight when killed).
  int twice = 0;
  for (int i = 0; i < kItems; ++i) {
    int count = server_->RequestCount(absl::StrCat("resume item ", i));
    if (answered.count(i)) {
      EXPECT_EQ(count, 1) << i;
    } else {
      EXPECT_GE(count, 1) << i;
      EXPECT_LE(count, 2) << i;
      twice += count == 2;
    }
  }
  EXPECT_LE(twice, 8);  // at most the helper's concurrency was in flight
}

}  // namespace
}  // namespace fathom::driver::client
