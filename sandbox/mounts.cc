// Mount namespace layer (see mounts.h).
#include "sandbox/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace fathom::sandbox {
namespace {

// The new root is assembled on a tmpfs mounted over /tmp in the child's private mount
// namespace (the host's /tmp is untouched); /tmp exists on every Linux we run on.
constexpr char kStage[] = "/tmp";
// The root tmpfs only holds mount points and symlinks.
constexpr char kRootTmpfsOptions[] = "size=1048576,nr_inodes=4096,mode=0755";

// Flags a read-only bind remount must keep: inside a user namespace the kernel refuses a
// remount that would clear nosuid/nodev/noexec or atime flags the source mount has.
unsigned long LockedFlags(const std::string& path) {
  struct statvfs sv;
  if (statvfs(path.c_str(), &sv) != 0) return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

class PlanBuilder {
 public:
  explicit PlanBuilder(MountPlan* plan) : plan_(plan) {}

  // mkdir -p of `dir` (absolute, inside the sandbox) under the stage.
  void Dirs(const std::string& dir) {
    std::string cur;
    for (absl::string_view part : absl::StrSplit(dir, '/', absl::SkipEmpty())) {
      absl::StrAppend(&cur, "/", part);
      if (made_.insert(cur).second) Add(MountOp::kMkdir, cur, "", 0, 0755);
    }
  }
  void Add(MountOp::Kind kind, const std::string& inside, std::string source,
           unsigned long flags, unsigned mode) {
    plan_->ops.push_back(MountOp{kind, absl::StrCat(kStage, inside), std::move(source), flags,
                                 mode});
  }
  void Parent(const std::string& inside) {
    auto slash = inside.rfind('/');
    if (slash != 0 && slash != std::string::npos) Dirs(inside.substr(0, slash));
  }
  // Binds host `path` at the same place, read-only; recreates symlinks as symlinks.
  absl::Status Bind(const std::string& path, bool read_only = true) {
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) return absl::OkStatus();  // not on this host
    Parent(path);
    if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = readlink(path.c_str(), target, sizeof(target) - 1);
      if (n <= 0) return absl::OkStatus();
      Add(MountOp::kSymlink, path, std::string(target, n), 0, 0);
      made_.insert(path);
      return absl::OkStatus();
    }
    if (S_ISDIR(st.st_mode)) {
      if (made_.insert(path).second) Add(MountOp::kMkdir, path, "", 0, 0755);
    } else {
      Add(MountOp::kTouch, path, "", 0, 0644);
    }
    Add(MountOp::kBind, path, path, MS_BIND | MS_REC, 0);
    if (read_only) {
      Add(MountOp::kRemountRo, path, "",
          MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | LockedFlags(path), 0);
    }
    return absl::OkStatus();
  }

 private:
  MountPlan* plan_;
  std::set<std::string> made_;
};

}  // namespace

absl::StatusOr<MountPlan> BuildMountPlan(const RunSpec& spec) {
  MountPlan plan;
  PlanBuilder b(&plan);
  for (const std::string& path : spec.ro_binds) {
    if (path.empty() || path[0] != '/' || absl::StrContains(path, "/../") ||
        absl::EndsWith(path, "/..")) {
      return absl::InvalidArgumentError(
          absl::StrCat("ro_binds: '", path, "' must be an absolute path without '..'"));
    }
    if (path == "/" || path == "/tmp" || absl::StartsWith(path, "/tmp/") ||
        path == "/proc" || absl::StartsWith(path, "/proc/") || path == "/dev" ||
        absl::StartsWith(path, "/dev/")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ro_binds: '", path, "' is managed by the sandbox (/, /tmp, /proc, /dev)"));
    }
    if (absl::Status s = b.Bind(path); !s.ok()) return s;
  }
  // Work dir: fresh, small, writable, counted in the run's memory cgroup.
  const std::string tmpfs_size = absl::StrCat("size=", spec.limits.tmpfs_bytes);
  b.Dirs(kSandboxWorkDir);
  b.Add(MountOp::kTmpfs, kSandboxWorkDir, tmpfs_size + ",mode=1777", MS_NOSUID | MS_NODEV,
        0);
  // /dev: only harmless character devices, bound from the host.
  b.Dirs("/dev");
  b.Add(MountOp::kTmpfs, "/dev", "size=65536,nr_inodes=64,mode=0755", MS_NOSUID | MS_NOEXEC,
        0);
  for (const char* dev : {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                          "/dev/urandom"}) {
    if (absl::Status s = b.Bind(dev, /*read_only=*/false); !s.ok()) return s;
  }
  b.Add(MountOp::kSymlink, "/dev/fd", "/proc/self/fd", 0, 0);
  b.Add(MountOp::kSymlink, "/dev/stdin", "/proc/self/fd/0", 0, 0);
  b.Add(MountOp::kSymlink, "/dev/stdout", "/proc/self/fd/1", 0, 0);
  b.Add(MountOp::kSymlink, "/dev/stderr", "/proc/self/fd/2", 0, 0);
  b.Dirs("/dev/shm");
  b.Add(MountOp::kTmpfs, "/dev/shm", tmpfs_size + ",mode=1777",
        MS_NOSUID | MS_NODEV | MS_NOEXEC, 0);
  b.Dirs("/proc");
  b.Add(MountOp::kProc, "/proc", "", MS_NOSUID | MS_NODEV | MS_NOEXEC, 0);
  for (const File& f : spec.files) {  // names checked by Sandbox::Run
    b.Add(MountOp::kWriteFile, absl::StrCat(kSandboxWorkDir, "/", f.name), f.content, 0,
          f.executable ? 0755 : 0644);
  }
  return plan;
}

