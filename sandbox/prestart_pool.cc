// The pool of pre-started inits (prestart_pool.h).
#include "sandbox/prestart_pool.h"

#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>

#include "sandbox/child_init.h"
#include "sandbox/child_plan.h"
#include "sandbox/user_ns.h"

namespace fathom::sandbox {

Sandbox::PrestartPool::PrestartPool(Sandbox* sandbox, int size)
    : sandbox_(sandbox), size_(size) {
  // One thread per init: starting one mostly waits on the kernel (namespace set-up, RCU
  // grace periods), so they overlap well even on few cores.
  for (int i = 0; i < size; ++i) threads_.emplace_back([this] { Loop(); });
}

Sandbox::PrestartPool::~PrestartPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  ready_.clear();  // kills and reaps them, removes their cgroups
}

std::unique_ptr<LaunchedRun> Sandbox::PrestartPool::Take(size_t plan_bytes,
                                                         uint64_t filter_sequence,
                                                         const Limits& limits,
                                                         MountPlan layout) {
  std::unique_ptr<LaunchedRun> taken, stale;
  std::string key = layout.ops.empty() ? "" : LayoutKey(layout);
  {
    std::unique_lock<std::mutex> lock(mu_);
    next_limits_ = limits;
    if (key != next_layout_key_) {
      next_layout_ = std::move(layout);
      next_layout_key_ = key;
    }
    // Runs back to back can outpace the thread: one being started is closer to ready
    // than a clone from scratch, which would also compete with it for a CPU.
    cv_.wait_for(lock, std::chrono::milliseconds(kWaitMs),
                 [&] { return stop_ || !ready_.empty() || preparing_ == 0; });
    if (ready_.empty() || plan_bytes > ready_.front()->plan_capacity) return nullptr;
    const LaunchedRun& front = *ready_.front();
    pollfd exited = {front.pidfd.get(), POLLIN, 0};
    if (poll(&exited, 1, 0) == 1 ||  // killed from outside while it waited
        filter_sequence > front.filter_sequence ||
        (front.laid_out && front.layout_key != key)) {
      // Dead; or cloned before this filter existed, so its copy of our memory lacks the
      // filter's exec path (see SeccompFilter::sequence); or it built another root.
      // Drop it; the next ones will fit.
      stale = std::move(ready_.front());
    } else {
      taken = std::move(ready_.front());
    }
    ready_.pop_front();
  }
  cv_.notify_all();
  return taken;
}

std::vector<pid_t> Sandbox::PrestartPool::IdlePids() {
  std::unique_lock<std::mutex> lock(mu_);
  // Right after a Take the thread may not have begun the replacement yet: wait for a
  // full pool (bounded, for a host where starting one fails).
  cv_.wait_for(lock, std::chrono::seconds(5), [&] {
    return stop_ || (preparing_ == 0 && static_cast<int>(ready_.size()) >= size_);
  });
  std::vector<pid_t> pids;
  for (const auto& l : ready_) pids.push_back(static_cast<pid_t>(l->pid));
  return pids;
}

absl::Status Sandbox::PrestartPool::LayOut(const MountPlan& layout, LaunchedRun* l) {
  static const std::vector<std::string> kNoArgv;
  PlanSource src;
  src.flags = LayerFlags(sandbox_->active_, ChooseIdentity(sandbox_->options_.outside_uid,
                                                           sandbox_->options_.outside_gid));
  src.argv = &kNoArgv;
  src.mounts = layout;
  if (!CopyPlan(src, l->plan_buf, l->plan_capacity)) {
    return absl::InternalError("the layout plan does not fit");
  }
  if (write(l->sync_w.get(), &kLayOut, 1) != 1) return ErrnoStatus("release the child");
  for (;;) {
    ChildMessage m;
    switch (NextStatusMessage(l->status_r.get(), 10000, &m)) {
      case StatusRead::kTimeout:
        return absl::DeadlineExceededError("init did not lay out its root in 10 s");
      case StatusRead::kClosed:
        return absl::InternalError("init ended while laying out its root");
      case StatusRead::kMessage:
        break;
    }
    if (m.type == ChildMessage::kSetupError) return SetupErrorStatus(m.a, m.b);
    if (m.type == ChildMessage::kLaidOut) break;
  }
  l->laid_out = true;
  return absl::OkStatus();
}

absl::Status Sandbox::PrestartPool::Prepare(const Limits& limits, const MountPlan& layout,
                                            LaunchedRun* l) {
  void* buf = mmap(nullptr, kPlanCapacity, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (buf == MAP_FAILED) return ErrnoStatus("mmap");
  l->plan_buf = static_cast<char*>(buf);
  l->plan_capacity = kPlanCapacity;
  l->plan_mapped = true;
  absl::Status s = sandbox_->StartInit(LaunchOptions{}, limits, /*stdin_pipe=*/true,
                                       /*prestarted=*/true, l);
  if (s.ok() && !layout.ops.empty()) s = LayOut(layout, l);
  return s;
}

void Sandbox::PrestartPool::Loop() {
  for (;;) {
    Limits limits;
    MountPlan layout;
    std::string layout_key;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] {
        return stop_ || static_cast<int>(ready_.size()) + preparing_ < size_;
      });
      if (stop_) return;
      limits = next_limits_;
      layout = next_layout_;
      layout_key = next_layout_key_;
      ++preparing_;
    }
    auto l = std::make_unique<LaunchedRun>();
    absl::Status s = Prepare(limits, layout, l.get());
    if (s.ok()) l->layout_key = std::move(layout_key);
    std::unique_lock<std::mutex> lock(mu_);
    --preparing_;
    cv_.notify_all();
    if (!s.ok()) {
      // Runs start their own inits meanwhile (and report what goes wrong there).
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_; });
      continue;
    }
    ready_.push_back(std::move(l));
  }
}

}  // namespace fathom::sandbox
