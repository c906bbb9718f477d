// The run's init: what runs in the child after clone(), and the little protocol the
// parent speaks with it (descriptor numbers, release bytes).
//
// init (PID 1 of the run) waits for its plan, builds the root, then either execs a
// service in place or vforks the program (rlimits, seccomp last, exec), reaps everything,
// reports the program's wait status over the status pipe and exits. Between clone and
// exec only async-signal-safe code runs: no allocation, no locks, no logging.
#ifndef FATHOM_SANDBOX_CHILD_INIT_H_
#define FATHOM_SANDBOX_CHILD_INIT_H_

#include <sched.h>

#include <cstddef>

#include "sandbox/child_plan.h"

namespace fathom::sandbox {

// Fixed descriptor numbers inside the child: 0..2 are stdio.
inline constexpr int kStatusFd = 3;
inline constexpr int kSyncFd = 4;
inline constexpr int kListenerChannelFd = 5;  // closed when the run has no notification
inline constexpr int kChildFds = 6;
// The program's stack until its exec (VforkSharingFds): rlimits, seccomp and execve.
inline constexpr size_t kProgramStackBytes = 64 << 10;

// Release bytes on the sync pipe. kGo: run the plan. kLayOut (pre-started inits only):
// build the root the plan describes, report kLaidOut, and wait for kGo with the run's
// plan, whose mount ops are then the files to write.
inline constexpr char kGo = 'g';
inline constexpr char kLayOut = 'L';

// What init is cloned with. The plan itself may be written after the clone: init reads
// *plan only once the parent has released it through the sync pipe.
struct InitStart {
  // Child-side descriptors (in the parent's numbering), moved to 0..5 in the child:
  // stdin, stdout, stderr, status, sync, listener channel (-1: none).
  int fds[kChildFds] = {-1, -1, -1, -1, -1, -1};
  const ChildPlan* const* plan = nullptr;
  // The program's stack until its exec (VforkSharingFds), kProgramStackBytes.
  char* program_stack = nullptr;
  // The CPUs init takes before anything else, null: it keeps the cloning thread's. Set
  // when that thread is pinned (the server's workers are), so that neither init, nor its
  // program, nor a service it execs is left on one CPU.
  const cpu_set_t* cpus = nullptr;
};

// The body of the cloned child. Never returns; async-signal-safe.
[[noreturn]] void InitMain(const InitStart& start);

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_CHILD_INIT_H_
