// The summary text and the --json object.
#include "grader/pipeline/summary.h"

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
  std::string text = SummaryText(Report(), RunInfo());
  EXPECT_EQ(text.substr(0, text.find('\n')), "{'pass@1': 0.75}");
  EXPECT_THAT(text, ::testing::HasSubstr("2 / 3 covered"));
  EXPECT_THAT(text, ::testing::HasSubstr("passed 9 timeout 3"));
  EXPECT_THAT(text, ::testing::HasSubstr("1 bad input records"));
  EXPECT_THAT(text, ::testing::HasSubstr("6.0 samples/s"));
  EXPECT_THAT(text, ::testing::HasSubstr("\n  time limit 3.0 s CPU (fixed)\n"));
}

TimeLimitInfo AutoInfo(bool cached) {
  ProblemSet problems;
  for (const char* id : {"a", "b", "c"}) {
    Problem p;
    p.task_id = id;
    problems.problems.push_back(p);
  }
  Calibration c;
  c.cached = cached;
  c.measure_s = cached ? 0 : 12.34;
  c.cache_path = "/cache/calibration-k.json";
  c.data.startup_cpu_ms = {90, 80};
  c.table.cpu_limit_ms = {1000, 2450, 2450};
  c.table.fallback = {2};
  c.table.fallback_ms = 2450;
  return AutoTimeLimitInfo(c, problems);
}

TEST(SummaryTest, AutoTimeLimitIsDescribedInTextAndJson) {
  RunInfo info;
  info.time_limit = AutoInfo(/*cached=*/false);
  EXPECT_THAT(SummaryText(Report(), info),
              ::testing::HasSubstr("\n  time limit auto: 2.5 s CPU median (1.0 s to 2.5 s), "
                                   "calibrated in 12.3 s, 1 on the fallback 2.5 s\n"));
  nlohmann::ordered_json j = SummaryJson(Report(), info);
  EXPECT_TRUE(j["limits"]["cpu_time_ms"].is_null());
  EXPECT_TRUE(j["limits"]["wall_time_ms"].is_null());
  EXPECT_EQ(j["time_limit"].dump(),
            R"({"mode":"auto","floor_ms":1000,"promise":10,"margin":1.5,"startup_cpu_ms":80,)"
            R"("calibration":"measured","calibration_s":12.34,)"
            R"("cache_file":"/cache/calibration-k.json",)"
            R"("cpu_limit_ms":{"min":1000,"median":2450,"max":2450},"fallback_ms":2450,)"
            R"("fallback_tasks":["c"]})");
  info.time_limit = AutoInfo(/*cached=*/true);
  EXPECT_THAT(SummaryText(Report(), info), ::testing::HasSubstr(", calibration cached,"));
  EXPECT_EQ(SummaryJson(Report(), info)["time_limit"]["calibration"], "cached");
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
  EXPECT_EQ(j["time_limit"].dump(), R"({"mode":"fixed","cpu_time_ms":3000})");
  EXPECT_EQ(j["runtime"]["interpreter_version"], "3.11.2");
  EXPECT_EQ(j["runtime"]["layers"][0], "seccomp");
  EXPECT_EQ(j["runtime"]["fathom_version"], "0.1.0");
}

}  // namespace
}  // namespace fathom::grader
