// The server's bounded, fair queue of sandbox runs and the fixed set of workers that make
// them. No gRPC here: the gRPC adapter (grader_service.cc) and the core (core.h) use it.
//
// - At most `workers` jobs run at once (one per core given to the server: concurrency
//   never exceeds the cores, so a busy server does not turn into false timeouts).
// - At most `capacity` jobs wait. Submit() takes a whole batch or nothing and answers
//   ResourceExhausted when it does not fit: the caller's client retries later or
//   elsewhere. SubmitWhenRoom() instead parks the batch (a stream's next batch) and
//   admits it, ahead of new Submit()s, as soon as it fits.
// - Fairness: each call is a Tenant with its own FIFO; workers take one job per tenant in
//   turn, so one large batch does not starve the small calls behind it.
// - Cancellation: Tenant::Cancel() fires the tenant's CancelToken (its running jobs'
//   sandbox runs die at once) and drops its queued and parked jobs; a dropped job is
//   still called, with worker_id -1, so every job is called exactly once.
//
// Thread safety: every member may be called from any thread. Jobs run on worker threads
// (dropped ones on the thread that cancels or destroys) and must not throw; a job may
// call Submit() and Cancel() but must not destroy the queue.
#ifndef FATHOM_SERVICE_RUN_QUEUE_H_
#define FATHOM_SERVICE_RUN_QUEUE_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "sandbox/run_spec.h"

namespace fathom::service {

// One unit of work. `worker_id` is the worker running it (0 .. workers-1), or -1 when it
// was dropped without running (its tenant was cancelled or the queue shut down).
using Job = std::function<void(int worker_id)>;

class RunQueue;

// One call's share of the queue. Created by RunQueue::NewTenant; shared by the call and
// the queue.
class Tenant {
 public:
  // The token to put in every RunSpec this tenant's jobs make.
  const std::shared_ptr<sandbox::CancelToken>& cancel_token() const { return token_; }
  bool cancelled() const { return token_->cancelled(); }
  // Kills the tenant's running runs (through the token) and drops its queued and parked
  // jobs (each called with -1 on this thread). Idempotent.
  void Cancel();

 private:
  friend class RunQueue;
  Tenant(RunQueue* queue, std::shared_ptr<sandbox::CancelToken> token)
      : queue_(queue), token_(std::move(token)) {}
  RunQueue* const queue_;
  const std::shared_ptr<sandbox::CancelToken> token_;
  std::deque<Job> jobs_;  // GUARDED_BY(queue_->mu_)
  bool in_ring_ = false;  // GUARDED_BY(queue_->mu_)
};

class RunQueue {
 public:
  struct Options {
    int workers = 1;        // >= 1
    size_t capacity = 256;  // queued jobs (not counting running ones), >= 1
    // Worker k stays on one CPU for its life (sandbox::CpusToPin: only when the workers
    // take every CPU the process may use). Its runs' wake-ups then stay on that CPU, and
    // it meets the zygote slot pinned there; the runs it starts get every CPU back
    // (sandbox/child_init.h), so programs are not pinned.
    bool pin_workers = false;
  };

  // Starts the workers. REQUIRES: options valid.
  explicit RunQueue(const Options& options);
  // Drops what is still queued or parked (jobs called with -1), waits for the running
  // jobs and joins the workers.
  ~RunQueue();
  RunQueue(const RunQueue&) = delete;
  RunQueue& operator=(const RunQueue&) = delete;

  // A new tenant with a fresh CancelToken; Internal when no token can be made.
  absl::StatusOr<std::shared_ptr<Tenant>> NewTenant();

  // Queues all of `jobs` for `tenant`, or none: ResourceExhausted when they do not fit
  // (parked batches count as taken), InvalidArgument when more than `capacity`,
  // Cancelled when the tenant is cancelled, Unavailable after Shutdown().
  absl::Status Submit(const std::shared_ptr<Tenant>& tenant, std::vector<Job> jobs);

  // Like Submit, but a batch that does not fit now is parked and queued as soon as it
  // fits (before any later Submit); `on_queued` runs once it is queued (now, on this
  // thread, or later on a worker thread), never when it is dropped. Same errors, except
  // ResourceExhausted.
  absl::Status SubmitWhenRoom(const std::shared_ptr<Tenant>& tenant, std::vector<Job> jobs,
                              std::function<void()> on_queued);

  // No more Submits (Unavailable); queued jobs still run. Idempotent.
  void Shutdown();

  size_t queued() const;  // jobs waiting (parked ones included)
  int running() const { return running_.load(); }
  int workers() const { return static_cast<int>(threads_.size()); }
  size_t capacity() const { return capacity_; }

 private:
  friend class Tenant;
  struct Parked {
    std::shared_ptr<Tenant> tenant;
    std::vector<Job> jobs;
    std::function<void()> on_queued;
  };
  void WorkerLoop(int worker_id, int cpu);
  // The errors Submit and SubmitWhenRoom share. REQUIRES: mu_ held.
  absl::Status CheckSubmitLocked(const Tenant& tenant, size_t jobs) const;
  // REQUIRES: mu_ held.
  void EnqueueLocked(const std::shared_ptr<Tenant>& tenant, std::vector<Job> jobs);
  // Queues parked batches that now fit, in order; returns their on_queued callbacks.
  // REQUIRES: mu_ held.
  std::vector<std::function<void()>> AdmitParkedLocked();
  // Removes the tenant's queued and parked jobs. REQUIRES: mu_ held.
  std::vector<Job> TakeJobsLocked(Tenant* tenant);

  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<std::shared_ptr<Tenant>> ring_;  // tenants with queued jobs; GUARDED_BY(mu_)
  std::deque<Parked> parked_;                 // GUARDED_BY(mu_)
  size_t queued_ = 0;                         // jobs in tenants' FIFOs; GUARDED_BY(mu_)
  size_t parked_jobs_ = 0;                    // GUARDED_BY(mu_)
  bool shutdown_ = false;                     // GUARDED_BY(mu_)
  bool stopping_ = false;                     // workers exit; GUARDED_BY(mu_)
  std::atomic<int> running_{0};
  std::vector<std::thread> threads_;
};

}  // namespace fathom::service

#endif  // FATHOM_SERVICE_RUN_QUEUE_H_
