// Status decision (see verdict.h).
#include "sandbox/verdict.h"

#include <signal.h>
#include <sys/wait.h>

#include "sandbox/seccomp.h"

namespace fathom::sandbox {

// A notified syscall racing with a limit kill. The supervisor acts on one event at a
// time, and at every point where it would decide a limit kill (CPU, wall, output) it
// first takes whatever notification the kernel has queued: a kill-list syscall that the
// kernel trapped before the limit was decided is the violation, one trapped after is
// ignored (the tree is already dying, and the syscall never runs either way). So
// kill_reason holds whichever came first, and it decides. The OOM killer is not ours:
// it wins over a notification only when its kill was already counted when the
// notification was received (oom_kills_at_violation); one counted later hit a process
// that was already being killed for the violation.
void DecideStatus(const Observation& obs, RunResult* r) {
  if (obs.have_program_status) {
    if (WIFEXITED(obs.program_status)) r->exit_code = WEXITSTATUS(obs.program_status);
    if (WIFSIGNALED(obs.program_status)) r->signal = WTERMSIG(obs.program_status);
  } else if (obs.kill_reason != KillReason::kNone) {
    // We killed it with SIGKILL, and its init with it (the fresh path), so its own wait
    // status is lost: report what a runner that reaps the program itself (a zygote)
    // sees. (Wrong only when the program had just exited by itself as the kill came; a
    // zygote then reports that exit.)
    r->signal = SIGKILL;
  }
  switch (obs.kill_reason) {
    case KillReason::kOutput:
      r->status = RunStatus::kOutputLimit;
      return;
    case KillReason::kCpu:
      r->status = RunStatus::kCpuTimeout;
      return;
    case KillReason::kWall:
      r->status = RunStatus::kWallTimeout;
      return;
    case KillReason::kSyscall:
      if (obs.oom_kills_at_violation > 0) {
        r->status = RunStatus::kMemoryLimit;
        return;
      }
      r->status = RunStatus::kSyscallViolation;
      r->syscall = obs.violation_syscall;
      r->syscall_name = SyscallName(obs.violation_syscall, obs.violation_arch);
      return;
    case KillReason::kStopped:
      // Not the program's doing, and no limit: the caller had what it needed.
      r->status = RunStatus::kSignaled;
      r->signal = SIGKILL;
      r->stopped = true;
      return;
    case KillReason::kNone:
      break;
  }
  const bool exited_ok = obs.have_program_status && WIFEXITED(obs.program_status) &&
                         WEXITSTATUS(obs.program_status) == 0;
  if (obs.oom_kills > 0 && !exited_ok) {
    r->status = RunStatus::kMemoryLimit;
    if (!obs.have_program_status) r->signal = SIGKILL;  // the OOM killer's, as above
    return;
  }
  if (!obs.have_program_status) {
    // The init died without reporting: only an OOM kill (handled above) or a kill from
    // outside does that; the caller treats it as a sandbox error.
    r->status = RunStatus::kSandboxError;
    return;
  }
  if (WIFSIGNALED(obs.program_status)) {
    const int sig = WTERMSIG(obs.program_status);
    if (sig == SIGSYS) {
      r->status = RunStatus::kSyscallViolation;
    } else if (sig == SIGXCPU || (sig == SIGKILL && obs.cpu_ms >= obs.cpu_limit_ms)) {
      r->status = RunStatus::kCpuTimeout;
    } else {
      r->status = RunStatus::kSignaled;
    }
    return;
  }
  r->status = r->exit_code == 0 ? RunStatus::kOk : RunStatus::kNonzeroExit;
}

}  // namespace fathom::sandbox
