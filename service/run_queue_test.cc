// The run queue: bounded (all-or-nothing batches), fair between tenants, never more jobs
// at once than workers, cancellation drops queued jobs and fires the token, parked
// batches go first when room frees up.
#include "service/run_queue.h"

#include <sched.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sandbox/process_util.h"

namespace fathom::service {
namespace {

using ::testing::ElementsAre;

// A latch the test opens to let blocked jobs finish.
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Waits (bounded) until `pred` holds.
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

std::shared_ptr<Tenant> NewTenant(RunQueue& q) {
  absl::StatusOr<std::shared_ptr<Tenant>> t = q.NewTenant();
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

TEST(RunQueueTest, NeverMoreJobsAtOnceThanWorkers) {
  RunQueue q({/*workers=*/3, /*capacity=*/100});
  std::atomic<int> running{0}, peak{0}, done{0};
  std::vector<Job> jobs;
  for (int i = 0; i < 30; ++i) {
    jobs.push_back([&](int worker) {
      EXPECT_GE(worker, 0);
      EXPECT_LT(worker, 3);
      int now = ++running;
      int p = peak.load();
      while (now > p && !peak.compare_exchange_weak(p, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      --running;
      ++done;
    });
  }
  ASSERT_TRUE(q.Submit(NewTenant(q), std::move(jobs)).ok());
  ASSERT_TRUE(Eventually([&] { return done.load() == 30; }));
  EXPECT_EQ(peak.load(), 3);
}

TEST(RunQueueTest, FullQueueRefusesWholeBatchesWithResourceExhausted) {
  RunQueue q({1, 3});
  Gate gate;
  auto tenant = NewTenant(q);
  std::atomic<int> ran{0};
  auto blocking = [&](int) {
    gate.Wait();
    ++ran;
  };
  // One job runs (blocked), three wait: the queue is full.
  ASSERT_TRUE(q.Submit(tenant, {blocking}).ok());
  ASSERT_TRUE(Eventually([&] { return q.running() == 1; }));
  ASSERT_TRUE(q.Submit(tenant, {blocking, blocking}).ok());
  EXPECT_EQ(q.Submit(tenant, {blocking, blocking}).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(q.queued(), 2u);  // the refused batch left nothing behind
  ASSERT_TRUE(q.Submit(tenant, {blocking}).ok());
  EXPECT_EQ(q.Submit(tenant, {blocking}).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(q.Submit(tenant, std::vector<Job>(4, blocking)).code(),
            absl::StatusCode::kInvalidArgument);  // could never fit
  gate.Open();
  ASSERT_TRUE(Eventually([&] { return ran.load() == 4; }));
  EXPECT_EQ(q.queued(), 0u);
}

TEST(RunQueueTest, TenantsTakeTurns) {
  RunQueue q({1, 100});
  Gate gate;
  std::mutex mu;
  std::vector<std::string> order;
  auto a = NewTenant(q), b = NewTenant(q);
  ASSERT_TRUE(q.Submit(a, {[&](int) { gate.Wait(); }}).ok());
  ASSERT_TRUE(Eventually([&] { return q.running() == 1; }));
  auto record = [&](std::string name) {
    return [&, name](int) {
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(name);
    };
  };
  ASSERT_TRUE(q.Submit(a, {record("a1"), record("a2"), record("a3")}).ok());
  ASSERT_TRUE(q.Submit(b, {record("b1"), record("b2")}).ok());
  gate.Open();
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    return order.size() == 5;
  }));
  EXPECT_THAT(order, ElementsAre("a1", "b1", "a2", "b2", "a3"));
}

TEST(RunQueueTest, CancelFiresTheTokenAndDropsQueuedJobsOnce) {
  RunQueue q({1, 100});
  Gate gate;
  auto victim = NewTenant(q), other = NewTenant(q);
  std::atomic<int> ran{0}, dropped{0}, other_ran{0};
  ASSERT_TRUE(q.Submit(victim, {[&](int w) {
                 EXPECT_GE(w, 0);
                 gate.Wait();
                 // A real run notices through the token its spec carries.
                 EXPECT_TRUE(victim->cancel_token()->cancelled());
                 ++ran;
               }}).ok());
  ASSERT_TRUE(Eventually([&] { return q.running() == 1; }));
  auto count = [&](int w) { (w < 0 ? dropped : ran)++; };
  ASSERT_TRUE(q.Submit(victim, {count, count, count}).ok());
  ASSERT_TRUE(q.Submit(other, {[&](int w) { other_ran += w >= 0; }}).ok());
  victim->Cancel();
  EXPECT_EQ(dropped.load(), 3);
  EXPECT_EQ(q.queued(), 1u);
  victim->Cancel();  // idempotent: nothing is called twice
  EXPECT_EQ(dropped.load(), 3);
  EXPECT_EQ(q.Submit(victim, {count}).code(), absl::StatusCode::kCancelled);
  gate.Open();
  ASSERT_TRUE(Eventually([&] { return other_ran.load() == 1; }));
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(dropped.load(), 3);
}

// A run killed by the token frees its worker at once. By then the tenant's queued jobs must
// be gone from the queue, or the freed worker starts one of them (a Grade cancelled with
// samples queued used to start them, as cancelled runs).
TEST(RunQueueTest, TheTokenFiresOnlyWhenTheQueuedJobsAreGone) {
  for (int round = 0; round < 50; ++round) {
    RunQueue q({1, 100});
    auto victim = NewTenant(q);
    std::atomic<bool> running{false};
    std::atomic<size_t> queued_when_killed{100};
    std::atomic<int> started_later{0}, dropped{0};
    ASSERT_TRUE(q.Submit(victim, {[&](int) {
                   running = true;
                   while (!victim->cancel_token()->cancelled()) std::this_thread::yield();
                   queued_when_killed = q.queued();
                 }}).ok());
    ASSERT_TRUE(Eventually([&] { return running.load(); }));
    auto job = [&](int w) { (w < 0 ? dropped : started_later)++; };
    ASSERT_TRUE(q.Submit(victim, {job, job}).ok());
    victim->Cancel();
    ASSERT_TRUE(Eventually([&] { return q.running() == 0 && dropped.load() == 2; }));
    EXPECT_EQ(queued_when_killed.load(), 0u) << "round " << round;
    EXPECT_EQ(started_later.load(), 0) << "round " << round;
    if (HasFailure()) return;
  }
}

TEST(RunQueueTest, ParkedBatchWaitsForRoomAndGoesBeforeNewSubmits) {
  RunQueue q({1, 2});
  Gate gate;
  auto stream = NewTenant(q), other = NewTenant(q);
  std::atomic<int> ran{0};
  auto job = [&](int) { ++ran; };
  ASSERT_TRUE(q.Submit(other, {[&](int) { gate.Wait(); }}).ok());
  ASSERT_TRUE(Eventually([&] { return q.running() == 1; }));
  ASSERT_TRUE(q.Submit(other, {job}).ok());
  std::atomic<bool> queued{false};
  ASSERT_TRUE(q.SubmitWhenRoom(stream, {job, job}, [&] { queued = true; }).ok());
  EXPECT_FALSE(queued.load());  // parked: 1 + 2 > 2
  // Parked jobs hold their room: a new Submit does not overtake them.
  EXPECT_EQ(q.Submit(other, {job}).code(), absl::StatusCode::kResourceExhausted);
  gate.Open();
  ASSERT_TRUE(Eventually([&] { return ran.load() == 3; }));
  EXPECT_TRUE(queued.load());
}

TEST(RunQueueTest, CancellingAParkedBatchDropsItWithoutOnQueued) {
  RunQueue q({1, 1});
  Gate gate;
  auto stream = NewTenant(q), other = NewTenant(q);
  ASSERT_TRUE(q.Submit(other, {[&](int) { gate.Wait(); }}).ok());
  ASSERT_TRUE(Eventually([&] { return q.running() == 1; }));
  ASSERT_TRUE(q.Submit(other, {[](int) {}}).ok());
  std::atomic<int> dropped{0};
  bool queued = false;
  ASSERT_TRUE(q.SubmitWhenRoom(stream, {[&](int w) { dropped += w < 0; }},
                               [&] { queued = true; })
                  .ok());
  stream->Cancel();
  EXPECT_EQ(dropped.load(), 1);
  EXPECT_EQ(q.queued(), 1u);
  gate.Open();
  ASSERT_TRUE(Eventually([&] { return q.queued() == 0 && q.running() == 0; }));
  EXPECT_FALSE(queued);
}

TEST(RunQueueTest, DestructorDropsWhatIsLeftAndShutdownRefuses) {
  std::atomic<int> dropped{0};
  Gate gate;
  std::thread opener;
  {
    RunQueue q({1, 10});
    auto t = NewTenant(q);
    ASSERT_TRUE(q.Submit(t, {[&](int) { gate.Wait(); }}).ok());
    ASSERT_TRUE(Eventually([&] { return q.running() == 1; }));
    ASSERT_TRUE(q.Submit(t, {[&](int w) { dropped += w < 0; }}).ok());
    q.Shutdown();
    EXPECT_EQ(q.Submit(t, {[](int) {}}).code(), absl::StatusCode::kUnavailable);
    opener = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      gate.Open();
    });
    // ~RunQueue drops the queued job at once, then waits for the running one.
  }
  opener.join();
  EXPECT_EQ(dropped.load(), 1);
}

// The CPUs the calling thread may run on.
std::vector<int> ThreadCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> out;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return out;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) out.push_back(c);
  }
  return out;
}

