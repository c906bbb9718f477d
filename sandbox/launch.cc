// Starting a run: checks the spec, builds its plan, gives it an init (pre-started, or
// cloned now into the active layers and moved into its cgroup) and releases it.
//
// Process spawning uses clone() directly, not Boost.Process: the namespaces, CLONE_PIDFD
// and a child that must run only async-signal-safe code between clone and exec (we are
// often called from many threads at once) need the raw system call.
#include "sandbox/launch.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "sandbox/child_init.h"
#include "sandbox/child_plan.h"
#include "sandbox/mounts.h"
#include "sandbox/prestart_pool.h"
#include "sandbox/rlimits.h"
#include "sandbox/seccomp_notify.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

namespace fathom::sandbox {
namespace {

absl::Status CheckSpec(const RunSpec& spec) {
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
  return absl::OkStatus();
}

// The root and work dir: a mount plan with a mount namespace, else a host work dir (in
// *host_dir) that $HOME and $TMPDIR follow.
absl::Status PlanWorkDir(const RunSpec& spec, PlanSource* src,
                         std::unique_ptr<HostWorkDir>* host_dir) {
  if (src->flags.mount_ns) {
    absl::StatusOr<MountPlan> mounts = BuildMountPlan(spec);
    if (!mounts.ok()) return mounts.status();
    src->mounts = std::move(*mounts);
    return absl::OkStatus();
  }
  *host_dir = std::make_unique<HostWorkDir>();
  if (absl::Status s = (*host_dir)->Create(spec, src->flags.identity); !s.ok()) return s;
  src->work_dir = (*host_dir)->path();
  for (std::string& e : src->env) {
    if (e.rfind("HOME=", 0) == 0) e = "HOME=" + (*host_dir)->path();
    if (e.rfind("TMPDIR=", 0) == 0) e = "TMPDIR=" + (*host_dir)->path();
  }
  return absl::OkStatus();
}

// The plan of `spec`'s run under `layers` (service flags aside). `notify`: the sandbox
// reports violations' syscall numbers.
absl::Status BuildPlanSource(const RunSpec& spec, const LayerSet& layers,
                             const Identity& identity, bool notify, PlanSource* src,
                             std::unique_ptr<HostWorkDir>* host_dir) {
  ChildPlan& plan = src->flags;
  plan = LayerFlags(layers, identity);
  src->argv = &spec.argv;
  src->env = spec.env;
  if (absl::Status s = PlanWorkDir(spec, src, host_dir); !s.ok()) return s;
  if (plan.rlimits) {
    plan.rlimit_plan =
        BuildRlimitPlan(spec.limits, plan.user_ns, !layers.Has(Layer::kCgroup));
  }
  src->seccomp = layers.Has(Layer::kSeccomp) ? spec.seccomp.get() : nullptr;
  plan.seccomp_notify =
      src->seccomp != nullptr && notify && src->seccomp->notify_prog() != nullptr;
  if (src->seccomp != nullptr && spec.argv[0] != src->seccomp->exec_path()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the seccomp filter was compiled for ", src->seccomp->exec_path(), ", not ",
        spec.argv[0]));
  }
  return absl::OkStatus();
}

// The child's ends of init's descriptors, open until init has been cloned.
struct InitPipes {
  UniqueFd in_r, out_w, err_w, status_w, sync_r, channel_w;
};

