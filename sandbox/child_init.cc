// The run's init and its program: everything that runs in the child after clone(),
// applying the plan's layers in order, seccomp last (child_init.h).
#include "sandbox/child_init.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/child_error.h"
#include "sandbox/landlock.h"
#include "sandbox/mounts.h"
#include "sandbox/rlimits.h"
#include "sandbox/seccomp.h"
#include "sandbox/seccomp_notify.h"
#include "sandbox/user_ns.h"

namespace fathom::sandbox {
namespace {

[[noreturn]] void ChildFail(ChildStage stage, int err) {
  SendChildMessage(kStatusFd, ChildMessage::kSetupError, static_cast<int32_t>(stage), err);
  _exit(127);
}

// Moves the descriptors the child keeps to 0..5 and closes every other one (the
// parent's other runs' pipes included).
void ArrangeFds(const InitStart& start) {
  const int* src = start.fds;
  int high[kChildFds];
  // Step through numbers above any target first, so dup2 never clobbers a source.
  for (int i = 0; i < kChildFds; ++i) {
    high[i] = src[i] < 0 ? -1 : fcntl(src[i], F_DUPFD_CLOEXEC, 10);
    if (src[i] >= 0 && high[i] < 0) _exit(126);
  }
  for (int i = 0; i < kChildFds; ++i) {
    if (high[i] < 0) {
      close(i);
    } else if (dup2(high[i], i) < 0) {
      _exit(126);
    }
  }
  if (syscall(SYS_close_range, static_cast<unsigned>(kChildFds), ~0U, 0U) != 0) {
    for (int fd = kChildFds; fd < 65536; ++fd) close(fd);
  }
  fcntl(kStatusFd, F_SETFD, FD_CLOEXEC);
  // The program shares init's table until its exec (VforkSharingFds): close-on-exec
  // keeps the channel away from it without closing init's copy.
  fcntl(kListenerChannelFd, F_SETFD, FD_CLOEXEC);
}

// Signals the caller blocked or ignored must not follow the program through exec.
void ResetSignals() {
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  }
}

void BecomeSandboxUser(const ChildPlan& p) {
  int stage = 0;
  if (int e = BecomeInChild(p.identity, p.user_ns, &stage); e != 0) {
    ChildFail(static_cast<ChildStage>(stage), e);
  }
}

// Shared (CLONE_VM) between init and its program until the program's exec.
struct ProgramStart {
  const ChildPlan* plan;
  int listener;  // set by the program when it installed a notifying filter
};

[[noreturn]] void ProgramMain(const ChildPlan& p, int* listener) {
  close(kSyncFd);
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (!p.user_ns) BecomeSandboxUser(p);
  if (!p.mount_ns && chdir(p.work_dir) != 0) ChildFail(ChildStage::kChdir, errno);
  if (p.mount_ns && chdir(kSandboxWorkDir) != 0) ChildFail(ChildStage::kChdir, errno);
  if (p.rlimits) {
    if (int e = ApplyRlimitsInChild(p.rlimit_plan); e != 0) ChildFail(ChildStage::kRlimit, e);
  }
  if (p.landlock_abi > 0) {
    if (int e = ConfineWithLandlockInChild(p.landlock_abi); e != 0) {
      ChildFail(ChildStage::kLandlock, e);
    }
  }
  // Seccomp last: after it only execve of the runtime is possible. The listener lands in
  // the table shared with init, close-on-exec (sandbox/seccomp_notify.h).
  if (p.seccomp != nullptr) {
    int e = p.seccomp_notify ? InstallSeccompProgramWithListenerInChild(p.seccomp, listener)
                             : InstallSeccompProgramInChild(p.seccomp);
    if (e != 0) ChildFail(ChildStage::kSeccomp, e);
  }
  execve(p.exec_path, p.argv, p.envp);
  ChildFail(ChildStage::kExec, errno);
}

// Drops every capability init holds in its user namespace: after setup it only reaps.
void DropCapabilities() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  syscall(SYS_capset, &hdr, data);
}

// Service mode: init becomes the service (PID 1 of the run). A pid namespace's init gets
// no signal from inside the namespace that it has no handler for, so the programs the
// service forks cannot kill it. It outlives the thread that started it (no parent-death
// signal; it leaves when its control socket closes).
[[noreturn]] void ServiceExec(const ChildPlan& p) {
  close(kSyncFd);
  prctl(PR_SET_PDEATHSIG, 0);
  if (p.service_keeps_sys_admin) {
    // Ambient CAP_SYS_ADMIN survives the exec of a non-root uid: the zygote needs it (in
    // its own user namespace only) to give each child a fresh mount and IPC namespace.
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capget, &hdr, data) != 0) ChildFail(ChildStage::kCapabilities, errno);
    data[0].inheritable |= 1u << CAP_SYS_ADMIN;
    if (syscall(SYS_capset, &hdr, data) != 0) ChildFail(ChildStage::kCapabilities, errno);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN, 0, 0) != 0) {
      ChildFail(ChildStage::kCapabilities, errno);
    }
  }
  execve(p.exec_path, p.argv, p.envp);
  ChildFail(ChildStage::kExec, errno);
}

