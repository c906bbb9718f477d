// Child-to-parent status records.
#include "sandbox/child_error.h"

#include <errno.h>
#include <unistd.h>

namespace fathom::sandbox {

absl::string_view ChildStageName(ChildStage stage) {
  switch (stage) {
    case ChildStage::kNone: return "none";
    case ChildStage::kSync: return "waiting for the parent";
    case ChildStage::kSetGroups: return "setgroups";
    case ChildStage::kSetGid: return "setresgid";
    case ChildStage::kSetUid: return "setresuid";
    case ChildStage::kHostname: return "sethostname";
    case ChildStage::kMountPrivate: return "making mounts private";
    case ChildStage::kMountRoot: return "mounting the tmpfs root";
    case ChildStage::kMountBind: return "bind-mounting the runtime";
    case ChildStage::kMountRemount: return "remounting read-only";
    case ChildStage::kMountMkdir: return "creating a mount point";
    case ChildStage::kMountSymlink: return "creating a symlink";
    case ChildStage::kMountTmpfs: return "mounting a tmpfs";
    case ChildStage::kMountProc: return "mounting /proc";
    case ChildStage::kWriteFile: return "writing the program files";
    case ChildStage::kPivotRoot: return "pivot_root";
    case ChildStage::kChdir: return "chdir to the work dir";
    case ChildStage::kFork: return "forking the program";
    case ChildStage::kRlimit: return "setrlimit";
    case ChildStage::kStdio: return "setting up stdio";
    case ChildStage::kCapabilities: return "dropping capabilities";
    case ChildStage::kSeccomp: return "installing the seccomp filter";
    case ChildStage::kLandlock: return "confining the program with Landlock";
    case ChildStage::kExec: return "execve";
  }
  return "unknown";
}

void SendChildMessage(int fd, int32_t type, int32_t a, int32_t b) {
  ChildMessage m;
  m.type = type;
  m.a = a;
  m.b = b;
  while (write(fd, &m, sizeof(m)) < 0 && errno == EINTR) {
  }
}

}  // namespace fathom::sandbox