// Makes init's pipes: our ends in *out, the child's in *child. See Sandbox::StartInit
// for stdin_fd and stdin_pipe.
absl::Status MakeInitPipes(bool notify, int stdin_fd, bool stdin_pipe, LaunchedRun* out,
                           InitPipes* child) {
  // Whether the run will use it is known only once its plan is: a sandbox that reports
  // syscall numbers gives every init the channel.
  if (notify) {
    if (absl::Status s = MakeListenerChannel(&out->listener_channel, &child->channel_w);
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = MakePipe(&out->out_r, &child->out_w); !s.ok()) return s;
  if (absl::Status s = MakePipe(&out->err_r, &child->err_w); !s.ok()) return s;
  if (absl::Status s = MakePipe(&out->status_r, &child->status_w); !s.ok()) return s;
  if (absl::Status s = MakePipe(&child->sync_r, &out->sync_w); !s.ok()) return s;
  if (stdin_fd >= 0) {
    child->in_r.reset(fcntl(stdin_fd, F_DUPFD_CLOEXEC, 0));
    if (child->in_r.get() < 0) return ErrnoStatus("dup stdin");
    return absl::OkStatus();
  }
  if (absl::Status s = MakePipe(&child->in_r, &out->in_w); !s.ok()) return s;
  if (!stdin_pipe) out->in_w.reset();  // no stdin: end of file at once (RunSpec)
  return absl::OkStatus();
}

unsigned long CloneFlags(const LayerSet& active) {
  unsigned long flags = SIGCHLD | CLONE_PIDFD;
  if (active.Has(Layer::kUserNs)) flags |= CLONE_NEWUSER;
  if (active.Has(Layer::kPidNs)) flags |= CLONE_NEWPID;
  if (active.Has(Layer::kNetNs)) flags |= CLONE_NEWNET;
  if (active.Has(Layer::kMountNs)) flags |= CLONE_NEWNS;
  if (active.Has(Layer::kIpcNs)) flags |= CLONE_NEWIPC;
  if (active.Has(Layer::kUtsNs)) flags |= CLONE_NEWUTS;
  return flags;
}

}  // namespace

