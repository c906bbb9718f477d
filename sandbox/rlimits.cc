// Rlimits layer (see rlimits.h).
#include "sandbox/rlimits.h"

#include <errno.h>

namespace fathom::sandbox {

RlimitPlan BuildRlimitPlan(const Limits& limits, bool per_run_nproc, bool memory_fallback) {
  RlimitPlan plan;
  auto add = [&plan](int resource, rlim_t soft, rlim_t hard) {
    // Never above our own hard limit: raising it needs privileges the child lacks.
    rlimit cur{};
    if (getrlimit(resource, &cur) == 0 && cur.rlim_max != RLIM_INFINITY) {
      if (hard == RLIM_INFINITY || hard > cur.rlim_max) hard = cur.rlim_max;
    }
    if (soft > hard) soft = hard;
    plan.entries[plan.count++] = {resource, rlimit{soft, hard}};
  };
  // The cgroup (or the parent's /proc sampling) enforces the precise CPU limit; this
  // backstop, rounded up to whole seconds plus one, catches anything that slips past.
  const rlim_t cpu_s = static_cast<rlim_t>((limits.cpu_time_ms + 999) / 1000 + 1);
  add(RLIMIT_CPU, cpu_s, cpu_s + 1);
  add(RLIMIT_FSIZE, limits.max_file_bytes, limits.max_file_bytes);
  add(RLIMIT_NOFILE, limits.max_open_files, limits.max_open_files);
  add(RLIMIT_CORE, 0, 0);  // no core files: they are slow, large and useless to us
  add(RLIMIT_STACK, limits.stack_bytes, limits.stack_bytes);
  if (per_run_nproc) add(RLIMIT_NPROC, limits.max_processes, limits.max_processes);
  if (memory_fallback) add(RLIMIT_DATA, limits.memory_bytes, limits.memory_bytes);
  return plan;
}

int ApplyRlimitsInChild(const RlimitPlan& plan) {
  for (int i = 0; i < plan.count; ++i) {
    if (setrlimit(plan.entries[i].resource, &plan.entries[i].value) != 0) return errno;
  }
  return 0;
}

}  // namespace fathom::sandbox
