// Probes each isolation layer for real, once, before any run.
#include "sandbox/host_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "sandbox/seccomp_notify.h"
#include "sandbox/user_ns.h"

namespace fathom::sandbox {
namespace {

enum class Check { kNone, kHostname, kMountTmpfs, kMountProc, kSeccomp, kSeccompNotify };

// Child side of a probe: waits for the parent (id maps), then tries `check`.
[[noreturn]] void ProbeChild(int sync_fd, Check check, bool user_ns) {
  char c;
  if (read(sync_fd, &c, 1) != 1) _exit(100);
  int rc = 0;
  int stage = 0;
  // As in a run: become the sandbox user first (files created by an unmapped id fail
  // with EOVERFLOW).
  if (user_ns && BecomeInChild(ChooseIdentity(-1, -1), true, &stage) != 0) _exit(errno);
  switch (check) {
    case Check::kNone:
      break;
    case Check::kHostname:
      // A container's seccomp profile may refuse sethostname even in our own namespace.
      if (sethostname("fathom", 6) != 0) rc = errno;
      break;
    case Check::kMountTmpfs:
      if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
          mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=65536") != 0) {
        rc = errno;
      }
      break;
    case Check::kMountProc:
      if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
          mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=65536") != 0 ||
          mkdir("/tmp/proc", 0755) != 0 ||
          mount("proc", "/tmp/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
        rc = errno;
      }
      break;
    case Check::kSeccomp: {
      sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
      sock_fprog prog = {1, &allow};
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
          syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
        rc = errno;
      }
      break;
    }
    case Check::kSeccompNotify: {
      // What a run does: a filter with a new listener (a kernel without user
      // notification refuses the flag with EINVAL).
      sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
      sock_fprog prog = {1, &allow};
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
          syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                  &prog) < 0) {
        rc = errno;
      }
      break;
    }
  }
  _exit(rc > 0 && rc < 100 ? rc : (rc == 0 ? 0 : 99));
}

// Clones a child with `flags`, maps ids when it has a user namespace, runs `check` in it.
// Returns "" on success or the reason.
std::string TryClone(unsigned long flags, Check check) {
  int sync[2];
  if (pipe2(sync, O_CLOEXEC) != 0) return absl::StrCat("pipe2: ", strerror(errno));
  long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) {
    close(sync[1]);
    ProbeChild(sync[0], check, flags & CLONE_NEWUSER);
  }
  close(sync[0]);
  if (pid < 0) {
    int err = errno;
    close(sync[1]);
    return absl::StrCat("clone: ", strerror(err));
  }
  std::string why;
  if (flags & CLONE_NEWUSER) {
    absl::Status s = WriteIdMaps(pid, ChooseIdentity(-1, -1));
    if (!s.ok()) why = std::string(s.message());
  }
  if (why.empty()) (void)!write(sync[1], "g", 1);
  close(sync[1]);
  int st = 0;
  while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR) {
  }
  if (!why.empty()) return why;
  if (!WIFEXITED(st)) return "probe child died";
  if (WEXITSTATUS(st) != 0) return strerror(WEXITSTATUS(st));
  return "";
}

void Set(HostProbe* p, Layer l, const std::string& failure, const std::string& ok_note) {
  LayerProbe& lp = p->at(l);
  lp.available = failure.empty();
  lp.reason = failure.empty() ? ok_note : failure;
}

}  // namespace

LayerSet HostProbe::Available() const {
  LayerSet s;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (layers[i].available) s.Add(static_cast<Layer>(i));
  }
  return s;
}

HostProbe ProbeHost() {
  HostProbe p;
  p.running_as_root = geteuid() == 0;
  utsname u;
  if (uname(&u) == 0) p.kernel = absl::StrCat(u.sysname, " ", u.release, " ", u.machine);

  std::string user = TryClone(CLONE_NEWUSER, Check::kNone);
  Identity id = ChooseIdentity(-1, -1);
  Set(&p, Layer::kUserNs, user.empty() ? "" : absl::StrCat("user namespaces: ", user),
      absl::StrCat("mapped to outside uid ", id.outside_uid, ", gid ", id.outside_gid));
  // The other namespaces are created together with the user namespace when we have it
  // (that is how runs create them); as root they also work alone.
  const unsigned long base = user.empty() ? CLONE_NEWUSER : 0;
  struct {
    Layer layer;
    unsigned long flag;
    Check check;
    const char* note;
  } ns[] = {
      {Layer::kPidNs, CLONE_NEWPID, Check::kNone, "own pid namespace, own init"},
      {Layer::kNetNs, CLONE_NEWNET, Check::kNone, "empty network namespace"},
      {Layer::kMountNs, CLONE_NEWNS, Check::kMountTmpfs, "tmpfs root, runtime read-only"},
      {Layer::kIpcNs, CLONE_NEWIPC, Check::kNone, "own SysV IPC and POSIX queues"},
      {Layer::kUtsNs, CLONE_NEWUTS, Check::kHostname, "own hostname"},
  };
  for (const auto& n : ns) {
    std::string why = TryClone(base | n.flag, n.check);
    Set(&p, n.layer, why.empty() ? "" : absl::StrCat(LayerName(n.layer), ": ", why), n.note);
  }
  if (p.at(Layer::kMountNs).available && p.at(Layer::kPidNs).available) {
    std::string why = TryClone(base | CLONE_NEWNS | CLONE_NEWPID, Check::kMountProc);
    if (!why.empty()) {
      p.at(Layer::kMountNs).reason += absl::StrCat("; no fresh /proc (", why, ")");
    } else {
      p.at(Layer::kMountNs).reason += ", fresh /proc";
    }
  }

  p.cgroups = DetectCgroups();
  if (p.cgroups.version == CgroupLayout::Version::kNone) {
    Set(&p, Layer::kCgroup, p.cgroups.unavailable_reason, "");
  } else {
    absl::StatusOr<std::unique_ptr<RunCgroup>> cg =
        RunCgroup::Create(p.cgroups, CgroupLimits{64 << 20, 8});
    Set(&p, Layer::kCgroup, cg.ok() ? "" : std::string(cg.status().message()),
        p.cgroups.description);
  }
  Set(&p, Layer::kRlimits, "", "cpu, fsize, nofile, nproc, core, stack");
  std::string sec = TryClone(0, Check::kSeccomp);
  Set(&p, Layer::kSeccomp, sec.empty() ? "" : absl::StrCat("seccomp filter: ", sec),
      "libseccomp filter, installed last");
  std::string notify = SeccompNotifyUnsupported();
  if (notify.empty() && sec.empty()) {
    notify = TryClone(0, Check::kSeccompNotify);
    if (!notify.empty()) notify = absl::StrCat("SECCOMP_FILTER_FLAG_NEW_LISTENER: ", notify);
  } else if (!sec.empty()) {
    notify = "no seccomp filter";
  }
  p.seccomp_notify.available = notify.empty();
  p.seccomp_notify.reason =
      notify.empty()
          ? "kill list notifies the supervisor (SECCOMP_RET_USER_NOTIF): violations "
            "report the syscall"
          : absl::StrCat(notify, "; the kill list kills (SECCOMP_RET_KILL_PROCESS): "
                                 "violations report no syscall");
  return p;
}

}  // namespace fathom::sandbox
