// Decides a run's status from what the parent observed. Pure logic, unit-tested.
#ifndef FATHOM_SANDBOX_VERDICT_H_
#define FATHOM_SANDBOX_VERDICT_H_

#include <cstdint>

#include "sandbox/run_spec.h"

namespace fathom::sandbox {

// Why the parent killed the run, if it did.
enum class KillReason { kNone, kOutput, kCpu, kWall };

struct Observation {
  KillReason kill_reason = KillReason::kNone;
  bool have_program_status = false;  // init reported the program's wait status
  int program_status = 0;            // wait status
  int64_t cpu_ms = 0;
  int64_t cpu_limit_ms = 0;
  int64_t oom_kills = 0;
};

// Fills status, exit_code and signal of `result`. Order matters: a limit the parent
// enforced wins over how the program died of it; an OOM kill wins over the SIGKILL it
// delivered; SIGSYS is seccomp's kill; SIGXCPU, or SIGKILL past the CPU limit, is the
// rlimit backstop.
void DecideStatus(const Observation& obs, RunResult* result);

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_VERDICT_H_
