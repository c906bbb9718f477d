// Decides a run's status from what the parent observed. Pure logic, unit-tested.
#ifndef FATHOM_SANDBOX_VERDICT_H_
#define FATHOM_SANDBOX_VERDICT_H_

#include <cstdint>

#include "sandbox/run_spec.h"

namespace fathom::sandbox {

// Why the parent killed the run, if it did. kSyscall: the filter notified the
// supervisor of a kill-list syscall (sandbox/seccomp_notify.h).
// kStopped: the caller's RunSpec::stop_when asked for the kill.
enum class KillReason { kNone, kOutput, kCpu, kWall, kSyscall, kStopped };

struct Observation {
  KillReason kill_reason = KillReason::kNone;
  bool have_program_status = false;  // init reported the program's wait status
  int program_status = 0;            // wait status
  int64_t cpu_ms = 0;
  int64_t cpu_limit_ms = 0;
  int64_t oom_kills = 0;
  // With kill_reason kSyscall: the number the kernel reported, and the run's OOM kills
  // counted when the supervisor received that notification.
  int violation_syscall = -1;
  uint32_t violation_arch = 0;  // its AUDIT_ARCH_* (0: native)
  int64_t oom_kills_at_violation = 0;
};

// Fills status, exit_code, signal, syscall and syscall_name of `result`. Order matters:
// the first kill the parent decided (a limit, or a notified syscall) wins over how the
// program died of it, except that an OOM kill counted before a notified syscall was
// received wins over it; an OOM kill wins over the SIGKILL it delivered; SIGSYS is
// seccomp's kill (syscall unknown); SIGXCPU, or SIGKILL past the CPU limit, is the rlimit
// backstop. (verdict.cc explains the races.)
void DecideStatus(const Observation& obs, RunResult* result);

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_VERDICT_H_
