// Sandbox::Run: clone() into fresh namespaces, apply the layers in order, exec the
// program, watch it from the parent and decide what happened.
//
// Process spawning uses clone() directly, not Boost.Process: the namespaces, CLONE_PIDFD
// and a child that must run only async-signal-safe code between clone and exec (we are
// often called from many threads at once) need the raw system call.
//
// Process tree of one run:
//   fathom (parent, any thread) --clone(new namespaces)--> init (PID 1 of the run)
//   init --vfork--> program (PID 2): rlimits, stdio, seccomp, exec
// init reaps everything, reports the program's wait status over the status pipe and
// exits; with a pid namespace its exit kills whatever the program left behind.
#include "sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <mutex>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/types/optional.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sandbox/cgroup.h"
#include "sandbox/child_error.h"
#include "sandbox/mounts.h"
#include "sandbox/process_util.h"
#include "sandbox/rlimits.h"
#include "sandbox/seccomp.h"
#include "sandbox/seccomp_notify.h"
#include "sandbox/user_ns.h"
#include "sandbox/verdict.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace fathom::sandbox {
namespace {

// Status payload naming the ChildStage a failed setup stopped at.
constexpr char kStagePayload[] = "fathom.sandbox.stage";

// The layer a setup stage belongs to, for turning off what this host refuses.
bool LayerOfStage(ChildStage stage, Layer* layer) {
  switch (stage) {
    case ChildStage::kSetGroups:
    case ChildStage::kSetGid:
    case ChildStage::kSetUid:
      *layer = Layer::kUserNs;
      return true;
    case ChildStage::kHostname:
      *layer = Layer::kUtsNs;
      return true;
    case ChildStage::kMountPrivate:
    case ChildStage::kMountRoot:
    case ChildStage::kMountBind:
    case ChildStage::kMountRemount:
    case ChildStage::kMountMkdir:
    case ChildStage::kMountSymlink:
    case ChildStage::kMountTmpfs:
    case ChildStage::kMountProc:
    case ChildStage::kWriteFile:
    case ChildStage::kPivotRoot:
      *layer = Layer::kMountNs;
      return true;
    case ChildStage::kRlimit:
      *layer = Layer::kRlimits;
      return true;
    case ChildStage::kSeccomp:
      *layer = Layer::kSeccomp;
      return true;
    default:
      return false;
  }
}

// Fixed descriptor numbers inside the child.
constexpr int kStatusFd = 3;
constexpr int kSyncFd = 4;
constexpr int kListenerChannelFd = 5;  // closed when the run has no seccomp notification
constexpr int kChildFds = 6;
// The program's stack until its exec (VforkSharingFds): rlimits, seccomp and execve.
constexpr size_t kProgramStackBytes = 64 << 10;

// Everything the child needs, computed by the parent so the child never allocates. It
// lives, with everything it points to, in one buffer (PlanArena): a heap buffer copied
// into the child by clone(), or, for a pre-started init (Sandbox::Prestarted), a
// MAP_SHARED buffer that both processes see at the same address.
struct ChildPlan {
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* exec_path = nullptr;
  bool user_ns = false;
  bool pid_ns = false;
  bool mount_ns = false;
  bool uts_ns = false;
  bool rlimits = false;
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

// What init is cloned with. The plan itself may be written after the clone: init reads
// *plan only once the parent has released it through the sync pipe.
struct InitStart {
  // Child-side descriptors (in the parent's numbering), moved to 0..5 in the child:
  // stdin, stdout, stderr, status, sync, listener channel (-1: none).
  int fds[kChildFds] = {-1, -1, -1, -1, -1, -1};
  const ChildPlan* const* plan = nullptr;
  // The program's stack until its exec (VforkSharingFds), kProgramStackBytes.
  char* program_stack = nullptr;
};

// The head of every plan buffer.
struct PlanHeader {
  const ChildPlan* plan = nullptr;
};

// A bump allocator over one buffer. Alloc returns null once the buffer is full.
class PlanArena {
 public:
  PlanArena(char* base, size_t capacity) : base_(base), capacity_(capacity) {}
  void* Alloc(size_t n, size_t align) {
    const size_t at = (used_ + align - 1) & ~(align - 1);
    if (at > capacity_ || n > capacity_ - at) return nullptr;
    used_ = at + n;
    return base_ + at;
  }
  template <typename T>
  T* New(size_t count) {
    T* p = static_cast<T*>(Alloc(sizeof(T) * count, alignof(T)));
    if (p == nullptr) return nullptr;
    for (size_t i = 0; i < count; ++i) new (p + i) T();
    return p;
  }
  const char* Str(absl::string_view s) {
    char* d = static_cast<char*>(Alloc(s.size() + 1, 1));
    if (d == nullptr) return nullptr;
    memcpy(d, s.data(), s.size());
    d[s.size()] = '\0';
    return d;
  }

