// The summary text and the --json object.
#include "grader/summary.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

GradeReport Report() {
  GradeReport r;
  r.results_path = "s.jsonl_results.jsonl";
  r.tasks_total = 3;
  r.tasks = {{"a", {6, 3}}, {"b", {6, 6}}};
  r.samples = 12;
  r.status_counts[static_cast<size_t>(SampleStatus::kPassed)] = 9;
  r.status_counts[static_cast<size_t>(SampleStatus::kTimeout)] = 3;
  r.bad_records = 1;
  r.ran = 12;
  r.elapsed_s = 2.0;
  r.completed = true;
  r.pass_at_k = MeanPassAtK({{6, 3}, {6, 6}}, {1, 10});
  return r;
}

TEST(SummaryTest, TextStartsWithHumanEvalsLine) {
  std::string text = SummaryText(Report());
  EXPECT_EQ(text.substr(0, text.find('\n')), "{'pass@1': 0.75}");
  EXPECT_THAT(text, ::testing::HasSubstr("2 / 3 covered"));
  EXPECT_THAT(text, ::testing::HasSubstr("passed 9 timeout 3"));
  EXPECT_THAT(text, ::testing::HasSubstr("1 bad input records"));
  EXPECT_THAT(text, ::testing::HasSubstr("6.0 samples/s"));
}

TEST(SummaryTest, JsonHasEverySection) {
  RunInfo info;
  info.runtime_name = "python";
  info.interpreter_version = "3.11.2";
  info.policy_hash = "abc";
  info.layers = {"seccomp"};
  info.fathom_version = "0.1.0";
  nlohmann::ordered_json j = SummaryJson(Report(), info);
  EXPECT_EQ(j["pass_at_k"].dump(), R"({"pass@1":0.75})");
  EXPECT_EQ(j["tasks"]["a"]["n"], 6);
  EXPECT_EQ(j["tasks"]["a"]["c"], 3);
  EXPECT_EQ(j["status_counts"]["timeout"], 3);
  EXPECT_EQ(j["coverage"]["tasks_covered"], 2);
  EXPECT_EQ(j["coverage"]["tasks_total"], 3);
  EXPECT_EQ(j["limits"]["cpu_time_ms"], 3000);
  EXPECT_EQ(j["limits"]["wall_time_ms"], 8000);
  EXPECT_EQ(j["runtime"]["interpreter_version"], "3.11.2");
  EXPECT_EQ(j["runtime"]["layers"][0], "seccomp");
  EXPECT_EQ(j["runtime"]["fathom_version"], "0.1.0");
}

}  // namespace
}  // namespace fathom::grader
