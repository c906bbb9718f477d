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
    if (workers <= 2) {
      EXPECT_EQ(max_running.load(), workers);
    }
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
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // One running + two queued; the fourth Submit is still waiting.
  EXPECT_EQ(submitted.load(), 3);
  release = true;
  producer.join();
  pool.Finish();
  EXPECT_EQ(submitted.load(), 10);
}

TEST(WorkerPoolTest, AvailableCoresIsPositive) { EXPECT_GE(AvailableCores(), 1); }

}  // namespace
}  // namespace fathom::grader