 private:
  char* base_;
  size_t capacity_;
  size_t used_ = 0;
};

// The plan as the parent builds it (owning), before it is copied into a buffer.
struct PlanSource {
  ChildPlan flags;  // the scalar fields; its pointers are filled by CopyPlan
  const std::vector<std::string>* argv = nullptr;
  std::vector<std::string> env;
  MountPlan mounts;
  const SeccompFilter* seccomp = nullptr;
  std::string work_dir;
};

// The plan fields that follow from the layers alone.
ChildPlan LayerFlags(const LayerSet& layers, const Identity& identity) {
  ChildPlan plan;
  plan.user_ns = layers.Has(Layer::kUserNs);
  plan.pid_ns = layers.Has(Layer::kPidNs);
  plan.mount_ns = layers.Has(Layer::kMountNs);
  plan.uts_ns = layers.Has(Layer::kUtsNs);
  plan.rlimits = layers.Has(Layer::kRlimits);
  plan.identity = identity;
  return plan;
}

// An upper bound of the bytes CopyPlan needs.
size_t PlanBytes(const PlanSource& src) {
  constexpr size_t kSlack = 16;  // alignment, per allocation
  size_t n = sizeof(PlanHeader) + sizeof(ChildPlan) + sizeof(sock_fprog) + 8 * kSlack;
  for (const std::string& a : *src.argv) n += a.size() + 1 + sizeof(char*) + kSlack;
  for (const std::string& e : src.env) n += e.size() + 1 + sizeof(char*) + kSlack;
  n += 2 * sizeof(char*);
  for (const MountOp& op : src.mounts.ops) {
    n += sizeof(ChildMountOp) + op.path.size() + op.source.size() + 2 + 3 * kSlack;
  }
  if (src.seccomp != nullptr) {
    const sock_fprog* notify = src.seccomp->notify_prog();
    const size_t len = std::max<size_t>(src.seccomp->prog()->len, notify ? notify->len : 0);
    n += len * sizeof(sock_filter) + kSlack;
  }
  n += src.work_dir.size() + 1 + kSlack;
  return n;
}

// Copies `src` into `arena` (header first) and points the header at it. False when the
// arena is too small.
bool CopyPlan(const PlanSource& src, PlanArena* arena) {
  auto* header = arena->New<PlanHeader>(1);
  auto* plan = arena->New<ChildPlan>(1);
  if (header == nullptr || plan == nullptr) return false;
  *plan = src.flags;
  auto strings = [&](const std::vector<std::string>& v) -> char* const* {
    char** out = arena->New<char*>(v.size() + 1);
    if (out == nullptr) return nullptr;
    for (size_t i = 0; i < v.size(); ++i) {
      out[i] = const_cast<char*>(arena->Str(v[i]));
      if (out[i] == nullptr) return nullptr;
    }
    out[v.size()] = nullptr;
    return out;
  };
  plan->argv = strings(*src.argv);
  plan->envp = strings(src.env);
  if (plan->argv == nullptr || plan->envp == nullptr) return false;
  // The filter allows execve of its own exec_path() string, by address: init must pass
  // that very pointer (see SeccompFilter::sequence for when a pre-started init has it).
  plan->exec_path = src.seccomp != nullptr ? src.seccomp->exec_path() : plan->argv[0];
  if (!src.mounts.ops.empty()) {
    ChildMountOp* ops = arena->New<ChildMountOp>(src.mounts.ops.size());
    if (ops == nullptr) return false;
    for (size_t i = 0; i < src.mounts.ops.size(); ++i) {
      const MountOp& op = src.mounts.ops[i];
      ops[i] = ChildMountOp{op.kind, arena->Str(op.path), arena->Str(op.source),
                            op.source.size(), op.flags, op.mode};
      if (ops[i].path == nullptr || ops[i].source == nullptr) return false;
    }
    plan->mount_ops = ops;
    plan->mount_op_count = src.mounts.ops.size();
  }
  if (src.seccomp != nullptr) {
    const sock_fprog* from =
        src.flags.seccomp_notify ? src.seccomp->notify_prog() : src.seccomp->prog();
    auto* prog = arena->New<sock_fprog>(1);
    auto* insns = arena->New<sock_filter>(from->len);
    if (prog == nullptr || insns == nullptr) return false;
    memcpy(insns, from->filter, from->len * sizeof(sock_filter));
    prog->len = from->len;
    prog->filter = insns;
    plan->seccomp = prog;
  }
  if (!src.work_dir.empty()) {
    plan->work_dir = arena->Str(src.work_dir);
    if (plan->work_dir == nullptr) return false;
  }
  header->plan = plan;
  return true;
}

[[noreturn]] void ChildFail(ChildStage stage, int err) {
  SendChildMessage(kStatusFd, ChildMessage::kSetupError, static_cast<int32_t>(stage), err);
  _exit(127);
}

// Moves the descriptors the child keeps to 0..5 and closes every other one (the
// parent's other runs' pipes included). Async-signal-safe.
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

// Release bytes on the sync pipe.
constexpr char kGo = 'g';
constexpr char kLayOut = 'L';

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

[[noreturn]] void InitMain(const InitStart& start) {
  ArrangeFds(start);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // Signals the caller blocked or ignored must not follow the program through exec.
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  }
  // The parent writes the plan before releasing us (for a pre-started init, after the
  // clone). A pre-started init is released twice: kLayOut with a plan that only builds
  // the root, then kGo with its run's plan, whose mount ops are the files to write.
  // What ps shows: an init waiting for its run (pre-started, or for a moment after its
  // clone), then one running it.
  prctl(PR_SET_NAME, "fathom-idle");
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
  prctl(PR_SET_NAME, "fathom-init");
  const ChildPlan& p = *plan;
  if (p.service) ServiceExec(p);
  if (!p.pid_ns) prctl(PR_SET_CHILD_SUBREAPER, 1);

