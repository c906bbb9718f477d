// The registry: the built-in copy, the suite, aliases, errors with file:line:column, and
// the strict scoring rules that are ours (not GPT-Fathom's).
#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include <fstream>

#include "driver/bench/drop_metric.h"
#include "driver/bench/scoring.h"
#include "driver/benchmark.h"

namespace fathom::driver {
namespace {

namespace fs = std::filesystem;

TEST(Registry, BuiltinHasTheSuiteInTableOrder) {
  absl::StatusOr<Registry> r = Registry::LoadBuiltin();
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<std::string> names;
  for (const Benchmark* b : r->Suite("gpt-fathom")) names.push_back(b->info().name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "nq", "webq", "triviaqa", "mmlu", "agieval-en", "arc-e", "arc-c",
                       "lambada", "hellaswag", "winogrande", "bbh", "race-m", "race-h", "drop",
                       "gsm8k", "math", "humaneval", "mbpp", "agieval-zh", "ceval", "mgsm",
                       "tydiqa", "truthfulqa", "realtoxicity"}));
  EXPECT_TRUE(r->Suite("nope").empty());
  EXPECT_EQ(r->Find("mmlu-set-5shot"), r->Find("mmlu"));
  EXPECT_EQ(r->Find("realtoxic")->info().scoring, Scoring::kExternal);
  EXPECT_EQ(r->Find("mmlu")->info().subtasks.size(), 57u);
  EXPECT_EQ(r->Find("ceval")->info().subtasks.size(), 52u);
  EXPECT_EQ(r->Find("bbh")->info().subtasks.size(), 27u);
  EXPECT_EQ(r->Find("agieval-en")->info().subtasks.size(), 9u);
  EXPECT_EQ(r->Find("agieval-zh")->info().subtasks.size(), 12u);
  EXPECT_EQ(r->Find("mgsm")->info().subtasks.size(), 10u);
  EXPECT_EQ(r->Find("tydiqa")->info().subtasks.size(), 11u);
  EXPECT_EQ(r->Find("mgsm")->shots(Mode::kFaithful).count, 6);
  EXPECT_EQ(r->Find("mgsm")->shots(Mode::kStrict).count, 8);
  EXPECT_EQ(r->Find("race-m")->shots(Mode::kStrict).split, "train");
  EXPECT_EQ(r->Find("lambada")->shots(Mode::kFaithful).holdout, 15);
  // Every BBH task has its shipped prompt file.
  for (const std::string& t : r->Find("bbh")->info().subtasks) {
    EXPECT_EQ(r->Find("bbh")->BuiltinShots(t, Mode::kFaithful).size(), 1u) << t;
  }
  // The folder and the built-in copy are the same registry.
  absl::StatusOr<Registry> dir = Registry::Load(std::string(FATHOM_SOURCE_DIR) + "/benchmarks");
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(dir->hash(), r->hash());
  EXPECT_EQ(r->hash().size(), 64u);
}

class BadYaml : public ::testing::Test {
 protected:
  // Each test is its own process under ctest -j: a folder of its own.
  static fs::path Dir() {
    return fs::path(::testing::TempDir()) /
           ("registry_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(Dir()); }
  absl::Status LoadWith(const std::string& name, const std::string& text) {
    const fs::path dir = Dir();
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / name) << text;
    return Registry::Load(dir.string()).status();
  }
};

constexpr char kGood[] = R"(name: x
title: X
category: Knowledge
metric: accuracy
scoring: judge
eval_split: test
schema: {question: q}
shots:
  faithful: {kind: none}
decoding: {max_tokens: 10}
template: {family: qa, system: "S:"}
extractor: {faithful: raw, strict: first_line}
matcher: {faithful: fuzzy, strict: contains}
)";

TEST_F(BadYaml, GoodFileLoads) { EXPECT_TRUE(LoadWith("x.yaml", kGood).ok()); }

