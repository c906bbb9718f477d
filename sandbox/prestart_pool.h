// Inits started ahead of their runs (SandboxOptions::prestarted_inits).
//
// Cloning the six namespaces and moving a process into its cgroups is most of what a run
// costs beyond the program itself (the kernel builds a network namespace and waits for an
// RCU grace period on a cgroup move); a pre-started init has done both and waits, in a
// fresh set of namespaces and its own cgroup, for the plan of the run that takes it. Each
// init serves exactly one run, as a directly started one does.
//
// Thread safety: Take() and IdlePids() may be called from any thread; one thread per
// init of the pool's size keeps it full.
#ifndef FATHOM_SANDBOX_PRESTART_POOL_H_
#define FATHOM_SANDBOX_PRESTART_POOL_H_

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "sandbox/launch.h"
#include "sandbox/mounts.h"
#include "sandbox/sandbox.h"

namespace fathom::sandbox {

class Sandbox::PrestartPool {
 public:
  // Plan bytes a pre-started init can take (runs with bigger plans, e.g. large files,
  // start their own init). The mapping is shared memory, touched only as far as used.
  static constexpr size_t kPlanCapacity = 4 << 20;
  // How long a run waits for an init being started (it takes a few ms at most).
  static constexpr int kWaitMs = 20;

  // Starts `size` threads that keep `size` inits of `sandbox` (which outlives the pool)
  // ready.
  PrestartPool(Sandbox* sandbox, int size);
  // Stops the threads; kills and reaps the waiting inits, removes their cgroups.
  ~PrestartPool();

  // A ready init that can take a plan of `plan_bytes` using a filter of
  // `filter_sequence` (0: none), or null. `limits` are remembered: the next inits get
  // cgroups with them, so a run rarely has to change its cgroup's limits.
  // `layout` (the run's mount plan without its files; empty without a mount namespace)
  // is remembered too: the next inits build that root before they are taken.
  std::unique_ptr<LaunchedRun> Take(size_t plan_bytes, uint64_t filter_sequence,
                                    const Limits& limits, MountPlan layout);

  // The ready inits' pids, once the pool is full again (or 5 s passed).
  std::vector<pid_t> IdlePids();

 private:
  // Has `l`'s init build the root `layout` describes, and waits until it has.
  absl::Status LayOut(const MountPlan& layout, LaunchedRun* l);
  // Starts one init with `limits` that has built `layout`.
  absl::Status Prepare(const Limits& limits, const MountPlan& layout, LaunchedRun* l);
  void Loop();

  Sandbox* const sandbox_;
  const int size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<LaunchedRun>> ready_;  // guarded by mu_
  Limits next_limits_;                              // guarded by mu_
  MountPlan next_layout_;                           // guarded by mu_
  std::string next_layout_key_;                     // guarded by mu_
  int preparing_ = 0;  // inits being started; guarded by mu_
  bool stop_ = false;  // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_PRESTART_POOL_H_
