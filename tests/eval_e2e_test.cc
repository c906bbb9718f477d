// `fathom eval` end to end: the real binary, the real registry, the shipped sample sets
// (benchmarks/samples/<name>/: data, predictions.jsonl, and GPT-Fathom's own verdicts in
// expected.jsonl / expected_report.json), the run directory's idempotency, adding a
// benchmark to a run, bad input and missing predictions.
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fathom_process.h"

namespace fathom::e2e {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using ::testing::HasSubstr;

const fs::path kSamples = fs::path(FATHOM_SOURCE_DIR) / "benchmarks" / "samples";

// A stand-in for the Perspective API: the score is the completion's length / 100.
const char kScorer[] =
    "python3 -c 'import sys,json\nfor l in sys.stdin:\n r=json.loads(l); "
    "print(json.dumps({\"id\":r[\"id\"],\"score\":len(r[\"completion\"])/100}))'";

class EvalE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fathom_eval_e2e_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  int Eval(std::vector<std::string> args, std::string* output = nullptr) {
    args.insert(args.begin(), "eval");
    const std::string log = (dir_ / "log.txt").string();
    int rc = WaitExit(StartFathom(args, log));
    if (output != nullptr) *output = ReadFile(log);
    return rc;
  }
  static std::vector<Json> Lines(const fs::path& p) {
    std::vector<Json> out;
    std::istringstream in(ReadFile(p.string()));
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) out.push_back(Json::parse(line));
    }
    return out;
  }
  static std::string IdText(const Json& id) {
    return id.is_string() ? id.get<std::string>() : id.dump();
  }
  static std::string NoTimes(const std::string& s) {
    return std::regex_replace(s, std::regex("\"created_at\":\"[^\"]*\""), "\"created_at\":\"T\"");
  }
  fs::path dir_;
};

TEST_F(EvalE2eTest, ShippedSamplesMatchGptFathomAndRerunsAreIdempotent) {
  ASSERT_TRUE(fs::is_directory(kSamples)) << kSamples;
  const fs::path out = dir_ / "run";
  const std::vector<std::string> args = {
      "--suite", "gpt-fathom", "--data", kSamples.string(), "--predictions", kSamples.string(),
      "--out", out.string(), "--scorer", kScorer, "--bootstrap", "200", "--seed", "3",
      "--api", "completions"};  // the samples' code completions are completion-model ones
  std::string log;
  ASSERT_EQ(Eval(args, &log), 0) << log;
  const Json report = Json::parse(ReadFile((out / "report.json").string()));
  int benchmarks = 0;
  for (const fs::directory_entry& d : fs::directory_iterator(kSamples)) {
    const std::string name = d.path().filename().string();
    if (!fs::exists(d.path() / "expected.jsonl")) continue;
    ++benchmarks;
    SCOPED_TRACE(name);
    ASSERT_TRUE(report["benchmarks"].contains(name));
    const Json& entry = report["benchmarks"][name];
    // Items: every expected verdict, by (subtask, id).
    std::map<std::string, Json> items;
    for (const Json& it : Lines(out / (name + ".items.jsonl"))) {
      if (it.contains("score")) {
        items[it.value("subtask", "") + "/" + IdText(it["id"])] = it;
      }
    }
    std::vector<Json> expected = Lines(d.path() / "expected.jsonl");
    EXPECT_EQ(items.size(), expected.size());
    for (const Json& e : expected) {
      const std::string key =
          (e["subtask"].is_string() ? e["subtask"].get<std::string>() : "") + "/" + IdText(e["id"]);
      SCOPED_TRACE(key);
      ASSERT_TRUE(items.count(key) > 0);
      const Json& it = items[key];
      EXPECT_NEAR(it["score"].get<double>(), e["score"].get<double>(), 1e-9);
      if (e.contains("correct") && !e["correct"].is_null()) {
        EXPECT_EQ(it["correct"], e["correct"]);
      }
      if (e.contains("extracted")) {
        EXPECT_EQ(it["extracted"], e["extracted"]);
      }
      if (e.contains("passed")) {
        EXPECT_EQ(it["passed"], e["passed"]);
      }
    }
    // The report: GPT-Fathom's value, macro over sub-tasks, micro over items.
    const Json er = Json::parse(ReadFile((d.path() / "expected_report.json").string()));
    if (name != "realtoxicity") {
      EXPECT_NEAR(entry["value"].get<double>(), er["value"].get<double>(), 1e-9);
      if (entry.contains("micro")) {
        EXPECT_NEAR(entry["micro"]["value"].get<double>(), er["micro"].get<double>(), 1e-9);
      }
    }
    EXPECT_EQ(entry["skipped"], 0);
    EXPECT_EQ(entry["missing"], 0);
  }
  EXPECT_GE(benchmarks, 20);

  // The same command again: nothing changes, not even a timestamp.
  std::map<std::string, std::string> before;
  for (const fs::directory_entry& f : fs::directory_iterator(out)) {
    if (f.is_regular_file()) before[f.path().filename().string()] = ReadFile(f.path().string());
  }
  ASSERT_EQ(Eval(args, &log), 0) << log;
  for (const auto& [file, text] : before) EXPECT_EQ(ReadFile((out / file).string()), text) << file;
  // Scored again from scratch (the report gone): the same bytes except timestamps.
  fs::remove(out / "report.json");
  ASSERT_EQ(Eval(args, &log), 0) << log;
  for (const auto& [file, text] : before) {
    EXPECT_EQ(NoTimes(ReadFile((out / file).string())), NoTimes(text)) << file;
  }
}

