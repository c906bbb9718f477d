// Harness trace points and the phases a traced run is cut into.
#include "grader/pipeline/phase_trace.h"

#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

TEST(ParseHarnessTraceTest, ReadsPointsAndSkipsMalformedOnes) {
  std::vector<sandbox::TracePoint> points;
  ParseHarnessTrace("main 100 20 5;bad entry;harness 300 70 9;x 1 2;compile 400 x 9;", &points);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0], (sandbox::TracePoint{"main", 100, 20, 5}));
  EXPECT_EQ(points[1], (sandbox::TracePoint{"harness", 300, 70, 9}));
}

TEST(TracePhasesTest, ForkFirstThenChildPhasesInTimeOrderThenReap) {
  sandbox::RunTrace trace;
  trace.child = {{"born", 1000000, 0, 10},
                 {"spare", 3000000, 20000, 11},
                 {"program", 9000000, 900000, 40},  // out of order: sorted by time
                 {"layers", 5000000, 300000, 20}};
  trace.zygote = {{"reap", 9500000, 9600000, 50000, 1}, {"fork", 0, 400000, 300000, 2}};
  std::vector<sandbox::PhaseTime> phases = sandbox::TracePhases(trace);
  ASSERT_EQ(phases.size(), 5u);
  EXPECT_EQ(phases[0].name, "fork");
  EXPECT_TRUE(phases[0].in_zygote);
  EXPECT_EQ(phases[0].wall_us, 400);
  EXPECT_EQ(phases[0].cpu_us, 300);
  EXPECT_EQ(phases[1].name, "spare");
  EXPECT_EQ(phases[1].wall_us, 2000);
  EXPECT_EQ(phases[1].cpu_us, 20);
  EXPECT_EQ(phases[1].minflt, 1);
  EXPECT_EQ(phases[2].name, "layers");
  EXPECT_EQ(phases[3].name, "program");
  EXPECT_EQ(phases[3].cpu_us, 600);
  EXPECT_EQ(phases[3].minflt, 20);
  EXPECT_EQ(phases[4].name, "reap");
  EXPECT_EQ(phases[4].wall_us, 100);
}

TEST(TracePhasesTest, UnknownFaultsStayUnknown) {
  sandbox::RunTrace trace;
  trace.child = {{"a", 1000, 0, -1}, {"b", 2000, 1000, 7}};
  std::vector<sandbox::PhaseTime> phases = sandbox::TracePhases(trace);
  ASSERT_EQ(phases.size(), 1u);
  EXPECT_EQ(phases[0].minflt, -1);
}

TEST(PhasesJsonTest, OneObjectPerPhase) {
  nlohmann::json j = PhasesJson({{"fork", 400, 300, 2, true}, {"exit", 900, 800, 5, false}});
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["name"], "fork");
  EXPECT_EQ(j[0]["process"], "zygote");
  EXPECT_EQ(j[1]["cpu_us"], 800);
  EXPECT_EQ(j[1]["process"], "program");
}

}  // namespace
}  // namespace fathom::grader
