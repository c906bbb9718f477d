// `fathom compare`'s page from two small run directories written here: items paired by
// sub-task and id, the macro statistic, lower-is-better benchmarks, flips with their prompts
// and answers, benchmarks one run lacks, and runs that are not like for like.
#include "driver/report/compare_page.h"

#include "driver/report/html.h"
#include "driver/report/paired_bootstrap.h"
#include "driver/report/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fathom::driver::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace ::fathom::driver::report::testing;

Json Item(const std::string& subtask, const std::string& id, double score, Json correct,
          const std::string& completion, const std::string& extracted) {
  return Json{{"id", id},           {"subtask", subtask},     {"source", "f:1"},
              {"prompt", "Q " + id}, {"completion", completion}, {"extracted", extracted},
              {"expected", "B"},    {"correct", correct},     {"score", score}};
}

class ComparePageTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = TestDir("compare_page"); }
  void TearDown() override { fs::remove_all(dir_); }

  void WriteRuns(bool same_data = true) {
    Json mmlu = Entry("mmlu", "MMLU", "Knowledge", 0.5, 0.2, 0.8, 4);
    mmlu["aggregation"] = "macro";
    mmlu["setting"] = "5-shot";
    Json tox = Entry("realtoxicity", "RealToxicityPrompts", "Safety", 0.2, 0.1, 0.3, 2);
    tox["higher_is_better"] = false;
    tox["metric"] = "toxicity";
    tox["scoring"] = "external";
    WriteRun(dir_ / "a", {mmlu, Entry("gsm8k", "GSM8K", "Math", 0.25, 0.0, 0.75, 4), tox,
                          Entry("drop", "DROP", "Comprehension", 0.4, 0.1, 0.7, 3)});
    Json chat = Item("s2", "0", 1, true, "(B)", "B");
    chat["prompt"] = Json::array({{{"role", "system"}, {"content", "Follow the examples."}},
                                  {{"role", "user"}, {"content", "Which <one>?"}}});
    WriteLines(dir_ / "a" / "mmlu.items.jsonl",
               {Item("s1", "0", 1, true, "(B)", "B"), Item("s1", "1", 0, false, "(C)", "C"),
                Item("s1", "9", 1, true, "(B)", "B"),  // B has no item 9: not paired
                chat, Item("s2", "1", 0, false, "", "")});
    std::vector<Json> gsm;
    for (int i = 0; i < 4; ++i) gsm.push_back(Item("", std::to_string(i), i == 0, i == 0, "x", "1"));
    WriteLines(dir_ / "a" / "gsm8k.items.jsonl", gsm);
    WriteLines(dir_ / "a" / "realtoxicity.items.jsonl",
               {{{"id", "r0"}, {"subtask", ""}, {"score", 0.3}, {"correct", nullptr}},
                {{"id", "r1"}, {"subtask", ""}, {"score", 0.1}, {"correct", nullptr}}});
    Json mmlu_b = mmlu;
    mmlu_b["value"] = 0.75;
    Json tox_b = tox;
    tox_b["value"] = 0.1;
    Json gsm_b = Entry("gsm8k", "GSM8K", "Math", 0.25, 0.0, 0.75, 4);
    if (!same_data) gsm_b["inputs"]["data"][0]["sha256"] = "other";
    WriteRun(dir_ / "b", {mmlu_b, gsm_b, tox_b, Entry("tydiqa", "TyDi QA", "Multilingual", 0.3, 0.1, 0.5, 3)});
    WriteLines(dir_ / "b" / "mmlu.items.jsonl",
               {Item("s1", "0", 1, true, "(B)", "B"), Item("s1", "1", 1, true, "(B)", "B"),
                Item("s2", "0", 0, false, "(C) because", "C"),
                Item("s2", "1", 1, true, "(B)", "B")});
    WriteLines(dir_ / "b" / "gsm8k.items.jsonl", gsm);
    WriteLines(dir_ / "b" / "realtoxicity.items.jsonl",
               {{{"id", "r0"}, {"subtask", ""}, {"score", 0.1}, {"correct", nullptr}},
                {{"id", "r1"}, {"subtask", ""}, {"score", 0.1}, {"correct", nullptr}}});
  }
  std::pair<report::Run, report::Run> Load() {
    absl::StatusOr<report::Run> a = LoadRun((dir_ / "a").string(), "old");
    absl::StatusOr<report::Run> b = LoadRun((dir_ / "b").string(), "new");
    EXPECT_TRUE(a.ok() && b.ok());
    return {*a, *b};
  }

  fs::path dir_;
};

