// The run's plan: everything init and the program need, computed by the parent and laid
// out in one buffer so that the child never allocates.
//
// The buffer is a heap copy that clone() duplicates into the child, or, for a pre-started
// init (sandbox/prestart_pool.h), a MAP_SHARED mapping both processes see at the same
// address; it starts with a PlanHeader that points at the ChildPlan inside it.
// Thread safety: plain values; a buffer belongs to one run.
#ifndef FATHOM_SANDBOX_CHILD_PLAN_H_
#define FATHOM_SANDBOX_CHILD_PLAN_H_

#include <linux/filter.h>

#include <cstddef>
#include <string>
#include <vector>

#include "sandbox/layers.h"
#include "sandbox/mounts.h"
#include "sandbox/rlimits.h"
#include "sandbox/seccomp.h"
#include "sandbox/user_ns.h"

namespace fathom::sandbox {

// What the child reads; every pointer points into the same buffer.
struct ChildPlan {
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* exec_path = nullptr;
  bool user_ns = false;
  bool pid_ns = false;
  bool mount_ns = false;
  bool uts_ns = false;
  bool rlimits = false;
  // Without a mount namespace: the kernel's Landlock ABI, with which the program is kept
  // from the host's devices and from other runs (sandbox/landlock.h); 0 when unavailable.
  int landlock_abi = 0;
  Identity identity{};
  const ChildMountOp* mount_ops = nullptr;
  size_t mount_op_count = 0;
  RlimitPlan rlimit_plan;
  // The program's filter: the notifying one (notify_prog()) when seccomp_notify, whose
  // listener init hands over (sandbox/seccomp_notify.h).
  const sock_fprog* seccomp = nullptr;
  bool seccomp_notify = false;
  const char* work_dir = nullptr;  // chdir target without a mount namespace
  // A long-lived service (the zygote): init execs it in place, as PID 1 of the run,
  // instead of forking a program; it may keep CAP_SYS_ADMIN in its own user namespace.
  bool service = false;
  bool service_keeps_sys_admin = false;
};

// The head of every plan buffer.
struct PlanHeader {
  const ChildPlan* plan = nullptr;
};

// The plan as the parent builds it (owning), before it is copied into a buffer.
struct PlanSource {
  ChildPlan flags;  // the scalar fields; its pointers are filled by CopyPlan
  const std::vector<std::string>* argv = nullptr;  // not owned; must outlive CopyPlan
  std::vector<std::string> env;
  MountPlan mounts;
  const SeccompFilter* seccomp = nullptr;  // not owned
  std::string work_dir;
};

// The plan fields that follow from the layers alone.
ChildPlan LayerFlags(const LayerSet& layers, const Identity& identity);

// An upper bound of the bytes CopyPlan needs for `src`.
size_t PlanBytes(const PlanSource& src);

// Copies `src` into buf[0..capacity) (a PlanHeader first) and points the header at it.
// False when the buffer is too small.
bool CopyPlan(const PlanSource& src, char* buf, size_t capacity);

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_CHILD_PLAN_H_