  // vfork, not fork: the program shares init's memory until its exec, so no page tables
  // are copied (the copy was most of the per-run cost). ProgramMain never returns; it only
  // makes system calls and writes its own stack frames, as vfork requires. It shares
  // init's descriptors too, which is how its seccomp listener reaches init.
  ProgramStart program_start{&p, -1};
  const pid_t program = VforkSharingFds(
      [](void* arg) -> int {
        auto* s = static_cast<ProgramStart*>(arg);
        ProgramMain(*s->plan, &s->listener);
      },
      &program_start, start.program_stack, kProgramStackBytes);
  if (program < 0) ChildFail(ChildStage::kFork, errno);
  if (program_start.listener >= 0) {
    // The program has exec'd without it; the supervisor gets the only copy.
    fathom_send_fd(kListenerChannelFd, program_start.listener);
    close(program_start.listener);
  }
  close(kListenerChannelFd);

  close(0);
  close(1);
  close(2);
  close(kSyncFd);
  prctl(PR_SET_DUMPABLE, 0);
  if (p.user_ns) DropCapabilities();

  int program_status = 0;
  bool have_status = false;
  for (;;) {
    int st = 0;
    pid_t r = waitpid(-1, &st, __WALL);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: nothing left
    }
    if (r == program) {
      program_status = st;
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
  if (have_status) SendChildMessage(kStatusFd, ChildMessage::kExitStatus, program_status, 0);
  _exit(0);
}

// Host work dir for runs without a mount namespace: private, owned by the run's user,
// removed afterwards.
class HostWorkDir {
 public:
  ~HostWorkDir() {
    if (!path_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
  }
  absl::Status Create(const RunSpec& spec, const Identity& id) {
    const char* tmp = getenv("TMPDIR");
    std::string templ = absl::StrCat(tmp && *tmp ? tmp : "/tmp", "/fathom-run-XXXXXX");
    if (mkdtemp(templ.data()) == nullptr) return ErrnoStatus("mkdtemp");
    path_ = templ;
    for (const File& f : spec.files) {  // names checked by Sandbox::Run
      std::ofstream out(path_ + "/" + f.name, std::ios::binary);
      out << f.content;
      if (!out) return ErrnoStatus(absl::StrCat("write ", path_, "/", f.name));
      if (geteuid() == 0) (void)!chown((path_ + "/" + f.name).c_str(), id.outside_uid, id.outside_gid);
    }
    if (geteuid() == 0 && chown(path_.c_str(), id.outside_uid, id.outside_gid) != 0) {
      return ErrnoStatus("chown work dir");
    }
    chmod(path_.c_str(), 0700);
    return absl::OkStatus();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

Sandbox::Sandbox(const SandboxOptions& options, HostProbe probe, LayerSet active)
    : options_(options), probe_(std::move(probe)), active_(active) {}

Sandbox::~Sandbox() {
  pool_.reset();  // its inits' cgroups go first
  RemoveCgroupParents(probe_.cgroups);
}

absl::StatusOr<std::unique_ptr<Sandbox>> Sandbox::Create(const SandboxOptions& options) {
  // A program that closes its stdin while we still feed it must not kill us with
  // SIGPIPE: writes fail with EPIPE instead. (Children get every signal reset to default.)
  signal(SIGPIPE, SIG_IGN);
  HostProbe probe = ProbeHost();
  LayerSet available = probe.Available();
  LayerSet missing = options.required.Minus(available);
  if (!missing.empty()) {
    std::vector<std::string> why;
    for (const std::string& name : missing.Names()) {
      Layer l;
      ParseLayer(name, &l);
      why.push_back(absl::StrCat(name, " (", probe.at(l).reason, ")"));
    }
    RemoveCgroupParents(probe.cgroups);
    return absl::FailedPreconditionError(
        absl::StrCat("required isolation unavailable: ", absl::StrJoin(why, "; ")));
  }
  LayerSet active;
  for (const std::string& name : options.wanted.Names()) {
    Layer l;
    ParseLayer(name, &l);
    if (available.Has(l)) active.Add(l);
  }
  // Namespaces other than user need privileges we only have inside our own user
  // namespace, unless we are root.
  if (!active.Has(Layer::kUserNs) && geteuid() != 0) {
    for (Layer l : {Layer::kPidNs, Layer::kNetNs, Layer::kMountNs, Layer::kIpcNs,
                    Layer::kUtsNs}) {
      active.Remove(l);
    }
  }
  if (!active.Has(Layer::kCgroup)) RemoveCgroupParents(probe.cgroups);
  auto sandbox = std::unique_ptr<Sandbox>(new Sandbox(options, std::move(probe), active));
  if (absl::Status s = sandbox->TrialRun(); !s.ok()) return s;
  // Started after the trial run, which may still switch layers off.
  if (options.prestarted_inits > 0) {
    sandbox->pool_ = std::make_unique<PrestartPool>(sandbox.get(), options.prestarted_inits);
  }
  return sandbox;
}

absl::Status Sandbox::TrialRun() {
  // The per-layer probes try each kernel feature alone; a whole run also bind-mounts,
  // pivots, sets the hostname... and a container's own seccomp profile may refuse one of
  // those. Run /bin/true once with everything active; a layer whose setup step fails is
  // switched off with the reason, unless it is required.
  if (access("/bin/true", X_OK) != 0) return absl::OkStatus();
  RunSpec spec;
  spec.argv = {"/bin/true"};
  spec.ro_binds = {"/usr", "/bin", "/lib", "/lib64"};
  spec.limits.cpu_time_ms = 2000;
  for (int attempt = 0; attempt < static_cast<int>(Layer::kCount); ++attempt) {
    absl::StatusOr<RunResult> r = Run(spec);
    if (r.ok()) return absl::OkStatus();
    absl::optional<absl::Cord> stage_text = r.status().GetPayload(kStagePayload);
    int stage = 0;
    Layer layer;
    if (!stage_text || !absl::SimpleAtoi(std::string(*stage_text), &stage) ||
        !LayerOfStage(static_cast<ChildStage>(stage), &layer) || !active_.Has(layer)) {
      return absl::OkStatus();  // not a layer problem; runs will report it themselves
    }
    const std::string why = absl::StrCat("a trial run failed: ", r.status().message());
    if (options_.required.Has(layer)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "required isolation unavailable: ", LayerName(layer), " (", why, ")"));
    }
    active_.Remove(layer);
    probe_.at(layer).available = false;
    probe_.at(layer).reason = why;
  }
  return absl::OkStatus();
}

// Waits up to `timeout_ms` for init's next status message: kMessage (in *m), kClosed (the
// pipe closed: init exec'd or ended) or kTimeout.
namespace {
enum class StatusRead { kMessage, kClosed, kTimeout };
StatusRead NextStatusMessage(int fd, int timeout_ms, ChildMessage* m) {
  for (;;) {
    pollfd pfd = {fd, POLLIN, 0};
    const int pr = poll(&pfd, 1, timeout_ms);
    if (pr < 0 && errno == EINTR) continue;
    if (pr != 1) return StatusRead::kTimeout;
    const ssize_t n = read(fd, m, sizeof(*m));
    if (n < 0 && errno == EINTR) continue;
    return n == sizeof(*m) ? StatusRead::kMessage : StatusRead::kClosed;
  }
}
}  // namespace

// One started run: init cloned into its namespaces, in its cgroup, waiting for its plan
// or released. Owns the process: destroying it without Reap() kills and reaps the whole
// run.
struct Sandbox::Launched {
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