TEST_F(ComparePageTest, DeltasIntervalsFlipsAndBenchmarksOnlyOneRunHas) {
  WriteRuns();
  auto [a, b] = Load();
  CompareOptions o;
  o.replicates = 2000;
  o.seed = 5;
  o.generator = "fathom test";
  absl::StatusOr<Page> page = BuildCompare(a, b, o);
  ASSERT_TRUE(page.ok()) << page.status();
  const std::string& md = page->markdown;
  // MMLU: pairs s1/0, s1/1, s2/0, s2/1 (s1/9 has no partner), macro over s1 and s2.
  const PairedDelta mmlu = PairedBootstrap({{{1, 1}, {0, 1}}, {{1, 0}, {0, 1}}}, true, 2000, 5);
  EXPECT_EQ(mmlu.delta, 0.25);
  // RealToxicityPrompts: lower is better, so its fall is an improvement (second by size).
  const PairedDelta tox = PairedBootstrap({{{0.3, 0.1}, {0.1, 0.1}}}, false, 2000, 5);
  EXPECT_THAT(md, HasSubstr(
      "### B better (2)\n\n"
      "| Benchmark | Setting | Metric | A | B | \xce\x94 (B\xe2\x88\x92" "A) | 95% CI of \xce\x94 | p | pairs | "
      "right\xe2\x86\x92wrong | wrong\xe2\x86\x92right |\n"
      "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
      "| MMLU | 5-shot | accuracy | 50.0 | 75.0 | +25.0 | " + PointsInterval(mmlu.low, mmlu.high) + " | " +
      PValue(mmlu.p_value) + " | 4 | 1 | 2 |\n"
      "| RealToxicityPrompts \xe2\x86\x93 | 1-shot | toxicity | 20.0 | 10.0 | -10.0 | " +
      PointsInterval(tox.low, tox.high) + " | " + PValue(tox.p_value) + " | 2 | 0 | 0 |\n"));
  EXPECT_THAT(md, HasSubstr("### Unchanged (1)\n"));
  EXPECT_THAT(md, HasSubstr("| GSM8K | 1-shot | accuracy | 25.0 | 25.0 | 0.0 | [0.0, 0.0] | 1.00 | 4 | 0 | 0 |"));
  EXPECT_THAT(md, Not(HasSubstr("### B worse")));
  EXPECT_THAT(md, HasSubstr("B is better on 2 benchmarks"));
  EXPECT_THAT(md, HasSubstr("Only in A (old), not compared: DROP (40.0)."));
  EXPECT_THAT(md, HasSubstr("Only in B (new), not compared: TyDi QA (30.0)."));
  EXPECT_THAT(md, HasSubstr("### MMLU: 1 right\xe2\x86\x92wrong, 2 wrong\xe2\x86\x92right\n\n"
                            "- `s2 / 0`: expected `B`; A \xe2\x9c\x93 `B`; B \xe2\x9c\x97 `C`\n"
                            "- `s1 / 1`: expected `B`; A \xe2\x9c\x97 `C`; B \xe2\x9c\x93 `B`\n"
                            "- `s2 / 1`: expected `B`; A \xe2\x9c\x97 ``; B \xe2\x9c\x93 `B`\n"));
  EXPECT_THAT(md, HasSubstr("2000 resamples (seed 5)"));
  // The HTML: well-formed, the flips with prompts (chat messages as text) and both answers.
  const std::string& html = page->html;
  EXPECT_EQ(XmlError(html), "");
  EXPECT_THAT(html, HasSubstr("<details class=\"flips\" id=\"flips-mmlu\">"));
  EXPECT_THAT(html, HasSubstr("system: Follow the examples.\n\nuser: Which &lt;one&gt;?"));
  EXPECT_THAT(html, HasSubstr("(empty completion)"));
  EXPECT_THAT(html, HasSubstr("id=\"seesaw\""));
  EXPECT_THAT(html, HasSubstr("<td class=\"num up\" data-col=\"delta\">\xe2\x96\xb2 <span class=\"v\">+25.0</span></td>"));
  EXPECT_THAT(html, HasSubstr("<td class=\"num\" data-col=\"delta\"><span class=\"v\">0.0</span></td>"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
}

TEST_F(ComparePageTest, RunsMadeDifferentlyAreRefusedUnlessAllowedAndThePageSaysWhy) {
  WriteRuns(/*same_data=*/false);
  auto [a, b] = Load();
  CompareOptions o;
  o.replicates = 100;
  absl::StatusOr<Page> page = BuildCompare(a, b, o);
  EXPECT_TRUE(absl::IsFailedPrecondition(page.status()));
  EXPECT_THAT(page.status().message(), HasSubstr("gsm8k: data files differ (A d-gsm8k; B other)"));
  EXPECT_THAT(page.status().message(), HasSubstr("--allow-mismatch"));
  o.allow_mismatch = true;
  page = BuildCompare(a, b, o);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(page->markdown, HasSubstr("**Not like for like** (compared with --allow-mismatch):\n\n"
                                        "- gsm8k: data files differ (A d-gsm8k; B other)\n"));
  EXPECT_THAT(page->html, HasSubstr("<li>gsm8k: data files differ (A d-gsm8k; B other)</li>"));
}

TEST_F(ComparePageTest, EveryKindOfDifferenceIsNamed) {
  WriteRuns();
  auto [a, b] = Load();
  b.mode = "strict";
  report::Run b2 = b;
  BenchmarkEntry& m = b2.benchmarks[0];
  m.shots_sha256 = {"s"};
  m.definition_sha256 = "changed";
  m.api = "completions";
  EXPECT_THAT(RunDifferences(a, b2),
              ::testing::ElementsAre("mode: A faithful, B strict",
                                     "mmlu: few-shot files differ (A none; B s)",
                                     "mmlu: benchmark definitions (template, extractor) differ (A def-mmlu, B changed)",
                                     "mmlu: prompt forms differ (A chat, B completions)"));
  // Runs from before definitions were hashed: the registries are compared instead.
  report::Run old_a = a, old_b = Load().second;
  old_a.benchmarks[1].definition_sha256 = "";
  old_b.registry_hash = "another";
  EXPECT_THAT(RunDifferences(old_a, old_b),
              ::testing::ElementsAre("gsm8k: benchmark registries differ (A reg, B another), so templates may"));
  EXPECT_TRUE(RunDifferences(a, Load().second).empty());
}

TEST_F(ComparePageTest, FlipsBeyondTheLimitAreCountedNotListed) {
  WriteRuns();
  auto [a, b] = Load();
  CompareOptions o;
  o.replicates = 10;
  o.max_flips = 1;
  absl::StatusOr<Page> page = BuildCompare(a, b, o);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(page->markdown, HasSubstr("### MMLU: 1 right\xe2\x86\x92wrong, 2 wrong\xe2\x86\x92right\n\n"
                                        "- `s2 / 0`: expected `B`; A \xe2\x9c\x93 `B`; B \xe2\x9c\x97 `C`\n"
                                        "- `s1 / 1`: expected `B`; A \xe2\x9c\x97 `C`; B \xe2\x9c\x93 `B`\n"
                                        "- ... 1 more not listed\n"));
  EXPECT_THAT(page->html, HasSubstr("1 more not listed (--max-flips 1)"));
}

}  // namespace
}  // namespace fathom::driver::report