TEST_F(BadYaml, UnknownKeyNamesFileLineColumn) {
  absl::Status s = LoadWith("x.yaml", std::string(kGood) + "colour: red\n");
  EXPECT_EQ(s.message().substr(0, 22), "x.yaml:14:1: colour: u") << s;
}

TEST_F(BadYaml, BadValueNamesItsPosition) {
  std::string text = kGood;
  text.replace(text.find("max_tokens: 10"), 14, "max_tokens: ten");
  absl::Status s = LoadWith("x.yaml", text);
  EXPECT_EQ(s.message().substr(0, 26), "x.yaml:10:24: max_tokens: ") << s;
  text = kGood;
  text.replace(text.find("family: qa"), 10, "family: quiz");
  s = LoadWith("x.yaml", text);
  EXPECT_NE(s.message().find("x.yaml:11:20: family: unknown value 'quiz'"), std::string::npos) << s;
  text = kGood;
  text.replace(text.find("strict: first_line"), 18, "strict: second_line");
  s = LoadWith("x.yaml", text);
  EXPECT_NE(s.message().find("x.yaml:12:36: strict: unknown value"), std::string::npos) << s;
}

TEST_F(BadYaml, SyntaxErrorAndMissingKey) {
  absl::Status s = LoadWith("x.yaml", "name: [x\n");
  EXPECT_NE(s.message().find("x.yaml:"), std::string::npos);
  EXPECT_NE(s.message().find("invalid YAML"), std::string::npos) << s;
  std::string text = kGood;
  text.erase(text.find("title: X\n"), 9);
  s = LoadWith("x.yaml", text);
  EXPECT_EQ(s.message(), "x.yaml:1:1: title: required, missing");
}

// Strict rules are ours; these pin their behaviour.
TEST(Strict, Numbers) {
  EXPECT_EQ(bench::StrictLastNumber("so -3.5 then 1,000 apples", ""), "1,000");
  EXPECT_EQ(bench::StrictLastNumber("The answer is -7. Check: 3", "The answer is "), "-7");
  EXPECT_TRUE(bench::NumbersEqual("1,000", "1000.0"));
  EXPECT_TRUE(bench::NumbersEqual("-0", "0"));
  EXPECT_FALSE(bench::NumbersEqual("180", "18"));
  EXPECT_TRUE(bench::NumbersEqual("\u09e7\u09e8", "12"));
}

TEST(Strict, McLetter) {
  EXPECT_EQ(bench::StrictMcLetter("(C) not (A)"), "C");
  EXPECT_EQ(bench::StrictMcLetter(" B. because"), "B");
  EXPECT_EQ(bench::StrictMcLetter("Because"), "");
  EXPECT_EQ(bench::StrictMcLetter("The answer is D"), "D");
}

// The official DROP metric (drop_eval.py's documented behaviour).
TEST(Strict, DropOfficial) {
  EXPECT_DOUBLE_EQ(bench::DropMetrics({"3.5"}, {"3.50"}).f1, 1.0);
  EXPECT_DOUBLE_EQ(bench::DropMetrics({"the Heron"}, {"Heron", "Gull"}).f1, 0.5);
  EXPECT_DOUBLE_EQ(bench::DropMetrics({"Gull", "Heron"}, {"Heron", "Gull"}).exact_match, 1.0);
  EXPECT_DOUBLE_EQ(bench::DropMetrics({"1894 bridge"}, {"1895 bridge"}).f1, 0.0);
  EXPECT_EQ(bench::PyFloatRepr(1e16), "1e+16");
  EXPECT_EQ(bench::PyFloatRepr(0.0001), "0.0001");
  EXPECT_EQ(bench::PyFloatRepr(1.5e-5), "1.5e-05");
  EXPECT_EQ(bench::PyFloatRepr(123.0), "123.0");
  EXPECT_EQ(bench::DropNormalizeAnswer("The 3-point $4.50"), "3.0 point 450.0");
}

}  // namespace
}  // namespace fathom::driver