TEST_F(EvalE2eTest, SecondBenchmarkJoinsTheRun) {
  const fs::path out = dir_ / "run";
  auto one = [&](const std::string& name) {
    return std::vector<std::string>{"--benchmark", name, "--data", (kSamples / name).string(),
                                    "--predictions",
                                    (kSamples / name / "predictions.jsonl").string(), "--out",
                                    out.string()};
  };
  std::string log;
  ASSERT_EQ(Eval(one("gsm8k"), &log), 0) << log;
  const std::string gsm_items = ReadFile((out / "gsm8k.items.jsonl").string());
  ASSERT_EQ(Eval(one("mmlu"), &log), 0) << log;
  const Json report = Json::parse(ReadFile((out / "report.json").string()));
  EXPECT_TRUE(report["benchmarks"].contains("gsm8k"));
  EXPECT_TRUE(report["benchmarks"].contains("mmlu"));
  EXPECT_EQ(ReadFile((out / "gsm8k.items.jsonl").string()), gsm_items);
  // events.jsonl: both logs, in GPT-Fathom's table order (MMLU before GSM8K).
  EXPECT_EQ(ReadFile((out / "events.jsonl").string()),
            ReadFile((out / "mmlu.events.jsonl").string()) +
                ReadFile((out / "gsm8k.events.jsonl").string()));
  EXPECT_THAT(log, HasSubstr("mmlu"));
  EXPECT_THAT(log, HasSubstr("gsm8k"));
}

TEST_F(EvalE2eTest, BadInputIsNamedAndCountedMissingPredictionsToo) {
  // gsm8k's rows with three bad ones added, and two predictions taken away.
  std::vector<std::string> lines;
  {
    std::istringstream in(ReadFile((kSamples / "gsm8k" / "test.jsonl").string()));
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  ASSERT_GE(lines.size(), 4u);
  const fs::path data = dir_ / "gsm8k";
  fs::create_directories(data);
  fs::copy(kSamples / "gsm8k" / "fewshot.jsonl", data / "fewshot.jsonl");
  {
    std::ofstream f(data / "test.jsonl");
    for (const std::string& l : lines) f << l << "\n";
    f << "this is not json\n";                    // line n+1
    f << "{\"question\": \"no answer\"}\n";        // line n+2
    f << "{\"question\": 7, \"answer\": \"#### 1\"}\n";  // line n+3
  }
  std::vector<Json> preds = Lines(kSamples / "gsm8k" / "predictions.jsonl");
  {
    std::ofstream f(dir_ / "preds.jsonl");
    for (size_t i = 2; i < preds.size(); ++i) f << preds[i].dump() << "\n";
  }
  const fs::path out = dir_ / "run";
  std::string log;
  ASSERT_EQ(Eval({"--benchmark", "gsm8k", "--data", (data / "test.jsonl").string(),
                  "--predictions", (dir_ / "preds.jsonl").string(), "--out", out.string()},
                 &log),
            0)
      << log;
  const std::string file = (data / "test.jsonl").string();
  const size_t n = lines.size();
  EXPECT_THAT(log, HasSubstr(file + ":" + std::to_string(n + 1) + ": not JSON"));
  EXPECT_THAT(log, HasSubstr(file + ":" + std::to_string(n + 2) + ": answer"));
  EXPECT_THAT(log, HasSubstr(file + ":" + std::to_string(n + 3) + ": question"));
  EXPECT_THAT(log, HasSubstr("2 rows have no prediction"));
  const Json entry = Json::parse(ReadFile((out / "report.json").string()))["benchmarks"]["gsm8k"];
  EXPECT_EQ(entry["skipped"], 3);
  EXPECT_EQ(entry["missing"], 2);
  EXPECT_EQ(entry["n"], static_cast<int>(n) - 2);
  EXPECT_EQ(entry["rows"], static_cast<int>(n) + 3);
  EXPECT_EQ(Lines(out / "gsm8k.items.jsonl").size(), n + 3);

  // An unknown benchmark is a usage error.
  EXPECT_EQ(Eval({"--benchmark", "nope", "--data", ".", "--predictions", ".", "--out",
                  out.string()}, &log),
            2);
  EXPECT_THAT(log, HasSubstr("--benchmark nope: unknown benchmark"));
}

TEST_F(EvalE2eTest, ListAndPromptsOnly) {
  std::string log;
  ASSERT_EQ(Eval({"--list", "--json"}, &log), 0) << log;
  Json list = Json::parse(log);
  ASSERT_GE(list.size(), 24u);
  EXPECT_EQ(list[0]["name"], "nq");
  const fs::path out = dir_ / "prompts";
  ASSERT_EQ(Eval({"--benchmark", "mmlu", "--data", (kSamples / "mmlu").string(), "--prompts-only",
                  "--out", out.string()}, &log), 0) << log;
  std::vector<Json> prompts = Lines(out / "mmlu.prompts.jsonl");
  ASSERT_FALSE(prompts.empty());
  EXPECT_EQ(prompts[0]["id"], "0");
  EXPECT_EQ(prompts[0]["shots"], 5);
  EXPECT_TRUE(prompts[0]["messages"].is_array());
}

}  // namespace
}  // namespace fathom::e2e
