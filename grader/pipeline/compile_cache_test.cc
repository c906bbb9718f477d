// The compile cache: one compile per key, shared outcomes, refusals cached, sandbox errors
// not, and a directory that outlives the process.
#include "grader/pipeline/compile_cache.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

// "Compiles" by echoing the source after a pause (so that concurrent requests overlap);
// a source holding SYNTAX is refused, one holding CRASH is a sandbox failure.
class EchoCompiler final : public sandbox::Runner {
 public:
  absl::StatusOr<sandbox::RunResult> Run(const sandbox::RunSpec& spec) override {
    ++runs;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::string& source = spec.files.at(0).content;
    if (absl::StrContains(source, "CRASH")) return absl::InternalError("clone failed");
    sandbox::RunResult r;
    r.cpu_ms = 7;
    if (absl::StrContains(source, "SYNTAX")) {
      r.status = sandbox::RunStatus::kNonzeroExit;
      r.exit_code = 1;
      r.stderr_data = "main.c:1: error\n";
      return r;
    }
    r.status = sandbox::RunStatus::kOk;
    r.exit_code = 0;
    r.stdout_data = "bin:" + source;
    return r;
  }
  sandbox::LayerSet active_layers() const override { return {}; }
  std::atomic<int> runs{0};
};

CompileStep Step(const std::string& source) {
  CompileStep step;
  step.source = source;
  step.spec.argv = {"/bin/sh"};
  step.spec.files.push_back({"main.c", source});
  return step;
}

std::string TempDir(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          absl::StrCat("fathom_compile_cache_", name, ".", getpid()))
      .string();
}

TEST(CompileCacheTest, ConcurrentRequestsForOneSourceCompileOnce) {
  auto cache = *CompileCache::Open("");
  EchoCompiler runner;
  std::vector<std::thread> threads;
  std::vector<CompileOutcome> outcomes(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<CompileOutcome> o = cache->Compile(runner, "fp", Step("int x;"), nullptr);
      ASSERT_TRUE(o.ok()) << o.status();
      outcomes[i] = *o;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(runner.runs.load(), 1);
  int hits = 0;
  for (const CompileOutcome& o : outcomes) {
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(o.artefact->bytes, "bin:int x;");
    hits += o.cache_hit ? 1 : 0;
  }
  EXPECT_EQ(hits, 7);
  EXPECT_EQ(cache->stats().compiles, 1);
  EXPECT_EQ(cache->stats().memory_hits, 7);
  EXPECT_EQ(cache->stats().compile_cpu_ms, 7);
}

TEST(CompileCacheTest, TheKeyCoversFingerprintLimitsAndSource) {
  const CompileStep a = Step("int x;");
  CompileStep slower = a;
  slower.spec.limits.cpu_time_ms += 1;
  EXPECT_NE(CompileCache::Key("fp", a), CompileCache::Key("fp2", a));
  EXPECT_NE(CompileCache::Key("fp", a), CompileCache::Key("fp", slower));
  EXPECT_NE(CompileCache::Key("fp", a), CompileCache::Key("fp", Step("int y;")));
  EXPECT_EQ(CompileCache::Key("fp", a), CompileCache::Key("fp", Step("int x;")));
}

TEST(CompileCacheTest, RefusalsAreCachedSandboxErrorsAreNot) {
  auto cache = *CompileCache::Open("");
  EchoCompiler runner;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<CompileOutcome> o = cache->Compile(runner, "fp", Step("SYNTAX"), nullptr);
    ASSERT_TRUE(o.ok());
    EXPECT_FALSE(o->ok());
    EXPECT_EQ(o->error, "nonzero_exit 1");
    EXPECT_EQ(o->diagnostics, "main.c:1: error\n");
    EXPECT_EQ(o->cache_hit, i == 1);
  }
  EXPECT_EQ(runner.runs.load(), 1);
  for (int i = 0; i < 2; ++i) {
    EXPECT_FALSE(cache->Compile(runner, "fp", Step("CRASH"), nullptr).ok());
  }
  EXPECT_EQ(runner.runs.load(), 3);
}

TEST(CompileCacheTest, ADirectoryKeepsOutcomesAcrossInstances) {
  const std::string dir = TempDir("dir");
  std::filesystem::remove_all(dir);
  EchoCompiler runner;
  {
    auto cache = *CompileCache::Open(dir);
    ASSERT_TRUE(cache->Compile(runner, "fp", Step("int x;"), nullptr).ok());
    ASSERT_TRUE(cache->Compile(runner, "fp", Step("SYNTAX"), nullptr).ok());
  }
  auto again = *CompileCache::Open(dir);
  absl::StatusOr<CompileOutcome> built = again->Compile(runner, "fp", Step("int x;"), nullptr);
  absl::StatusOr<CompileOutcome> refused = again->Compile(runner, "fp", Step("SYNTAX"), nullptr);
  ASSERT_TRUE(built.ok() && refused.ok());
  EXPECT_EQ(runner.runs.load(), 2);
  EXPECT_TRUE(built->cache_hit);
  EXPECT_EQ(built->artefact->bytes, "bin:int x;");
  EXPECT_EQ(refused->error, "nonzero_exit 1");
  EXPECT_EQ(again->stats().disk_hits, 2);
  std::filesystem::remove_all(dir);
}

TEST(CompileCacheTest, MemoryStaysWithinItsBudget) {
  auto cache = *CompileCache::Open("", /*memory_bytes=*/400);
  EchoCompiler runner;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(cache->Compile(runner, "fp", Step(absl::StrCat("int x", i, ";")), nullptr).ok());
  }
  // The oldest were dropped: compiling the first again runs the compiler again.
  ASSERT_TRUE(cache->Compile(runner, "fp", Step("int x0;"), nullptr).ok());
  EXPECT_EQ(runner.runs.load(), 11);
  // The newest is still there.
  ASSERT_TRUE(cache->Compile(runner, "fp", Step("int x0;"), nullptr).ok());
  EXPECT_EQ(runner.runs.load(), 11);
}

}  // namespace
}  // namespace fathom::grader