  void Reap() {
    while (!reaped && wait4(pid, &init_status, __WALL, &ru) < 0 && errno == EINTR) {
    }
    reaped = true;
  }
  ~Launched() {
    if (pid > 0 && !reaped) {
      kill(pid, SIGKILL);
      Reap();
    }
    if (plan_mapped) munmap(plan_buf, plan_capacity);
  }
};

// Inits started ahead of their runs. Cloning the six namespaces and moving a process into
// its cgroups is most of what a run costs beyond the program itself (the kernel builds a
// network namespace and waits for an RCU grace period on a cgroup move); a pre-started
// init has done both and waits, in a fresh set of namespaces and its own cgroup, for the
// plan of the run that takes it. Each init serves exactly one run, as a directly started
// one does. One thread keeps `size` of them ready.
class Sandbox::PrestartPool {
 public:
  // Plan bytes a pre-started init can take (runs with bigger plans, e.g. large files,
  // start their own init). The mapping is shared memory, touched only as far as used.
  static constexpr size_t kPlanCapacity = 4 << 20;
  // How long a run waits for an init being started (it takes a few ms at most).
  static constexpr int kWaitMs = 20;

  PrestartPool(Sandbox* sandbox, int size) : sandbox_(sandbox), size_(size) {
    // One thread per init: starting one mostly waits on the kernel (namespace set-up,
    // RCU grace periods), so they overlap well even on few cores.
    for (int i = 0; i < size; ++i) threads_.emplace_back([this] { Loop(); });
  }
  ~PrestartPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
    ready_.clear();  // kills and reaps them, removes their cgroups
  }

  // A ready init that can take a plan of `plan_bytes` using a filter of
  // `filter_sequence` (0: none), or null. `limits` are remembered: the next inits get
  // cgroups with them, so a run rarely has to change its cgroup's limits.
  // `layout` (the run's mount plan without its files; empty without a mount namespace)
  // is remembered too: the next inits build that root before they are taken.
  std::unique_ptr<Launched> Take(size_t plan_bytes, uint64_t filter_sequence,
                                 const Limits& limits, MountPlan layout) {
    std::unique_ptr<Launched> taken, stale;
    std::string key = layout.ops.empty() ? "" : LayoutKey(layout);
    {
      std::unique_lock<std::mutex> lock(mu_);
      next_limits_ = limits;
      if (key != next_layout_key_) {
        next_layout_ = std::move(layout);
        next_layout_key_ = key;
      }
      // Runs back to back can outpace the thread: one being started is closer to ready
      // than a clone from scratch, which would also compete with it for a CPU.
      cv_.wait_for(lock, std::chrono::milliseconds(kWaitMs),
                   [&] { return stop_ || !ready_.empty() || preparing_ == 0; });
      if (ready_.empty() || plan_bytes > ready_.front()->plan_capacity) return nullptr;
      const Launched& front = *ready_.front();
      pollfd exited = {front.pidfd.get(), POLLIN, 0};
      if (poll(&exited, 1, 0) == 1 ||  // killed from outside while it waited
          filter_sequence > front.filter_sequence ||
          (front.laid_out && front.layout_key != key)) {
        // Dead; or cloned before this filter existed, so its copy of our memory lacks the
        // filter's exec path (see SeccompFilter::sequence); or it built another root.
        // Drop it; the next ones will fit.
        stale = std::move(ready_.front());
      } else {
        taken = std::move(ready_.front());
      }
      ready_.pop_front();
    }
    cv_.notify_all();
    return taken;
  }

