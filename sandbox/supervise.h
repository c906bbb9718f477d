// The one supervision loop of a running program, shared by the fresh-exec path
// (sandbox.cc) and the zygote path (zygote.cc): it enforces the CPU and wall-time limits
// and the output cap, feeds stdin and drains stdout and stderr while the program runs,
// honours cancellation, and kills the run on a notified seccomp violation. What differs
// between the paths (how the run is killed, which descriptor says it is over) sits
// behind SupervisedRun.
// Thread safety: everything here belongs to one run.
#ifndef FATHOM_SANDBOX_SUPERVISE_H_
#define FATHOM_SANDBOX_SUPERVISE_H_

#include <poll.h>
#include <sys/types.h>

#include <cstdint>

#include "absl/status/status.h"
#include "sandbox/cgroup.h"
#include "sandbox/process_util.h"
#include "sandbox/run_spec.h"
#include "sandbox/seccomp_notify.h"
#include "sandbox/verdict.h"

namespace fathom::sandbox {

// Where a run's CPU time, CPU queue wait and OOM kills are read: its cgroup's counters,
// counted from a base (a zygote's slot cgroup outlives many runs), or without a cgroup
// /proc of the process whose first child is the program.
struct RunCounters {
  RunCgroup* cgroup = nullptr;  // not owned; null without the cgroup layer
  int64_t cpu_base_ns = 0;
  int64_t oom_base = 0;
  pid_t parent_pid = 0;   // init, or the zygote
  pid_t program_pid = 0;  // host pid, looked up when first needed

  int64_t CpuMs();
  int64_t QueueWaitMs();
  int64_t OomKills();  // 0 without a cgroup
};

// How one kind of run is watched and stopped.
class SupervisedRun {
 public:
  virtual ~SupervisedRun() = default;
  // Appends the run's own descriptors to fds[*n...] (at most 2), the one whose readiness
  // may end the run first.
  virtual void AddPollFds(pollfd* fds, int* n) = 0;
  // After each poll(), given the run's descriptors as AddPollFds appended them: handles
  // them; true when the run is over.
  virtual bool AfterPoll(const pollfd* own) = 0;
  // Kills the program and everything it started.
  virtual void Kill() = 0;
  // True once the supervisor has lost the run (the loop stops at its next turn).
  virtual bool Lost() const { return false; }
  // How long a poll waits once the run is killed or cancelled.
  virtual int64_t KilledPollMs() const = 0;
};

// What the loop decided, for the verdict.
struct Supervision {
  KillReason reason = KillReason::kNone;  // the first kill the loop decided
  bool cancelled = false;  // spec.cancel fired: the run was killed, it ends Cancelled
  int64_t oom_kills_at_violation = 0;  // RunCounters::OomKills() when reason is kSyscall
  ViolationWatch violations;

  // The observation's fields the loop knows (kill reason, CPU limit, violation).
  Observation Observe(const Limits& limits) const;
};

// Watches `run` until AfterPoll says it is over or it is lost: reads its output into the
// result `pump` fills, kills it (through `run`) when a limit of spec.limits is reached,
// when spec.cancel fires, or when `out->violations` reports a syscall. `start_ms`: when
// the program was released (MonotonicMs). Non-OK only when poll() fails.
absl::Status Supervise(const RunSpec& spec, int64_t start_ms, StdioPump* pump,
                       RunCounters* counters, SupervisedRun* run, Supervision* out);

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_SUPERVISE_H_
