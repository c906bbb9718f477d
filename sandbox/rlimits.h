// Rlimits layer: a second line behind the cgroup (CPU backstop, file size, open files,
// processes, no core files, stack). Planned in the parent, applied in the child.
#ifndef FATHOM_SANDBOX_RLIMITS_H_
#define FATHOM_SANDBOX_RLIMITS_H_

#include <sys/resource.h>

#include <array>

#include "sandbox/run_spec.h"

namespace fathom::sandbox {

struct RlimitPlan {
  struct Entry {
    int resource;
    rlimit value;
  };
  std::array<Entry, 8> entries{};
  int count = 0;
};

// `per_run_nproc`: RLIMIT_NPROC counts every task of the uid in the user namespace, so it
// is a per-run limit only when the run has its own user namespace. `memory_fallback`:
// without a memory cgroup, RLIMIT_DATA stands in for the memory limit (allocations are
// refused instead of OOM-killed).
RlimitPlan BuildRlimitPlan(const Limits& limits, bool per_run_nproc, bool memory_fallback);

// Applies the plan; returns 0 or the errno of the first failure. Async-signal-safe.
int ApplyRlimitsInChild(const RlimitPlan& plan);

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_RLIMITS_H_