  // The ready inits' pids, once the pool is full again (or 5 s passed).
  std::vector<pid_t> IdlePids() {
    std::unique_lock<std::mutex> lock(mu_);
    // Right after a Take the thread may not have begun the replacement yet: wait for a
    // full pool (bounded, for a host where starting one fails).
    cv_.wait_for(lock, std::chrono::seconds(5), [&] {
      return stop_ || (preparing_ == 0 && static_cast<int>(ready_.size()) >= size_);
    });
    std::vector<pid_t> pids;
    for (const auto& l : ready_) pids.push_back(static_cast<pid_t>(l->pid));
    return pids;
  }

 private:
  // Has `l`'s init build the root `layout` describes, and waits until it has.
  absl::Status LayOut(const MountPlan& layout, Launched* l) {
    static const std::vector<std::string> kNoArgv;
    PlanSource src;
    src.flags = LayerFlags(sandbox_->active_, ChooseIdentity(sandbox_->options_.outside_uid,
                                                             sandbox_->options_.outside_gid));
    src.argv = &kNoArgv;
    src.mounts = layout;
    PlanArena arena(l->plan_buf, l->plan_capacity);
    if (!CopyPlan(src, &arena)) return absl::InternalError("the layout plan does not fit");
    if (write(l->sync_w.get(), &kLayOut, 1) != 1) return ErrnoStatus("release the child");
    for (;;) {
      ChildMessage m;
      switch (NextStatusMessage(l->status_r.get(), 10000, &m)) {
        case StatusRead::kTimeout:
          return absl::DeadlineExceededError("init did not lay out its root in 10 s");
        case StatusRead::kClosed:
          return absl::InternalError("init ended while laying out its root");
        case StatusRead::kMessage:
          break;
      }
      if (m.type == ChildMessage::kSetupError) return SetupErrorStatus(m.a, m.b);
      if (m.type == ChildMessage::kLaidOut) break;
    }
    l->laid_out = true;
    return absl::OkStatus();
  }

  void Loop() {
    for (;;) {
      Limits limits;
      MountPlan layout;
      std::string layout_key;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] {
          return stop_ || static_cast<int>(ready_.size()) + preparing_ < size_;
        });
        if (stop_) return;
        limits = next_limits_;
        layout = next_layout_;
        layout_key = next_layout_key_;
        ++preparing_;
      }
      auto l = std::make_unique<Launched>();
      void* buf = mmap(nullptr, kPlanCapacity, PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      absl::Status s = buf == MAP_FAILED ? ErrnoStatus("mmap") : absl::OkStatus();
      if (s.ok()) {
        l->plan_buf = static_cast<char*>(buf);
        l->plan_capacity = kPlanCapacity;
        l->plan_mapped = true;
        s = sandbox_->StartInit(LaunchOptions{}, limits, /*stdin_pipe=*/true,
                                /*prestarted=*/true, l.get());
      }
      if (s.ok() && !layout.ops.empty()) s = LayOut(layout, l.get());
      if (s.ok()) l->layout_key = std::move(layout_key);
      std::unique_lock<std::mutex> lock(mu_);
      --preparing_;
      cv_.notify_all();
      if (!s.ok()) {
        // Runs start their own inits meanwhile (and report what goes wrong there).
        cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_; });
        continue;
      }
      ready_.push_back(std::move(l));
    }
  }

  Sandbox* const sandbox_;
  const int size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Launched>> ready_;
  Limits next_limits_;
  MountPlan next_layout_;
  std::string next_layout_key_;
  int preparing_ = 0;  // inits being started
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

std::vector<pid_t> Sandbox::PrestartedInitPids() {
  return pool_ == nullptr ? std::vector<pid_t>() : pool_->IdlePids();
}