// pin_workers keeps worker k on the k-th CPU when the workers take every CPU, and pins
// nothing with fewer workers than CPUs (or without the option).
TEST(RunQueueTest, PinnedWorkersEachKeepOneCpuOnlyWhenTheyTakeThemAll) {
  const std::vector<int> cpus = sandbox::AllowedCpus();
  if (cpus.size() < 2) GTEST_SKIP() << "one CPU: nothing to pin";
  const int n = static_cast<int>(cpus.size());
  struct Case {
    int workers;
    bool pin;
    bool pinned;
  };
  for (const Case& c : {Case{n, true, true}, Case{n - 1, true, false}, Case{n, false, false}}) {
    SCOPED_TRACE(::testing::Message() << c.workers << " workers, pin_workers " << c.pin);
    std::mutex mu;
    std::vector<std::vector<int>> seen(c.workers);
    {
      RunQueue q({c.workers, 100, c.pin});
      auto t = NewTenant(q);
      // Every worker gets a job: each job holds its worker until all have started.
      std::atomic<int> started{0};
      std::vector<Job> jobs;
      for (int i = 0; i < c.workers; ++i) {
        jobs.push_back([&](int w) {
          ASSERT_GE(w, 0);
          {
            std::lock_guard<std::mutex> lock(mu);
            seen[w] = ThreadCpus();
          }
          ++started;
          ASSERT_TRUE(Eventually([&] { return started.load() == c.workers; }));
        });
      }
      ASSERT_TRUE(q.Submit(t, std::move(jobs)).ok());
      ASSERT_TRUE(Eventually([&] { return started.load() == c.workers; }));
    }
    for (int w = 0; w < c.workers; ++w) {
      if (c.pinned) {
        EXPECT_EQ(seen[w], std::vector<int>{cpus[w]}) << "worker " << w;
      } else {
        EXPECT_EQ(seen[w], cpus) << "worker " << w;
      }
    }
  }
}

}  // namespace
}  // namespace fathom::service
