// The fair bounded run queue.
#include "service/run_queue.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "sandbox/process_util.h"

namespace fathom::service {

void Tenant::Cancel() {
  std::vector<Job> dropped;
  std::vector<std::function<void()>> admitted;
  {
    std::lock_guard<std::mutex> lock(queue_->mu_);
    // The queued jobs leave the queue before the token kills the running ones, and both
    // under the lock: a worker freed by a killed run must not pop one of this tenant's
    // queued jobs in between, and no Submit can add one after.
    dropped = queue_->TakeJobsLocked(this);
    token_->Cancel();
    admitted = queue_->AdmitParkedLocked();  // the freed room goes to parked batches
  }
  if (!admitted.empty()) queue_->work_cv_.notify_all();
  for (auto& f : admitted) f();
  for (Job& job : dropped) job(-1);
}

RunQueue::RunQueue(const Options& options) : capacity_(options.capacity) {
  const std::vector<int> cpus =
      options.pin_workers ? sandbox::CpusToPin(options.workers) : std::vector<int>();
  for (int i = 0; i < options.workers; ++i) {
    const int cpu = cpus.empty() ? -1 : cpus[i];
    threads_.emplace_back([this, i, cpu] { WorkerLoop(i, cpu); });
  }
}

RunQueue::~RunQueue() {
  std::vector<Job> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutdown_ = true;
    stopping_ = true;
    for (const auto& t : ring_) {
      for (Job& j : t->jobs_) dropped.push_back(std::move(j));
      t->jobs_.clear();
      t->in_ring_ = false;
    }
    ring_.clear();
    for (Parked& p : parked_) {
      for (Job& j : p.jobs) dropped.push_back(std::move(j));
    }
    parked_.clear();
    queued_ = parked_jobs_ = 0;
  }
  work_cv_.notify_all();
  for (Job& job : dropped) job(-1);
  for (std::thread& t : threads_) t.join();
}

absl::StatusOr<std::shared_ptr<Tenant>> RunQueue::NewTenant() {
  absl::StatusOr<std::shared_ptr<sandbox::CancelToken>> token = sandbox::CancelToken::Create();
  if (!token.ok()) return token.status();
  return std::shared_ptr<Tenant>(new Tenant(this, *std::move(token)));
}

absl::Status RunQueue::CheckSubmitLocked(const Tenant& tenant, size_t jobs) const {
  if (jobs > capacity_) {
    return absl::InvalidArgumentError(absl::StrCat(
        jobs, " runs in one request; this server queues at most ", capacity_));
  }
  if (shutdown_) return absl::UnavailableError("the server is shutting down");
  if (tenant.cancelled()) return absl::CancelledError("the call was cancelled");
  return absl::OkStatus();
}

absl::Status RunQueue::Submit(const std::shared_ptr<Tenant>& tenant, std::vector<Job> jobs) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (absl::Status s = CheckSubmitLocked(*tenant, jobs.size()); !s.ok()) return s;
    if (queued_ + parked_jobs_ + jobs.size() > capacity_) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the run queue is full (", queued_ + parked_jobs_, " of ", capacity_,
          " waiting); retry later or on another replica"));
    }
    EnqueueLocked(tenant, std::move(jobs));
  }
  work_cv_.notify_all();
  return absl::OkStatus();
}

absl::Status RunQueue::SubmitWhenRoom(const std::shared_ptr<Tenant>& tenant,
                                      std::vector<Job> jobs, std::function<void()> on_queued) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (absl::Status s = CheckSubmitLocked(*tenant, jobs.size()); !s.ok()) return s;
    if (!parked_.empty() || queued_ + jobs.size() > capacity_) {
      parked_jobs_ += jobs.size();
      parked_.push_back(Parked{tenant, std::move(jobs), std::move(on_queued)});
      return absl::OkStatus();
    }
    EnqueueLocked(tenant, std::move(jobs));
  }
  work_cv_.notify_all();
  if (on_queued) on_queued();
  return absl::OkStatus();
}

void RunQueue::Shutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutdown_ = true;
}

size_t RunQueue::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queued_ + parked_jobs_;
}

void RunQueue::EnqueueLocked(const std::shared_ptr<Tenant>& tenant, std::vector<Job> jobs) {
  if (jobs.empty()) return;
  queued_ += jobs.size();
  for (Job& j : jobs) tenant->jobs_.push_back(std::move(j));
  if (!tenant->in_ring_) {
    tenant->in_ring_ = true;
    ring_.push_back(tenant);
  }
}

std::vector<std::function<void()>> RunQueue::AdmitParkedLocked() {
  std::vector<std::function<void()>> admitted;
  while (!parked_.empty() && queued_ + parked_.front().jobs.size() <= capacity_) {
    Parked p = std::move(parked_.front());
    parked_.pop_front();
    parked_jobs_ -= p.jobs.size();
    EnqueueLocked(p.tenant, std::move(p.jobs));
    if (p.on_queued) admitted.push_back(std::move(p.on_queued));
  }
  return admitted;
}

std::vector<Job> RunQueue::TakeJobsLocked(Tenant* tenant) {
  std::vector<Job> taken;
  for (Job& j : tenant->jobs_) taken.push_back(std::move(j));
  queued_ -= tenant->jobs_.size();
  tenant->jobs_.clear();
  if (tenant->in_ring_) {
    tenant->in_ring_ = false;
    for (auto it = ring_.begin(); it != ring_.end(); ++it) {
      if (it->get() == tenant) {
        ring_.erase(it);
        break;
      }
    }
  }
  for (auto it = parked_.begin(); it != parked_.end();) {
    if (it->tenant.get() == tenant) {
      parked_jobs_ -= it->jobs.size();
      for (Job& j : it->jobs) taken.push_back(std::move(j));
      it = parked_.erase(it);
    } else {
      ++it;
    }
  }
  return taken;
}

void RunQueue::WorkerLoop(int worker_id, int cpu) {
  sandbox::ThreadOnCpu on_cpu(cpu);
  for (;;) {
    Job job;
    std::vector<std::function<void()>> admitted;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || !ring_.empty(); });
      if (stopping_) return;
      std::shared_ptr<Tenant> tenant = std::move(ring_.front());
      ring_.pop_front();
      job = std::move(tenant->jobs_.front());
      tenant->jobs_.pop_front();
      --queued_;
      if (tenant->jobs_.empty()) {
        tenant->in_ring_ = false;
      } else {
        ring_.push_back(std::move(tenant));  // one job per tenant in turn
      }
      running_.fetch_add(1);
      admitted = AdmitParkedLocked();
    }
    if (!admitted.empty()) work_cv_.notify_all();
    for (auto& f : admitted) f();
    job(worker_id);
    running_.fetch_sub(1);
  }
}

}  // namespace fathom::service