void SplitLayout(const MountPlan& plan, MountPlan* layout, MountPlan* files) {
  for (const MountOp& op : plan.ops) {
    if (op.kind != MountOp::kWriteFile) {
      layout->ops.push_back(op);
    } else {
      MountOp inside = op;
      inside.path = op.path.substr(sizeof(kStage) - 1);  // under the stage until the pivot
      files->ops.push_back(std::move(inside));
    }
  }
}

std::string LayoutKey(const MountPlan& layout) {
  std::string key;
  for (const MountOp& op : layout.ops) {
    absl::StrAppend(&key, op.kind, ":", op.flags, ":", op.mode, ":", op.path.size(), ":",
                    op.path, op.source.size(), ":", op.source, ";");
  }
  return key;
}

namespace {

int WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += n;
    size -= n;
  }
  return 0;
}

// Creates op.path (which must not exist) with op.source; 0 or an errno.
int WriteFile(const ChildMountOp& op) {
  int fd = open(op.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, op.mode);
  if (fd < 0) return errno;
  int e = WriteAll(fd, op.source, op.source_len);
  close(fd);
  return e;
}

}  // namespace

ChildStage ApplyMountPlanInChild(const ChildMountOp* ops, size_t count, int* err, int* proc_err) {
  *proc_err = 0;
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    *err = errno;
    return ChildStage::kMountPrivate;
  }
  if (mount("tmpfs", kStage, "tmpfs", MS_NOSUID | MS_NODEV, kRootTmpfsOptions) != 0) {
    *err = errno;
    return ChildStage::kMountRoot;
  }
  for (size_t i = 0; i < count; ++i) {
    const ChildMountOp& op = ops[i];
    const char* p = op.path;
    switch (op.kind) {
      case MountOp::kMkdir:
        if (mkdir(p, op.mode) != 0 && errno != EEXIST) {
          *err = errno;
          return ChildStage::kMountMkdir;
        }
        break;
      case MountOp::kTouch: {
        int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, op.mode);
        if (fd < 0) {
          *err = errno;
          return ChildStage::kMountMkdir;
        }
        close(fd);
        break;
      }
      case MountOp::kBind:
        if (mount(op.source, p, nullptr, op.flags, nullptr) != 0) {
          *err = errno;
          return ChildStage::kMountBind;
        }
        break;
      case MountOp::kRemountRo:
        if (mount(nullptr, p, nullptr, op.flags, nullptr) != 0) {
          *err = errno;
          return ChildStage::kMountRemount;
        }
        break;
      case MountOp::kSymlink:
        if (symlink(op.source, p) != 0) {
          *err = errno;
          return ChildStage::kMountSymlink;
        }
        break;
      case MountOp::kTmpfs:
        if (mount("tmpfs", p, "tmpfs", op.flags, op.source) != 0) {
          *err = errno;
          return ChildStage::kMountTmpfs;
        }
        break;
      case MountOp::kProc:
        // Only possible in our own pid namespace, and refused where the host masks parts
        // of its /proc (containers): the run then goes on with an empty /proc dir.
        if (mount("proc", p, "proc", op.flags, nullptr) != 0) *proc_err = errno;
        break;
      case MountOp::kWriteFile:
        if ((*err = WriteFile(op)) != 0) return ChildStage::kWriteFile;
        break;
    }
  }
  if (chdir(kStage) != 0) {
    *err = errno;
    return ChildStage::kPivotRoot;
  }
  // pivot_root(".", ".") stacks the old root under the new one; detaching it leaves
  // only the new root visible.
  if (syscall(SYS_pivot_root, ".", ".") != 0 || umount2(".", MNT_DETACH) != 0 ||
      chdir("/") != 0) {
    *err = errno;
    return ChildStage::kPivotRoot;
  }
  if (mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
            nullptr) != 0) {
    *err = errno;
    return ChildStage::kMountRemount;
  }
  return ChildStage::kNone;
}

ChildStage WriteFilesInChild(const ChildMountOp* ops, size_t count, int* err) {
  for (size_t i = 0; i < count; ++i) {
    if (ops[i].kind != MountOp::kWriteFile) continue;
    if ((*err = WriteFile(ops[i])) != 0) return ChildStage::kWriteFile;
  }
  return ChildStage::kNone;
}

}  // namespace fathom::sandbox
