// The SQLite cache: round trip, per-sample keys, refresh overwrite, concurrent writers.
#include "driver/client/cache.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace fathom::driver::client {
namespace {

class CacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fathom_cache_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/cache.sqlite";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_, path_;
};

CacheKey Key(std::string body) {
  return CacheKey{"http://127.0.0.1:1/v1", "m", Api::kChat, std::move(body)};
}

Sample Ok(std::string text) {
  Sample s;
  s.outcome = Outcome::kOk;
  s.text = std::move(text);
  s.finish_reason = "stop";
  s.prompt_tokens = 5;
  s.completion_tokens = 2;
  return s;
}

TEST_F(CacheTest, RoundTripPerSample) {
  auto cache = Cache::Open(path_);
  ASSERT_TRUE(cache.ok()) << cache.status();
  CacheKey k = Key("{\"a\":1}");
  Sample s0 = Ok("zero"), s2 = Ok("two");
  ASSERT_TRUE((*cache)->Put({{&k, 0, &s0}, {&k, 2, &s2}}).ok());
  auto hits = (*cache)->Lookup(k, 3);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_EQ((*hits)[0].sample, 0);
  EXPECT_EQ((*hits)[0].value.text, "zero");
  EXPECT_TRUE((*hits)[0].value.cache_hit);
  EXPECT_EQ((*hits)[0].value.prompt_tokens, 5);
  EXPECT_EQ((*hits)[1].sample, 2);
  // Only indices below n.
  EXPECT_EQ((*cache)->Lookup(k, 2)->size(), 1u);
  // Another body, model, endpoint or API is another key.
  EXPECT_TRUE((*cache)->Lookup(Key("{\"a\":2}"), 3)->empty());
  CacheKey other_api = k;
  other_api.api = Api::kCompletions;
  EXPECT_TRUE((*cache)->Lookup(other_api, 3)->empty());
}

TEST_F(CacheTest, PutReplacesAndSurvivesReopen) {
  CacheKey k = Key("x");
  {
    auto cache = Cache::Open(path_);
    Sample a = Ok("old"), b = Ok("new");
    ASSERT_TRUE((*cache)->Put({{&k, 0, &a}}).ok());
    ASSERT_TRUE((*cache)->Put({{&k, 0, &b}}).ok());
  }
  auto cache = Cache::Open(path_);
  auto hits = (*cache)->Lookup(k, 1);
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].value.text, "new");
  EXPECT_EQ(*(*cache)->CountSamples(), 1);
}

TEST_F(CacheTest, ConcurrentWritersOneProcess) {
  // Four threads on one Cache and two on a second connection to the same file.
  auto a = Cache::Open(path_);
  auto b = Cache::Open(path_);
  ASSERT_TRUE(a.ok() && b.ok());
  constexpr int kPerThread = 150;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    Cache* cache = t < 4 ? a->get() : b->get();
    threads.emplace_back([cache, t] {
      for (int i = 0; i < kPerThread; ++i) {
        CacheKey k = Key(absl::StrCat("shared ", i % 10));
        Sample s = Ok(absl::StrCat(t, "/", i));
        ASSERT_TRUE(cache->Put({{&k, t * kPerThread + i, &s}}).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(*(*a)->CountSamples(), 6 * kPerThread);
  int64_t found = 0;
  for (int i = 0; i < 10; ++i) found += (*b)->Lookup(Key(absl::StrCat("shared ", i)), 1 << 20)->size();
  EXPECT_EQ(found, 6 * kPerThread);
}

TEST_F(CacheTest, UnwritableDirectoryIsAnErrorNamingThePath) {
  auto cache = Cache::Open(dir_ + "/missing/dir/cache.sqlite");
  ASSERT_FALSE(cache.ok());
  EXPECT_NE(cache.status().message().find("missing/dir/cache.sqlite"), std::string::npos);
}

}  // namespace
}  // namespace fathom::driver::client
