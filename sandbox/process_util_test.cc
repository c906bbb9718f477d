// RunClock: when a run's monitor asks for its CPU, and what it decides.
#include "sandbox/process_util.h"

#include <unistd.h>

#include <algorithm>

#include "gtest/gtest.h"

namespace fathom::sandbox {
namespace {

int64_t Cores() { return std::max<long>(1, sysconf(_SC_NPROCESSORS_ONLN)); }

TEST(RunClockTest, TheCpuIsNotAskedWhileTheLimitIsOutOfReach) {
  // Started now, a minute of CPU allowed: no core count reaches that in a few ms.
  RunClock clock(MonotonicMs(), 60000 * Cores(), 600000);
  int asked = 0;
  int64_t sleep_ms = 0;
  EXPECT_EQ(clock.Check([&] { return ++asked, int64_t{0}; }, [] { return int64_t{0}; },
                        &sleep_ms),
            KillReason::kNone);
  EXPECT_EQ(asked, 0);
  // It sleeps until the limit could be in reach, not past it.
  EXPECT_GT(sleep_ms, 50000);
  EXPECT_LE(sleep_ms, 60000);
}

TEST(RunClockTest, ALimitWithinReachIsAskedAndEnforced) {
  // Started a second ago with 50 ms allowed: the run may have used them.
  RunClock clock(MonotonicMs() - 1000, 50, 600000);
  int asked = 0;
  int64_t sleep_ms = 0;
  int64_t used = 49;
  EXPECT_EQ(clock.Check([&] { return ++asked, used; }, [] { return int64_t{0}; }, &sleep_ms),
            KillReason::kNone);
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(sleep_ms, 1);  // one ms left, on every core at once
  used = 50;
  EXPECT_EQ(clock.Check([&] { return ++asked, used; }, [] { return int64_t{0}; }, &sleep_ms),
            KillReason::kCpu);
  EXPECT_EQ(asked, 2);
}

TEST(RunClockTest, AfterAnAnswerTheNextIsAskedOnlyWhenItCouldMatter) {
  // Started 100 s ago with a little more than 100 s x cores allowed: asked at once (the
  // run could be that close), answered "almost nothing", then not asked again until the
  // whole limit could be used up from there.
  const int64_t limit = 100001 * Cores();
  RunClock clock(MonotonicMs() - 100000, limit, 6000000);
  int asked = 0;
  int64_t sleep_ms = 0;
  auto cpu = [&] { return ++asked, int64_t{3}; };
  EXPECT_EQ(clock.Check(cpu, [] { return int64_t{0}; }, &sleep_ms), KillReason::kNone);
  EXPECT_EQ(asked, 1);
  EXPECT_GT(sleep_ms, 90000);
  EXPECT_EQ(clock.Check(cpu, [] { return int64_t{0}; }, &sleep_ms), KillReason::kNone);
  EXPECT_EQ(asked, 1);
  EXPECT_GT(sleep_ms, 90000);
}

}  // namespace
}  // namespace fathom::sandbox