char WaitForRelease() {
  char go = 0;
  ssize_t n;
  do {
    n = read(kSyncFd, &go, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) _exit(125);  // the parent gave up on us
  return go;
}

// Identity, hostname and the new root.
void PrepareRoot(const ChildPlan& p) {
  // In a user namespace init becomes the sandbox user at once (it then owns nothing of
  // the host). Without one, init keeps our identity and only the program drops to the
  // sandbox user, so the program cannot signal its init and get its run reported as
  // our failure.
  if (p.user_ns) BecomeSandboxUser(p);
  if (p.uts_ns && sethostname("fathom", 6) != 0) ChildFail(ChildStage::kHostname, errno);
  if (p.mount_ns) {
    int err = 0, proc_err = 0;
    ChildStage s = ApplyMountPlanInChild(p.mount_ops, p.mount_op_count, &err, &proc_err);
    if (s != ChildStage::kNone) ChildFail(s, err);
    if (proc_err != 0) SendChildMessage(kStatusFd, ChildMessage::kProcUnavailable, proc_err, 0);
  }
}

// Waits for the release and builds the root; returns the run's plan. A pre-started init
// is released twice: kLayOut with a plan that only builds the root, then kGo with its
// run's plan, whose mount ops are the files to write.
const ChildPlan& ReceivePlan(const InitStart& start) {
  const char go = WaitForRelease();
  const ChildPlan* plan = *start.plan;
  PrepareRoot(*plan);
  if (go == kLayOut) {
    SendChildMessage(kStatusFd, ChildMessage::kLaidOut, 0, 0);
    if (WaitForRelease() != kGo) _exit(125);
    plan = *start.plan;
    int err = 0;
    ChildStage s = WriteFilesInChild(plan->mount_ops, plan->mount_op_count, &err);
    if (s != ChildStage::kNone) ChildFail(s, err);
  }
  return *plan;
}

// vfork, not fork: the program shares init's memory until its exec, so no page tables
// are copied (the copy was most of the per-run cost). ProgramMain never returns; it only
// makes system calls and writes its own stack frames, as vfork requires. It shares
// init's descriptors too, which is how its seccomp listener reaches init.
pid_t StartProgram(const ChildPlan& p, char* stack) {
  ProgramStart program_start{&p, -1};
  const pid_t program = VforkSharingFds(
      [](void* arg) -> int {
        auto* s = static_cast<ProgramStart*>(arg);
        ProgramMain(*s->plan, &s->listener);
      },
      &program_start, stack, kProgramStackBytes);
  if (program < 0) ChildFail(ChildStage::kFork, errno);
  if (program_start.listener >= 0) {
    // The program has exec'd without it; the supervisor gets the only copy.
    fathom_send_fd(kListenerChannelFd, program_start.listener);
    close(program_start.listener);
  }
  close(kListenerChannelFd);
  return program;
}

// Reaps every process of the run until none is left; returns whether the program's
// wait status came (in *program_status).
bool ReapAll(const ChildPlan& p, pid_t program, int* program_status) {
  bool have_status = false;
  for (;;) {
    int st = 0;
    pid_t r = waitpid(-1, &st, __WALL);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: nothing left
    }
    if (r == program) {
      *program_status = st;
      have_status = true;
      // The program is done: whatever it left behind dies now. In our own pid namespace
      // kill(-1) reaches exactly the run's processes; without one, only its group.
      if (p.pid_ns) {
        kill(-1, SIGKILL);
      } else {
        kill(-static_cast<pid_t>(program), SIGKILL);
        break;  // the parent's cgroup sweep takes care of escaped daemons
      }
    }
  }
  return have_status;
}

}  // namespace

[[noreturn]] void InitMain(const InitStart& start) {
  if (start.cpus != nullptr) (void)sched_setaffinity(0, sizeof(cpu_set_t), start.cpus);
  ArrangeFds(start);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  ResetSignals();
  // What ps shows: an init waiting for its run (pre-started, or for a moment after its
  // clone), then one running it.
  prctl(PR_SET_NAME, "fathom-idle");
  const ChildPlan& p = ReceivePlan(start);
  prctl(PR_SET_NAME, "fathom-init");
  if (p.service) ServiceExec(p);
  if (!p.pid_ns) prctl(PR_SET_CHILD_SUBREAPER, 1);

  const pid_t program = StartProgram(p, start.program_stack);
  close(0);
  close(1);
  close(2);
  close(kSyncFd);
  prctl(PR_SET_DUMPABLE, 0);
  if (p.user_ns) DropCapabilities();

  int program_status = 0;
  if (ReapAll(p, program, &program_status)) {
    SendChildMessage(kStatusFd, ChildMessage::kExitStatus, program_status, 0);
  }
  _exit(0);
}

}  // namespace fathom::sandbox
