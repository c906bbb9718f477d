// EvalPlus's results file from a fathom results file.
#include "grader/formats/evalplus_report.h"

#include <filesystem>
#include <fstream>

#include "grader/pipeline/test_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace fathom::grader {
namespace {

ProblemSet TwoProblems() {
  ProblemSet set;
  for (const char* id : {"HumanEval/0", "HumanEval/1"}) {
    Problem p;
    p.task_id = id;
    p.prompt = "def f(x):\n";
    p.entry_point = "f";
    p.base_inputs = {"[1]", "[99999999999999999999999]"};
    p.plus_inputs = {"[Infinity]"};
    p.has_inputs = true;
    set.by_id[p.task_id] = set.problems.size();
    set.problems.push_back(p);
  }
  return set;
}

TEST(EvalPlusReportTest, WritesEvalPlusLayoutAndPassAtK) {
  std::filesystem::path dir = testing::FreshTestDir("evalplus_report");
  std::string results = (dir / "s.jsonl_results.jsonl").string();
  {
    std::ofstream out(results);
    // Task 0: a full pass and a plus failure; task 1: a base failure, and an assert-mode
    // sample (no I/O fields) that timed out.
    out << R"({"task_id":"HumanEval/0","completion":"    return x\n","passed":true,"status":"passed","base_status":"pass","plus_status":"pass","base_failed_inputs":[],"plus_failed_inputs":[]})" "\n"
        << R"({"task_id":"HumanEval/0","solution":"def f(x): return 1","passed":false,"status":"failed","base_status":"pass","plus_status":"fail","base_failed_inputs":[],"plus_failed_inputs":[0]})" "\n"
        << R"({"task_id":"HumanEval/1","completion":"    return 0\n","passed":false,"status":"failed","base_status":"fail","plus_status":"pass","base_failed_inputs":[1],"plus_failed_inputs":[]})" "\n"
        << R"({"task_id":"HumanEval/1","completion":"    while 1: pass\n","passed":false,"status":"timeout"})" "\n";
  }
  EvalPlusReportOptions o;
  o.results_path = results;
  o.out_path = (dir / "s.eval_results.json").string();
  o.dataset_hash = "abc";
  o.date = "2026-12-02 20:00";
  o.ks = {1, 2, 10};
  absl::StatusOr<EvalPlusPassAtK> p = WriteEvalPlusResults(TwoProblems(), o);
  ASSERT_TRUE(p.ok()) << p.status();
  // base: task 0 2/2, task 1 0/2; plus (base and plus): task 0 1/2, task 1 0/2.
  EXPECT_EQ(p->base, (std::vector<std::pair<int64_t, double>>{{1, 0.5}, {2, 0.5}}));
  EXPECT_EQ(p->plus, (std::vector<std::pair<int64_t, double>>{{1, 0.25}, {2, 0.5}}));

  std::ifstream in(o.out_path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Python's json reads the raw inputs (big ints, Infinity); nlohmann does not, so the
  // check reads the text.
  EXPECT_NE(text.find(R"("base_fail_tests": [[99999999999999999999999]])"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("plus_fail_tests": [[Infinity]])"), std::string::npos) << text;
  std::string safe = text;
  for (auto [from, to] : {std::pair<std::string, std::string>{"99999999999999999999999", "9"},
                          {"Infinity", "0"}}) {
    for (size_t at; (at = safe.find(from)) != std::string::npos;) safe.replace(at, from.size(), to);
  }
  nlohmann::json j = nlohmann::json::parse(safe);
  EXPECT_EQ(j["date"], "2026-12-02 20:00");
  EXPECT_EQ(j["hash"], "abc");
  ASSERT_EQ(j["eval"]["HumanEval/0"].size(), 2u);
  EXPECT_EQ(j["eval"]["HumanEval/0"][0]["solution"], "def f(x):\n    return x\n");
  EXPECT_EQ(j["eval"]["HumanEval/0"][1]["solution"], "def f(x): return 1");
  EXPECT_EQ(j["eval"]["HumanEval/0"][1]["plus_status"], "fail");
  EXPECT_EQ(j["eval"]["HumanEval/1"][1]["base_status"], "timeout");
  EXPECT_EQ(j["eval"]["HumanEval/1"][1]["plus_status"], "timeout");
  EXPECT_EQ(j["pass_at_k"]["base"]["pass@1"], 0.5);
  EXPECT_EQ(j["pass_at_k"]["plus"]["pass@2"], 0.5);
  EXPECT_FALSE(j["pass_at_k"]["base"].contains("pass@10"));
  EXPECT_EQ(EvalPlusPassAtKText("humaneval", *p),
            "humaneval (base tests)\npass@1:\t0.500\npass@2:\t0.500\n"
            "humaneval+ (base + extra tests)\npass@1:\t0.250\npass@2:\t0.500\n");
  std::filesystem::remove_all(dir);
}

TEST(EvalPlusReportTest, PathsAndHash) {
  EXPECT_EQ(EvalPlusResultsPath("out/samples.jsonl"), "out/samples.eval_results.json");
  EXPECT_EQ(EvalPlusResultsPath("samples.jsonl.gz"), "samples.eval_results.json");
  std::filesystem::path dir = testing::FreshTestDir("evalplus_paths");
  EXPECT_EQ(EvalPlusResultsPath(dir.string() + "/"), dir.string() + "/eval_results.json");
  std::ofstream(dir / "p.jsonl") << "abc\n";
  // md5("abc\n")
  EXPECT_EQ(*ProblemFileMd5((dir / "p.jsonl").string()), "0bee89b07a248e27c83fc3d5951213c1");
  std::filesystem::remove_all(dir);
}

TEST(EvalPlusReportTest, UnreadableRecordsNameFileAndLine) {
  std::filesystem::path dir = testing::FreshTestDir("evalplus_bad");
  std::string results = (dir / "r.jsonl").string();
  std::ofstream(results) << R"({"task_id":"HumanEval/0","passed":true})" "\n" << "{oops\n";
  EvalPlusReportOptions o;
  o.results_path = results;
  o.out_path = (dir / "e.json").string();
  absl::StatusOr<EvalPlusPassAtK> p = WriteEvalPlusResults(TwoProblems(), o);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find(results + ":2"), std::string::npos) << p.status();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fathom::grader