HostWorkDir::~HostWorkDir() {
  if (!path_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
}

absl::Status HostWorkDir::Create(const RunSpec& spec, const Identity& id) {
  const char* tmp = getenv("TMPDIR");
  std::string templ = absl::StrCat(tmp && *tmp ? tmp : "/tmp", "/fathom-run-XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) return ErrnoStatus("mkdtemp");
  path_ = templ;
  for (const File& f : spec.files) {  // names checked by Sandbox::Launch
    std::ofstream out(path_ + "/" + f.name, std::ios::binary);
    out << f.content;
    if (!out) return ErrnoStatus(absl::StrCat("write ", path_, "/", f.name));
    out.close();
    if (f.executable) chmod((path_ + "/" + f.name).c_str(), 0755);
    if (geteuid() == 0) (void)!chown((path_ + "/" + f.name).c_str(), id.outside_uid, id.outside_gid);
  }
  if (geteuid() == 0 && chown(path_.c_str(), id.outside_uid, id.outside_gid) != 0) {
    return ErrnoStatus("chown work dir");
  }
  chmod(path_.c_str(), 0700);
  return absl::OkStatus();
}

void LaunchedRun::Reap() {
  while (!reaped && wait4(pid, &init_status, __WALL, &ru) < 0 && errno == EINTR) {
  }
  reaped = true;
}

LaunchedRun::~LaunchedRun() {
  if (pid > 0 && !reaped) {
    kill(pid, SIGKILL);
    Reap();
  }
  if (plan_mapped) munmap(plan_buf, plan_capacity);
}

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

absl::Status Sandbox::StartInit(const LaunchOptions& how, const Limits& limits,
                                bool stdin_pipe, bool prestarted, LaunchedRun* out) {
  InitPipes child;
  if (absl::Status s = MakeInitPipes(seccomp_notify(), how.stdin_fd, stdin_pipe, out, &child);
      !s.ok()) {
    return s;
  }
  InitStart start;
  const int fds[kChildFds] = {child.in_r.get(),     child.out_w.get(),
                              child.err_w.get(),    child.status_w.get(),
                              child.sync_r.get(),   child.channel_w.get()};
  std::copy(fds, fds + kChildFds, start.fds);
  start.plan = &reinterpret_cast<PlanHeader*>(out->plan_buf)->plan;
  out->program_stack = std::make_unique<char[]>(kProgramStackBytes);
  start.program_stack = out->program_stack.get();
  if (ThreadIsPinned()) start.cpus = StartCpus();

  if (active_.Has(Layer::kCgroup)) {
    CgroupLimits cl{limits.memory_bytes, limits.max_processes};
    absl::StatusOr<std::unique_ptr<RunCgroup>> cg =
        RunCgroup::Create(probe_.cgroups, cl, prestarted ? "idle-" : "run-");
    if (!cg.ok()) return cg.status();
    out->cgroup = std::move(*cg);
    out->cgroup_limits = limits;
  }

  out->filter_sequence = SeccompFilter::LastSequence();
  int pidfd_raw = -1;
  const long pid = syscall(SYS_clone, CloneFlags(active_), 0, &pidfd_raw, 0, 0);
  if (pid == 0) InitMain(start);
  if (pid < 0) return ErrnoStatus("clone");
  out->pid = pid;
  out->pidfd.reset(pidfd_raw);

  if (active_.Has(Layer::kUserNs)) {
    const Identity id = ChooseIdentity(options_.outside_uid, options_.outside_gid);
    if (absl::Status s = WriteIdMaps(pid, id); !s.ok()) return s;
  }
  if (out->cgroup) {
    if (absl::Status s = out->cgroup->AddProcess(pid); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LaunchedRun>> Sandbox::TakePrestarted(const RunSpec& spec,
                                                                     PlanSource* src) {
  const Limits& limits = spec.limits;
  MountPlan layout, files;
  if (src->flags.mount_ns) SplitLayout(src->mounts, &layout, &files);
  std::unique_ptr<LaunchedRun> l =
      pool_->Take(PlanBytes(*src), src->seccomp != nullptr ? src->seccomp->sequence() : 0,
                  limits, std::move(layout));
  if (l == nullptr) return l;
  // An init that has built this layout only writes the files.
  if (l->laid_out) src->mounts = std::move(files);
  if (!CopyPlan(*src, l->plan_buf, l->plan_capacity)) {
    return absl::InternalError("the run's plan does not fit");
  }
  if (l->cgroup) {
    if (absl::Status s = l->cgroup->Rename("run-"); !s.ok()) return s;
  }
  if (l->cgroup && (l->cgroup_limits.memory_bytes != limits.memory_bytes ||
                    l->cgroup_limits.max_processes != limits.max_processes)) {
    CgroupLimits cl{limits.memory_bytes, limits.max_processes};
    if (absl::Status s = l->cgroup->SetLimits(cl); !s.ok()) return s;
  }
  if (!spec.has_stdin) l->in_w.reset();  // stdin reads end of file at once
  return l;
}

absl::StatusOr<std::unique_ptr<LaunchedRun>> Sandbox::Launch(const RunSpec& spec,
                                                             const LaunchOptions& how) {
  if (absl::Status s = CheckSpec(spec); !s.ok()) return s;
  const LayerSet layers = [&] {
    LayerSet l = active_;
    if (spec.seccomp == nullptr) l.Remove(Layer::kSeccomp);
    return l;
  }();
  PlanSource src;
  std::unique_ptr<HostWorkDir> host_dir;
  if (absl::Status s = BuildPlanSource(
          spec, layers, ChooseIdentity(options_.outside_uid, options_.outside_gid),
          seccomp_notify(), &src, &host_dir);
      !s.ok()) {
    return s;
  }
  src.flags.service = how.service;
  src.flags.service_keeps_sys_admin = how.keep_sys_admin;

  std::unique_ptr<LaunchedRun> l;
  if (pool_ != nullptr && !how.service && how.stdin_fd < 0) {
    absl::StatusOr<std::unique_ptr<LaunchedRun>> taken = TakePrestarted(spec, &src);
    if (!taken.ok()) return taken.status();
    l = std::move(*taken);
  }
  if (l == nullptr) {
    const size_t plan_bytes = PlanBytes(src);
    l = std::make_unique<LaunchedRun>();
    l->plan_heap = std::make_unique<char[]>(plan_bytes);
    l->plan_buf = l->plan_heap.get();
    l->plan_capacity = plan_bytes;
    if (!CopyPlan(src, l->plan_buf, l->plan_capacity)) {
      return absl::InternalError("the run's plan does not fit");
    }
    if (absl::Status s =
            StartInit(how, spec.limits, spec.has_stdin, /*prestarted=*/false, l.get());
        !s.ok()) {
      return s;
    }
  }
  // A run without a notifying filter gets no listener; init closes its end.
  if (!src.flags.seccomp_notify) l->listener_channel.reset();
  l->layers = layers;
  l->host_dir = std::move(host_dir);
  l->start_ms = MonotonicMs();
  if (write(l->sync_w.get(), &kGo, 1) != 1) return ErrnoStatus("release the child");
  l->sync_w.reset();
  return l;
}

}  // namespace fathom::sandbox
