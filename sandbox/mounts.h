// Mount namespace layer: a fresh tmpfs root holding the runtime bound read-only, a small
// RW tmpfs work dir (/tmp, also $HOME), a private /dev with the harmless devices, a
// private /dev/shm and a fresh /proc (or none).
//
// The plan is built in the parent (all strings and flags computed there); the child only
// walks it with raw syscalls, so applying it is async-signal-safe.
#ifndef FATHOM_SANDBOX_MOUNTS_H_
#define FATHOM_SANDBOX_MOUNTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sandbox/child_error.h"
#include "sandbox/run_spec.h"

namespace fathom::sandbox {

// Inside the sandbox the work dir is /tmp.
inline constexpr char kSandboxWorkDir[] = "/tmp";

struct MountOp {
  enum Kind { kMkdir, kTouch, kBind, kRemountRo, kSymlink, kTmpfs, kProc, kWriteFile };
  Kind kind;
  std::string path;     // target (under the staging root)
  std::string source;   // bind source, symlink target, tmpfs options, file content
  unsigned long flags = 0;
  unsigned mode = 0755;
};

struct MountPlan {
  std::vector<MountOp> ops;
};

// A MountOp as the child reads it: plain pointers into memory the child can see without
// allocating (child_plan.cc copies the plan into one buffer before the child uses it).
struct ChildMountOp {
  MountOp::Kind kind;
  const char* path;
  const char* source;
  size_t source_len;
  unsigned long flags;
  unsigned mode;
};

// Builds the plan for `spec` (whose file names Sandbox::Run has checked): inspects the host paths in spec.ro_binds (a missing one is
// skipped; a relative one or one under /tmp is InvalidArgument) and computes the mount
// flags each read-only remount must keep.
absl::StatusOr<MountPlan> BuildMountPlan(const RunSpec& spec);

// Child side: makes every mount private, applies the plan under the staging root,
// pivots into it and remounts the root read-only. Returns kNone on success, else the
// failed stage with *err set. A /proc that cannot be mounted is not an error: *proc_err
// is set and the run goes on without /proc. Async-signal-safe.
ChildStage ApplyMountPlanInChild(const ChildMountOp* ops, size_t count, int* err, int* proc_err);

// For an init that builds its root before its run's files are known (a pre-started
// one): `plan` split into its layout (every op but the files) and its files, the latter
// at the paths they have once the new root is in place.
void SplitLayout(const MountPlan& plan, MountPlan* layout, MountPlan* files);
// Equal for equal layouts.
std::string LayoutKey(const MountPlan& layout);
// Writes the kWriteFile ops of `ops` (paths in the finished root). Async-signal-safe.
ChildStage WriteFilesInChild(const ChildMountOp* ops, size_t count, int* err);

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_MOUNTS_H_
