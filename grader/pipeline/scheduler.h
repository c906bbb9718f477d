// A fixed pool of worker threads pulling jobs from a bounded queue: at most `workers`
// jobs run at once (so never more concurrent sandbox runs than workers), and Submit()
// blocks while the queue is full (so a producer streaming samples keeps memory flat).
//
// Thread safety: Submit() may be called from any thread (normally one producer);
// Finish() once, from the owner. Jobs run on the pool's threads and must not throw.
#ifndef FATHOM_GRADER_PIPELINE_SCHEDULER_H_
#define FATHOM_GRADER_PIPELINE_SCHEDULER_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace fathom::grader {

class WorkerPool {
 public:
  // REQUIRES: workers >= 1, queue_capacity >= 1.
  WorkerPool(int workers, size_t queue_capacity);
  // Calls Finish().
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `job`, waiting while `queue_capacity` jobs are already queued (not counting
  // the running ones).
  void Submit(std::function<void()> job);
  // Runs every queued job to completion and joins the threads. Idempotent.
  void Finish();

 private:
  void WorkerLoop();

  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<std::function<void()>> queue_;  // GUARDED_BY(mu_)
  bool closing_ = false;                     // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;
};

// The number of CPUs this process may run on (sched_getaffinity), at least 1.
int AvailableCores();

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_SCHEDULER_H_
