// `fathom eval --model` against the fake server on the shipped MMLU sample set (11 rows,
// 5 shots each): the predictions file, the context-window fallback with exact request
// counts, and the command end to end (rerun sends nothing, --dry-run, the key in no file).
#include "driver/client/generate.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fake_openai/fake_openai.h"

namespace fathom::driver::client {
namespace {

using fake_openai::FakeOpenAiServer;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kMmlu = std::string(FATHOM_SOURCE_DIR) + "/benchmarks/samples/mmlu";
constexpr int kMmluRows = 11;

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<nlohmann::json> ReadLines(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

class GenerateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fathom_generate_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto registry = Registry::LoadBuiltin();
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = std::make_unique<Registry>(*std::move(registry));
    bench_ = registry_->Find("mmlu");
    ASSERT_NE(bench_, nullptr);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void StartServer(fake_openai::Options options = {}) {
    auto server = FakeOpenAiServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  absl::StatusOr<GenerateOutcome> Generate(int context_window = 0, bool cache = false) {
    ClientOptions o;
    o.endpoint = server_->endpoint();
    o.model = "fake";
    o.concurrency = 4;
    o.backoff_base_ms = 5;
    std::unique_ptr<Cache> c;
    if (cache) c = std::move(*Cache::Open(dir_ + "/responses.sqlite"));
    auto client = Client::Create(o, c.get());
    if (!client.ok()) return client.status();
    GenerateOptions g;
    g.data_path = kMmlu;
    g.api = Api::kCompletions;
    g.context_window = context_window;
    g.predictions_path = dir_ + "/mmlu.predictions.jsonl";
    return GeneratePredictions(*bench_, g, **client);
  }

  std::string dir_;
  std::unique_ptr<Registry> registry_;
  const Benchmark* bench_ = nullptr;
  std::unique_ptr<FakeOpenAiServer> server_;
};

TEST_F(GenerateTest, OneRequestPerRowInInputOrderAndCachedRerunIsIdentical) {
  StartServer();
  auto r = Generate(0, /*cache=*/true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->items, kMmluRows);
  EXPECT_EQ(r->written, kMmluRows);
  EXPECT_EQ(r->fewer_shots, 0);
  EXPECT_EQ(server_->TotalRequests(), kMmluRows);
  for (const auto& [prompt, count] : server_->Counts()) EXPECT_EQ(count, 1);
  const std::string first = ReadAll(dir_ + "/mmlu.predictions.jsonl");
  std::vector<nlohmann::json> lines = ReadLines(dir_ + "/mmlu.predictions.jsonl");
  ASSERT_EQ(lines.size(), static_cast<size_t>(kMmluRows));
  // Input order: astronomy's rows 0..5, then high_school_biology's 0..4.
  EXPECT_EQ(lines[0]["id"], "0");
  EXPECT_EQ(lines[0]["subtask"], "astronomy");
  EXPECT_EQ(lines[6]["id"], "0");
  EXPECT_EQ(lines[6]["subtask"], "high_school_biology");
  for (const auto& line : lines) {
    EXPECT_EQ(line["shots"], 5);
    ASSERT_EQ(line["completions"].size(), 1u);
    EXPECT_THAT(line["completions"][0].get<std::string>(), HasSubstr("answer-"));
  }
  // Again through the cache: nothing sent, the same bytes.
  auto again = Generate(0, /*cache=*/true);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(server_->TotalRequests(), kMmluRows);
  EXPECT_EQ(ReadAll(dir_ + "/mmlu.predictions.jsonl"), first);
}

TEST_F(GenerateTest, ContextLengthErrorsLowerTheShotsOneAtATime) {
  // The shortest 5-shot prompt, less one byte: every row must drop at least one shot.
  StartServer();
  ASSERT_TRUE(Generate().ok());
  size_t shortest = SIZE_MAX;
  for (const auto& [prompt, count] : server_->Counts()) shortest = std::min(shortest, prompt.size());
  fake_openai::Options so;
  so.context_limit_bytes = shortest - 1;
  StartServer(so);
  auto r = Generate();
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<nlohmann::json> lines = ReadLines(dir_ + "/mmlu.predictions.jsonl");
  ASSERT_EQ(lines.size(), static_cast<size_t>(kMmluRows));
  int64_t expected_requests = 0;
  for (const auto& line : lines) {
    const int shots = line["shots"];
    EXPECT_LT(shots, 5);
    EXPECT_FALSE(line.contains("out_of_window"));
    expected_requests += 5 - shots + 1;  // one refused request per shot dropped
  }
  EXPECT_EQ(r->fewer_shots, kMmluRows);
  EXPECT_EQ(server_->TotalRequests(), expected_requests);

  // A window nothing fits in: six requests a row (5, 4, ..., 0 shots), then out_of_window.
  so.context_limit_bytes = 10;
  StartServer(so);
  r = Generate();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out_of_window, kMmluRows);
  EXPECT_EQ(server_->TotalRequests(), 6 * kMmluRows);
  for (const auto& line : ReadLines(dir_ + "/mmlu.predictions.jsonl")) {
    EXPECT_EQ(line["shots"], 0);
    EXPECT_EQ(line["out_of_window"], true);
    EXPECT_EQ(line["completions"][0], "");
  }
}

TEST_F(GenerateTest, ContextWindowEstimateLowersShotsBeforeSending) {
  StartServer();
  // About 150 tokens: far below a 5-shot MMLU prompt's estimate, above a zero-shot one's.
  auto r = Generate(/*context_window=*/150);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(server_->TotalRequests(), kMmluRows);  // nothing refused: nothing sent twice
  EXPECT_EQ(r->fewer_shots, kMmluRows);
  for (const auto& line : ReadLines(dir_ + "/mmlu.predictions.jsonl")) EXPECT_LT(line["shots"], 5);
}

#ifdef FATHOM_BINARY
int RunFathom(const std::vector<std::string>& args, const std::string& out_file) {
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::fopen(out_file.c_str(), "w");
    dup2(fileno(f), 1);
    dup2(fileno(f), 2);
    std::vector<char*> argv = {const_cast<char*>(FATHOM_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(FATHOM_BINARY, argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

TEST_F(GenerateTest, FathomEvalModelEndToEnd) {
  StartServer();
  const std::string key = absl::StrCat("sk-e2e-", getpid(), "-0123456789abcdef");
  setenv("FATHOM_E2E_KEY", key.c_str(), 1);
  const std::string out = dir_ + "/run";
  const std::vector<std::string> args = {
      "eval", "--benchmark", "mmlu", "--data", kMmlu, "--out", out, "--model", "fake",
      "--endpoint", server_->endpoint(), "--api", "completions", "--api-key-env",
      "FATHOM_E2E_KEY", "--concurrency", "4", "--bootstrap", "0"};
  ASSERT_EQ(RunFathom(args, dir_ + "/first.log"), 0) << ReadAll(dir_ + "/first.log");
  EXPECT_EQ(server_->TotalRequests(), kMmluRows);
  EXPECT_THAT(server_->LastAuthorization(), HasSubstr(key));
  ASSERT_TRUE(std::filesystem::exists(out + "/report.json"));
  ASSERT_TRUE(std::filesystem::exists(out + "/mmlu.items.jsonl"));
  const std::string items = ReadAll(out + "/mmlu.items.jsonl");
  EXPECT_THAT(items, HasSubstr("answer-"));  // the model's completions were scored

  // The same command again: nothing sent; the dry run says so too.
  ASSERT_EQ(RunFathom(args, dir_ + "/second.log"), 0) << ReadAll(dir_ + "/second.log");
  EXPECT_EQ(server_->TotalRequests(), kMmluRows);
  EXPECT_EQ(ReadAll(out + "/mmlu.items.jsonl"), items);
  std::vector<std::string> dry = args;
  dry.push_back("--dry-run");
  ASSERT_EQ(RunFathom(dry, dir_ + "/dry.log"), 0);
  EXPECT_THAT(ReadAll(dir_ + "/dry.log"),
              HasSubstr("mmlu: 11 items, 11 samples (11 cached), 0 requests, about 0 prompt tokens"));
  EXPECT_EQ(server_->TotalRequests(), kMmluRows);

  // Another model in the same run directory is refused, unless --no-resume.
  std::vector<std::string> other = args;
  other[8] = "other-model";
  ASSERT_EQ(other[7], "--model");
  EXPECT_EQ(RunFathom(other, dir_ + "/other.log"), 2);
  EXPECT_THAT(ReadAll(dir_ + "/other.log"), HasSubstr("holds a run of"));
  EXPECT_EQ(server_->TotalRequests(), kMmluRows);

  // The key is in no file the runs wrote, logs included.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
    if (entry.is_regular_file()) {
      EXPECT_THAT(ReadAll(entry.path()), Not(HasSubstr("0123456789abcdef"))) << entry.path();
    }
  }
  unsetenv("FATHOM_E2E_KEY");
}

// Every file of a run directory and its bytes (the lock file aside).
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().filename() != ".lock") {
      files[entry.path().string()] = ReadAll(entry.path());
    }
  }
  return files;
}

TEST_F(GenerateTest, FathomEvalModelRefusesChangedRequestsUnlessNoResume) {
  StartServer();
  // A copy of the shipped definitions, to change MMLU's temperature in.
  const std::string registry = dir_ + "/registry";
  std::filesystem::copy(std::string(FATHOM_SOURCE_DIR) + "/benchmarks", registry,
                        std::filesystem::copy_options::recursive);
  const std::string out = dir_ + "/run";
  const std::vector<std::string> args = {
      "eval", "--benchmark", "mmlu", "--data", kMmlu, "--out", out, "--model", "fake",
      "--endpoint", server_->endpoint(), "--api", "completions", "--registry", registry,
      "--concurrency", "4", "--bootstrap", "0"};
  ASSERT_EQ(RunFathom(args, dir_ + "/first.log"), 0) << ReadAll(dir_ + "/first.log");
  EXPECT_EQ(server_->TotalRequests(), kMmluRows);
  const nlohmann::json fingerprint = nlohmann::json::parse(ReadAll(out + "/mmlu.model.json"));
  EXPECT_EQ(fingerprint["model"], "fake");
  EXPECT_EQ(fingerprint["api"], "completions");
  EXPECT_EQ(fingerprint["decoding"]["temperature"], 0.0);
  EXPECT_EQ(fingerprint["decoding"]["max_tokens"], 10);
  EXPECT_EQ(fingerprint["mode"], "faithful");
  EXPECT_EQ(fingerprint["data"].size(), 2u);   // astronomy, high_school_biology
  EXPECT_EQ(fingerprint["shots"].size(), 2u);  // their dev splits

  // The same command: accepted, nothing sent.
  ASSERT_EQ(RunFathom(args, dir_ + "/same.log"), 0) << ReadAll(dir_ + "/same.log");
  EXPECT_EQ(server_->TotalRequests(), kMmluRows);

  // Another temperature: refused, naming it, with nothing sent and nothing changed.
  const std::string yaml = registry + "/mmlu.yaml";
  std::string text = ReadAll(yaml);
  const std::string from = "decoding: {max_tokens: 10, temperature: 0}";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(), "decoding: {max_tokens: 10, temperature: 0.5}");
  std::ofstream(yaml, std::ios::trunc) << text;
  const std::map<std::string, std::string> before = Snapshot(out);
  EXPECT_EQ(RunFathom(args, dir_ + "/changed.log"), 2);
  const std::string changed = ReadAll(dir_ + "/changed.log");
  EXPECT_THAT(changed, HasSubstr("decoding.temperature: 0.0 -> 0.5"));
  EXPECT_THAT(changed, HasSubstr("registry_hash"));
  EXPECT_THAT(changed, HasSubstr("--no-resume"));
  EXPECT_EQ(server_->TotalRequests(), kMmluRows);
  EXPECT_EQ(Snapshot(out), before);

  // --no-resume: MMLU starts over at the new temperature (every request is new).
  std::vector<std::string> again = args;
  again.push_back("--no-resume");
  ASSERT_EQ(RunFathom(again, dir_ + "/again.log"), 0) << ReadAll(dir_ + "/again.log");
  EXPECT_EQ(server_->TotalRequests(), 2 * kMmluRows);
  EXPECT_EQ(nlohmann::json::parse(ReadAll(out + "/mmlu.model.json"))["decoding"]["temperature"],
            0.5);
  // And from then on the changed command is the run's: accepted, nothing sent.
  ASSERT_EQ(RunFathom(args, dir_ + "/after.log"), 0) << ReadAll(dir_ + "/after.log");
  EXPECT_EQ(server_->TotalRequests(), 2 * kMmluRows);
}
#endif

}  // namespace
}  // namespace fathom::driver::client
