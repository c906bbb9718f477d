// The worker pool never runs more than `workers` jobs at once and runs every job.
#include "grader/pipeline/scheduler.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

TEST(WorkerPoolTest, ConcurrencyNeverExceedsWorkers) {
  for (int workers : {1, 2, 3, 8}) {
    std::atomic<int> running{0}, max_running{0}, done{0};
    {
      WorkerPool pool(workers, 4);
      for (int i = 0; i < 200; ++i) {
        pool.Submit([&] {
          int now = ++running;
          int prev = max_running.load();
          while (now > prev && !max_running.compare_exchange_weak(prev, now)) {
          }
          std::this_thread::sleep_for(std::chrono::microseconds(200));
          --running;
          ++done;
        });
      }
      pool.Finish();
    }
    EXPECT_EQ(done.load(), 200);
    EXPECT_LE(max_running.load(), workers);
  }
}

// The pool does run `workers` jobs at once: `workers` jobs that each wait for all the
// others to have started can only finish if they run together. (Counting the overlap of
// short jobs instead failed beside CPU hogs, when one worker thread was not scheduled
// while the other ran its jobs.)
TEST(WorkerPoolTest, RunsWorkersJobsAtOnce) {
  for (int workers : {1, 2, 3, 8}) {
    std::atomic<int> started{0}, met{0};
    {
      WorkerPool pool(workers, workers);
      for (int i = 0; i < workers; ++i) {
        pool.Submit([&] {
          ++started;
          // Bounded, so that a pool that runs them one by one fails instead of hanging.
          for (int wait = 0; wait < 60000 && started.load() < workers; ++wait) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
          if (started.load() == workers) ++met;
        });
      }
      pool.Finish();
    }
    EXPECT_EQ(met.load(), workers) << workers << " workers";
  }
}

TEST(WorkerPoolTest, SubmitBlocksWhenQueueIsFull) {
  std::atomic<bool> release{false};
  std::atomic<int> submitted{0};
  WorkerPool pool(1, 2);
  std::thread producer([&] {
    for (int i = 0; i < 10; ++i) {
      pool.Submit([&] {
        while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      });
      ++submitted;
    }
  });
  // One running + two queued, then the fourth Submit waits. Wait for the three (however
  // slowly a loaded machine schedules the producer), then give a fourth the time to get
  // through if it could: the count must stay at 3.
  for (int i = 0; i < 6000 && submitted.load() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(submitted.load(), 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  release = true;
  producer.join();
  pool.Finish();
  EXPECT_EQ(submitted.load(), 10);
}

TEST(WorkerPoolTest, AvailableCoresIsPositive) { EXPECT_GE(AvailableCores(), 1); }

}  // namespace
}  // namespace fathom::grader