absl::Status Sandbox::StartInit(const LaunchOptions& how, const Limits& limits,
                                bool stdin_pipe, bool prestarted, Launched* out) {
  UniqueFd out_w, err_w, status_w, sync_r, in_r, channel_w;
  // Whether the run will use it is known only once its plan is: a sandbox that reports
  // syscall numbers gives every init the channel.
  if (seccomp_notify()) {
    if (absl::Status s = MakeListenerChannel(&out->listener_channel, &channel_w); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = MakePipe(&out->out_r, &out_w); !s.ok()) return s;
  if (absl::Status s = MakePipe(&out->err_r, &err_w); !s.ok()) return s;
  if (absl::Status s = MakePipe(&out->status_r, &status_w); !s.ok()) return s;
  if (absl::Status s = MakePipe(&sync_r, &out->sync_w); !s.ok()) return s;
  if (how.stdin_fd >= 0) {
    in_r.reset(fcntl(how.stdin_fd, F_DUPFD_CLOEXEC, 0));
    if (in_r.get() < 0) return ErrnoStatus("dup stdin");
  } else {
    if (absl::Status s = MakePipe(&in_r, &out->in_w); !s.ok()) return s;
    if (!stdin_pipe) out->in_w.reset();  // no stdin: end of file at once (RunSpec)
  }
  InitStart start;
  const int fds[kChildFds] = {in_r.get(),     out_w.get(),  err_w.get(),
                              status_w.get(), sync_r.get(), channel_w.get()};
  std::copy(fds, fds + kChildFds, start.fds);
  start.plan = &reinterpret_cast<PlanHeader*>(out->plan_buf)->plan;
  out->program_stack = std::make_unique<char[]>(kProgramStackBytes);
  start.program_stack = out->program_stack.get();

  if (active_.Has(Layer::kCgroup)) {
    CgroupLimits cl{limits.memory_bytes, limits.max_processes};
    absl::StatusOr<std::unique_ptr<RunCgroup>> cg =
        RunCgroup::Create(probe_.cgroups, cl, prestarted ? "idle-" : "run-");
    if (!cg.ok()) return cg.status();
    out->cgroup = std::move(*cg);
    out->cgroup_limits = limits;
  }

  const bool user_ns = active_.Has(Layer::kUserNs);
  unsigned long flags = SIGCHLD | CLONE_PIDFD;
  if (user_ns) flags |= CLONE_NEWUSER;
  if (active_.Has(Layer::kPidNs)) flags |= CLONE_NEWPID;
  if (active_.Has(Layer::kNetNs)) flags |= CLONE_NEWNET;
  if (active_.Has(Layer::kMountNs)) flags |= CLONE_NEWNS;
  if (active_.Has(Layer::kIpcNs)) flags |= CLONE_NEWIPC;
  if (active_.Has(Layer::kUtsNs)) flags |= CLONE_NEWUTS;

  out->filter_sequence = SeccompFilter::LastSequence();
  int pidfd_raw = -1;
  const long pid = syscall(SYS_clone, flags, 0, &pidfd_raw, 0, 0);
  if (pid == 0) InitMain(start);
  if (pid < 0) return ErrnoStatus("clone");
  out->pid = pid;
  out->pidfd.reset(pidfd_raw);

  if (user_ns) {
    const Identity id = ChooseIdentity(options_.outside_uid, options_.outside_gid);
    if (absl::Status s = WriteIdMaps(pid, id); !s.ok()) return s;
  }
  if (out->cgroup) {
    if (absl::Status s = out->cgroup->AddProcess(pid); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Sandbox::Launched>> Sandbox::Launch(const RunSpec& spec,
                                                                   const LaunchOptions& how) {
  if (spec.argv.empty() || spec.argv[0].empty() || spec.argv[0][0] != '/') {
    return absl::InvalidArgumentError("argv[0] must be an absolute path");
  }
  // Program files land in the work dir, never outside it, whichever layers are active.
  for (const File& f : spec.files) {
    if (f.name.empty() || f.name == "." || f.name == ".." ||
        f.name.find('/') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("files: '", f.name, "' must be a plain file name"));
    }
  }
  if (spec.cancel != nullptr && spec.cancel->cancelled()) {
    return absl::CancelledError("run cancelled before it started");
  }
  const Limits& limits = spec.limits;
  const LayerSet layers = [&] {
    LayerSet l = active_;
    if (spec.seccomp == nullptr) l.Remove(Layer::kSeccomp);
    return l;
  }();

  PlanSource src;
  ChildPlan& plan = src.flags;
  plan = LayerFlags(layers, ChooseIdentity(options_.outside_uid, options_.outside_gid));
  plan.service = how.service;
  plan.service_keeps_sys_admin = how.keep_sys_admin;
  src.argv = &spec.argv;
  src.env = spec.env;
  std::unique_ptr<HostWorkDir> host_dir;
  if (plan.mount_ns) {
    absl::StatusOr<MountPlan> mounts = BuildMountPlan(spec);
    if (!mounts.ok()) return mounts.status();
    src.mounts = std::move(*mounts);
  } else {
    host_dir = std::make_unique<HostWorkDir>();
    if (absl::Status s = host_dir->Create(spec, plan.identity); !s.ok()) return s;
    src.work_dir = host_dir->path();
    // The program's idea of $HOME and $TMPDIR follows its private work dir.
    for (std::string& e : src.env) {
      if (e.rfind("HOME=", 0) == 0) e = "HOME=" + host_dir->path();
      if (e.rfind("TMPDIR=", 0) == 0) e = "TMPDIR=" + host_dir->path();
    }
  }
  if (plan.rlimits) {
    plan.rlimit_plan = BuildRlimitPlan(limits, plan.user_ns, !layers.Has(Layer::kCgroup));
  }
  src.seccomp = layers.Has(Layer::kSeccomp) ? spec.seccomp.get() : nullptr;
  plan.seccomp_notify =
      src.seccomp != nullptr && seccomp_notify() && src.seccomp->notify_prog() != nullptr;
  if (src.seccomp != nullptr && spec.argv[0] != src.seccomp->exec_path()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the seccomp filter was compiled for ", src.seccomp->exec_path(), ", not ",
        spec.argv[0]));
  }

  const size_t plan_bytes = PlanBytes(src);
  std::unique_ptr<Launched> l;
  if (pool_ != nullptr && !how.service && how.stdin_fd < 0) {
    MountPlan layout, files;
    if (plan.mount_ns) SplitLayout(src.mounts, &layout, &files);
    l = pool_->Take(plan_bytes, src.seccomp != nullptr ? src.seccomp->sequence() : 0, limits,
                    std::move(layout));
    // An init that has built this layout only writes the files.
    if (l != nullptr && l->laid_out) src.mounts = std::move(files);
  }
  if (l != nullptr) {
    PlanArena arena(l->plan_buf, l->plan_capacity);
    if (!CopyPlan(src, &arena)) return absl::InternalError("the run's plan does not fit");
    if (l->cgroup) {
      if (absl::Status s = l->cgroup->Rename("run-"); !s.ok()) return s;
    }
    if (l->cgroup && (l->cgroup_limits.memory_bytes != limits.memory_bytes ||
                      l->cgroup_limits.max_processes != limits.max_processes)) {
      CgroupLimits cl{limits.memory_bytes, limits.max_processes};
      if (absl::Status s = l->cgroup->SetLimits(cl); !s.ok()) return s;
    }
    if (!spec.has_stdin) l->in_w.reset();  // stdin reads end of file at once
  } else {
    l = std::make_unique<Launched>();
    l->plan_heap = std::make_unique<char[]>(plan_bytes);
    l->plan_buf = l->plan_heap.get();
    l->plan_capacity = plan_bytes;
    PlanArena arena(l->plan_buf, l->plan_capacity);
    if (!CopyPlan(src, &arena)) return absl::InternalError("the run's plan does not fit");
    if (absl::Status s = StartInit(how, limits, spec.has_stdin, /*prestarted=*/false, l.get());
        !s.ok()) {
      return s;
    }
  }
  // A run without a notifying filter gets no listener; init closes its end.
  if (!plan.seccomp_notify) l->listener_channel.reset();
  l->layers = layers;
  l->host_dir = std::move(host_dir);
  l->start_ms = MonotonicMs();
  if (write(l->sync_w.get(), &kGo, 1) != 1) return ErrnoStatus("release the child");
  l->sync_w.reset();
  return l;
}

absl::Status Sandbox::SetupErrorStatus(int stage, int err) {
  absl::Status s = absl::InternalError(
      absl::StrCat("sandbox setup failed while ",
                   ChildStageName(static_cast<ChildStage>(stage)), ": ", strerror(err)));
  s.SetPayload(kStagePayload, absl::Cord(absl::StrCat(stage)));
  return s;
}

absl::StatusOr<RunResult> Sandbox::Run(const RunSpec& spec) {
  absl::StatusOr<std::unique_ptr<Launched>> launched = Launch(spec, LaunchOptions{});
  if (!launched.ok()) return launched.status();
  Launched& l = **launched;
  const Limits& limits = spec.limits;
  const LayerSet layers = l.layers;
  const long pid = l.pid;
  UniqueFd& pidfd = l.pidfd;
  std::unique_ptr<RunCgroup>& cgroup = l.cgroup;
  UniqueFd& out_r = l.out_r;
  UniqueFd& err_r = l.err_r;
  UniqueFd& status_r = l.status_r;
  UniqueFd& in_w = l.in_w;
  const int64_t start_ms = l.start_ms;

  RunResult result;
  result.layers = layers;
  StdioPump pump = StdioPump::For(&result, out_r.get(), err_r.get(), &in_w, spec.stdin_data);

  const int64_t wall_limit = limits.EffectiveWallTimeMs();
  KillReason reason = KillReason::kNone;
  pid_t program_pid = 0;  // host pid, looked up when first needed
  auto cpu_ms_now = [&]() -> int64_t {
    if (cgroup) return cgroup->CpuUsageNs() / 1000000;
    return ProcCpuMs(pid, &program_pid);
  };
  auto kill_tree = [&] {
    kill(pid, SIGKILL);
    if (cgroup) cgroup->KillAll();
  };
  auto kill_run = [&](KillReason why) {
    if (reason == KillReason::kNone) reason = why;
    kill_tree();
  };
  // Set when spec.cancel fires: the tree is killed and the run ends in CancelledError.
  bool cancelled = false;
  ViolationWatch violations(std::move(l.listener_channel));
  int64_t oom_kills_at_violation = 0;
  // Takes a notified kill-list syscall before any limit kill is decided (verdict.cc).
  auto violated = [&] {
    if (reason != KillReason::kNone || cancelled || violations.Poll() < 0) return false;
    if (cgroup) oom_kills_at_violation = cgroup->OomKills();
    kill_run(KillReason::kSyscall);
    return true;
  };

  RunClock clock(start_ms, limits.cpu_time_ms, wall_limit);
  for (;;) {
    if (!cancelled && spec.cancel != nullptr && spec.cancel->cancelled()) {
      cancelled = true;
      kill_tree();
    }
    int64_t timeout = 50;  // once killed: waiting for the tree to go
    if (reason == KillReason::kNone && !cancelled && !violated()) {
      KillReason due = clock.Check(
          cpu_ms_now, [&] { return RunQueueWaitMs(pid, &program_pid); }, &timeout);
      if (due != KillReason::kNone) {
        kill_run(due);
        continue;
      }
    }
    pollfd fds[6];
    int nfds = 0;
    fds[nfds++] = {pidfd.get(), POLLIN, 0};
    if (spec.cancel != nullptr && !cancelled) fds[nfds++] = {spec.cancel->fd(), POLLIN, 0};
    pump.AddPollFds(fds, &nfds);
    if (reason == KillReason::kNone) violations.AddPollFds(fds, &nfds);
    int pr = poll(fds, nfds, static_cast<int>(std::min<int64_t>(timeout, 1000)));
    if (pr < 0 && errno != EINTR) return ErrnoStatus("poll");
    if (pump.Pump(limits.max_output_bytes) && reason == KillReason::kNone && !violated()) {
      kill_run(KillReason::kOutput);
    }
    violated();
    pollfd done = {pidfd.get(), POLLIN, 0};
    if (poll(&done, 1, 0) == 1) break;
  }
  const int64_t final_cpu_ms = cpu_ms_now();
  l.Reap();
  const rusage& ru = l.ru;
  if (cancelled) return absl::CancelledError("run cancelled");
  result.wall_ms = MonotonicMs() - start_ms;
  for (auto& s : pump.streams) {
    if (s.fd >= 0 && s.Drain(limits.max_output_bytes) && reason == KillReason::kNone) {
      reason = KillReason::kOutput;
    }
  }

  Observation obs;
  obs.kill_reason = reason;
  obs.cpu_limit_ms = limits.cpu_time_ms;
  obs.violation_syscall = violations.syscall();
  obs.oom_kills_at_violation = oom_kills_at_violation;
  int setup_stage = 0, setup_errno = 0;
  SetNonBlocking(status_r.get());
  ChildMessage m;
  while (read(status_r.get(), &m, sizeof(m)) == sizeof(m)) {
    if (m.type == ChildMessage::kSetupError && setup_stage == 0) {
      setup_stage = m.a;
      setup_errno = m.b;
    } else if (m.type == ChildMessage::kExitStatus) {
      obs.have_program_status = true;
      obs.program_status = m.a;
    }
  }
  const int64_t rusage_cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
                                (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
  result.max_rss_kb = ru.ru_maxrss;
  if (cgroup) {
    CgroupStats st = cgroup->ReadStats();
    obs.oom_kills = st.oom_kills;
    result.cpu_ms = st.cpu_usage_ns / 1000000;
    // A program that was killed with its init was never reaped by it, so rusage does
    // not cover it: the cgroup's peak does.
    if (!obs.have_program_status) {
      result.max_rss_kb = std::max<int64_t>(result.max_rss_kb, st.memory_peak_bytes / 1024);
    }
  } else {
    result.cpu_ms = std::max(final_cpu_ms, rusage_cpu_ms);
  }
  obs.cpu_ms = result.cpu_ms;
  cgroup.reset();  // kills stragglers, removes the cgroup

  if (setup_stage != 0) return SetupErrorStatus(setup_stage, setup_errno);
  DecideStatus(obs, &result);
  if (result.status == RunStatus::kSandboxError) {
    return absl::InternalError(absl::StrCat(
        "the sandbox's init ended without reporting (wait status ", l.init_status, ")"));
  }
  return result;
}

struct ServiceProcess::State {
  std::unique_ptr<Sandbox::Launched> launched;
};

ServiceProcess::ServiceProcess(std::unique_ptr<State> state) : state_(std::move(state)) {}

ServiceProcess::~ServiceProcess() {
  Sandbox::Launched& l = *state_->launched;
  if (l.pid > 0 && !l.reaped) {
    kill(l.pid, SIGKILL);
    l.Reap();
  }
  if (l.cgroup) l.cgroup->KillAll();
}

pid_t ServiceProcess::pid() const { return static_cast<pid_t>(state_->launched->pid); }
int ServiceProcess::pidfd() const { return state_->launched->pidfd.get(); }
RunCgroup* ServiceProcess::cgroup() const { return state_->launched->cgroup.get(); }
LayerSet ServiceProcess::layers() const { return state_->launched->layers; }

std::string ServiceProcess::StderrTail() {
  constexpr size_t kKeep = 4096;
  int fd = state_->launched->err_r.get();
  char buf[4096];
  ssize_t n;
  while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
    stderr_tail_.append(buf, n);
    if (stderr_tail_.size() > kKeep) stderr_tail_.erase(0, stderr_tail_.size() - kKeep);
  }
  return stderr_tail_;
}

absl::StatusOr<std::unique_ptr<ServiceProcess>> Sandbox::StartService(const ServiceSpec& spec) {
  for (Layer need : {Layer::kUserNs, Layer::kPidNs, Layer::kMountNs}) {
    if (!active_.Has(need)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "a sandboxed service needs the ", LayerName(need), " layer, which is not active"));
    }
  }
  if (spec.run.seccomp != nullptr) {
    return absl::InvalidArgumentError("a service runs without its own seccomp filter");
  }
  auto state = std::make_unique<ServiceProcess::State>();
  LaunchOptions how;
  how.service = true;
  how.keep_sys_admin = spec.keep_sys_admin;
  how.stdin_fd = spec.control_fd;
  absl::StatusOr<std::unique_ptr<Launched>> launched = Launch(spec.run, how);
  if (!launched.ok()) return launched.status();
  state->launched = std::move(*launched);
  Launched& l = *state->launched;
  // The status pipe closes on exec (close-on-exec); a failed setup step reports first.
  for (ChildMessage m;;) {
    const StatusRead got = NextStatusMessage(l.status_r.get(), 30000, &m);
    if (got == StatusRead::kTimeout) {
      return absl::DeadlineExceededError("the service did not start in 30 s");
    }
    if (got == StatusRead::kClosed) break;  // exec'd
    if (m.type == ChildMessage::kSetupError) return SetupErrorStatus(m.a, m.b);
  }
  SetNonBlocking(l.err_r.get());
  SetNonBlocking(l.out_r.get());
  return std::make_unique<ServiceProcess>(std::move(state));
}

}  // namespace fathom::sandbox
