// Internal to sandbox/: a started run (LaunchedRun) and how its init's status pipe is
// read, shared by launch.cc, prestart_pool.cc, sandbox.cc and service_process.cc.
// Thread safety: a LaunchedRun belongs to one run (or to the pool's lock while it waits).
#ifndef FATHOM_SANDBOX_LAUNCH_H_
#define FATHOM_SANDBOX_LAUNCH_H_

#include <sys/resource.h>

#include <cstdint>
#include <memory>
#include <string>

#include "sandbox/cgroup.h"
#include "sandbox/child_error.h"
#include "sandbox/process_util.h"
#include "sandbox/sandbox.h"
#include "sandbox/user_ns.h"

namespace fathom::sandbox {

// Host work dir for runs without a mount namespace: private, owned by the run's user,
// removed on destruction.
class HostWorkDir {
 public:
  ~HostWorkDir();
  // Creates the directory under $TMPDIR (or /tmp) and writes spec.files into it.
  absl::Status Create(const RunSpec& spec, const Identity& id);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One started run: init cloned into its namespaces, in its cgroup, waiting for its plan
// or released. Owns the process: destroying it without Reap() kills and reaps the whole
// run.
struct LaunchedRun {
  long pid = -1;
  UniqueFd pidfd;
  std::unique_ptr<RunCgroup> cgroup;
  Limits cgroup_limits;  // what the cgroup was created with
  UniqueFd out_r, err_r, status_r, in_w;
  UniqueFd sync_w;  // one byte releases init
  UniqueFd listener_channel;  // where the program's seccomp listener arrives, if notifying
  std::unique_ptr<char[]> program_stack;  // InitStart::program_stack
  LayerSet layers;
  int64_t start_ms = 0;
  std::unique_ptr<HostWorkDir> host_dir;
  // The buffer init reads its plan from (a PlanHeader first): our own heap copy, or a
  // MAP_SHARED mapping for a pre-started init.
  char* plan_buf = nullptr;
  size_t plan_capacity = 0;
  std::unique_ptr<char[]> plan_heap;
  bool plan_mapped = false;
  // SeccompFilter::LastSequence() when init was cloned.
  uint64_t filter_sequence = 0;
  // A pre-started init that has built the root described by layout_key.
  bool laid_out = false;
  std::string layout_key;
  bool reaped = false;
  int init_status = 0;
  rusage ru{};

  // Waits for init (into init_status and ru); once only.
  void Reap();
  ~LaunchedRun();
};

// The error a failed child setup step becomes (with the stage as payload; sandbox.cc).
absl::Status SetupErrorStatus(int stage, int err);

// What waiting for init's next status message gave.
enum class StatusRead {
  kMessage,  // a message, in *m
  kClosed,   // the pipe closed: init exec'd or ended
  kTimeout,
};
// Waits up to `timeout_ms` for init's next status message on `fd`.
StatusRead NextStatusMessage(int fd, int timeout_ms, ChildMessage* m);

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_LAUNCH_H_
