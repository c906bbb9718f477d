// Request bodies, response parsing, error classification, token estimates, token buckets.
#include "driver/client/request.h"

#include <chrono>

#include "driver/client/client.h"
#include "driver/client/rate_limiter.h"
#include "gtest/gtest.h"

namespace fathom::driver::client {
namespace {

Request ChatRequest() {
  Request r;
  r.api = Api::kChat;
  r.messages = nlohmann::json::array({{{"role", "system"}, {"content", "Be brief."}},
                                      {{"role", "user"}, {"content", "2+2?"}}});
  r.max_tokens = 16;
  r.temperature = 0.8;
  r.stop = {"\n\n"};
  r.n = 4;
  r.seed = 100;
  return r;
}

TEST(RequestBodyTest, SortedKeysNOnlyAboveOneSeedOffset) {
  Request r = ChatRequest();
  EXPECT_EQ(RequestBody(r, "m", 4, 0),
            R"({"max_tokens":16,"messages":[{"content":"Be brief.","role":"system"},)"
            R"({"content":"2+2?","role":"user"}],"model":"m","n":4,"seed":100,)"
            R"("stop":["\n\n"],"temperature":0.8,"top_p":1.0})");
  EXPECT_EQ(RequestBody(r, "m", 1, 3),
            R"({"max_tokens":16,"messages":[{"content":"Be brief.","role":"system"},)"
            R"({"content":"2+2?","role":"user"}],"model":"m","seed":103,)"
            R"("stop":["\n\n"],"temperature":0.8,"top_p":1.0})");
}

TEST(RequestBodyTest, KeyBodyIgnoresN) {
  Request a = ChatRequest();
  Request b = ChatRequest();
  b.n = 100;
  EXPECT_EQ(KeyBody(a, "m"), KeyBody(b, "m"));
  b.temperature = 0.7;
  EXPECT_NE(KeyBody(a, "m"), KeyBody(b, "m"));
  EXPECT_NE(KeyBody(a, "m"), KeyBody(a, "other"));
}

TEST(RequestBodyTest, CompletionsBodyHasPromptNoStopWhenEmpty) {
  Request r;
  r.api = Api::kCompletions;
  r.prompt = "Q: 1+1\nA:";
  EXPECT_EQ(RequestBody(r, "m", 1, 0),
            R"({"model":"m","prompt":"Q: 1+1\nA:","temperature":0.0,"top_p":1.0})");
}

TEST(ParseResponseTest, ChatChoicesInIndexOrderAndUsage) {
  auto parsed = ParseResponse(Api::kChat, R"({"choices":[
      {"index":1,"message":{"role":"assistant","content":"b"},"finish_reason":"length"},
      {"index":0,"message":{"role":"assistant","content":"a"},"finish_reason":"stop"}],
      "usage":{"prompt_tokens":7,"completion_tokens":3}})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->choices.size(), 2u);
  EXPECT_EQ(parsed->choices[0].text, "a");
  EXPECT_EQ(parsed->choices[0].finish_reason, "stop");
  EXPECT_EQ(parsed->choices[1].text, "b");
  EXPECT_EQ(parsed->choices[1].finish_reason, "length");
  EXPECT_EQ(parsed->prompt_tokens, 7);
  EXPECT_EQ(parsed->completion_tokens, 3);
}

TEST(ParseResponseTest, NullContentIsEmptyAnswer) {
  auto parsed = ParseResponse(
      Api::kChat, R"({"choices":[{"message":{"content":null},"finish_reason":"content_filter"}]})");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->choices[0].text, "");
  EXPECT_EQ(parsed->choices[0].finish_reason, "content_filter");
}

TEST(ParseResponseTest, MalformedBodies) {
  EXPECT_FALSE(ParseResponse(Api::kCompletions, R"({"choices": [{"text": "tr)").ok());
  EXPECT_FALSE(ParseResponse(Api::kCompletions, R"({"choices": []})").ok());
  EXPECT_FALSE(ParseResponse(Api::kCompletions, R"({"choices": [{"message": {}}]})").ok());
  EXPECT_FALSE(ParseResponse(Api::kChat, R"([1,2])").ok());
}

TEST(ErrorTest, ContextLengthShapes) {
  // OpenAI.
  EXPECT_TRUE(IsContextLengthError(400, R"({"error":{"message":"This model's maximum context )"
                                        R"(length is 8192 tokens.","code":"context_length_exceeded"}})"));
  // vLLM.
  EXPECT_TRUE(IsContextLengthError(400, R"({"object":"error","message":"This model's maximum )"
                                        R"(context length is 4096 tokens. However, you requested )"
                                        R"(5000 tokens","type":"BadRequestError","code":400})"));
  // llama.cpp server.
  EXPECT_TRUE(IsContextLengthError(400, R"({"error":{"code":400,"message":"the request exceeds )"
                                        R"(the available context size","type":"exceed_context_size_error"}})"));
  // TGI.
  EXPECT_TRUE(IsContextLengthError(422, R"({"error":"Input validation error: `inputs` tokens + )"
                                        R"(`max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens"})"));
  EXPECT_FALSE(IsContextLengthError(400, R"({"error":{"message":"Invalid value for 'n'"}})"));
  EXPECT_FALSE(IsContextLengthError(500, R"({"error":{"message":"maximum context length"}})"));
}

TEST(ErrorTest, MessageShapes) {
  EXPECT_EQ(ErrorMessage(R"({"error":{"message":"bad"}})"), "bad");
  EXPECT_EQ(ErrorMessage(R"({"object":"error","message":"vllm"})"), "vllm");
  EXPECT_EQ(ErrorMessage(R"({"error":"tgi"})"), "tgi");
  EXPECT_EQ(ErrorMessage("<html>\nBad Gateway</html>"), "<html> Bad Gateway</html>");
}

TEST(EstimateTest, AsciiThirdsPlusOnePerNonAsciiCodePoint) {
  EXPECT_EQ(EstimateTokens(""), 0);
  EXPECT_EQ(EstimateTokens("abc"), 1);
  EXPECT_EQ(EstimateTokens("abcd"), 2);
  EXPECT_EQ(EstimateTokens("\xe4\xbd\xa0\xe5\xa5\xbd"), 2);  // two CJK code points
  Request r;
  r.api = Api::kChat;
  r.messages = nlohmann::json::array({{{"role", "user"}, {"content", "abcdef"}}});
  EXPECT_EQ(EstimatePromptTokens(r), 4 + 2);
}

TEST(TokenBucketTest, BurstThenRate) {
  using Clock = TokenBucket::Clock;
  Clock::time_point t0 = Clock::now();
  TokenBucket bucket(60, 1.0 / 1000);  // 60 per minute, one a second
  for (int i = 0; i < 60; ++i) {
    ASSERT_EQ(bucket.WaitMs(1, t0), 0);
    bucket.Take(1, t0);
  }
  EXPECT_EQ(bucket.WaitMs(1, t0), 1000);
  EXPECT_EQ(bucket.WaitMs(1, t0 + std::chrono::milliseconds(1000)), 0);
  // A cost above the capacity waits for a full bucket, not forever.
  EXPECT_EQ(bucket.WaitMs(600, t0 + std::chrono::milliseconds(1000)), 59000);
}

TEST(ProgressTest, Line) {
  Progress p;
  p.items_total = 10000;
  p.items_done = 412;
  p.requests_per_s = 38.25;
  p.tokens_per_s = 1520;
  p.cache_hits = 120;
  p.eta_s = 250;
  EXPECT_EQ(FormatProgress(p),
            "412/10000 items | 38.2 req/s | 1520 tok/s | 0 errors | 120 cached | ETA 4m10s");
}

}  // namespace
}  // namespace fathom::driver::client
