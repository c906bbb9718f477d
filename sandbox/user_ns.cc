// User namespace layer (see user_ns.h).
#include "sandbox/user_ns.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "sandbox/child_error.h"
#include "sandbox/file_util.h"

namespace fathom::sandbox {
namespace {

absl::Status WriteProc(pid_t pid, const char* file, const std::string& value) {
  return WriteControlFile(absl::StrCat("/proc/", pid, "/", file), value);
}

}  // namespace

Identity ChooseIdentity(int outside_uid, int outside_gid) {
  const bool root = geteuid() == 0;
  Identity id;
  id.outside_uid = outside_uid >= 0 ? outside_uid : (root ? 65534 : geteuid());
  id.outside_gid = outside_gid >= 0 ? outside_gid : (root ? 65534 : getegid());
  id.inside_uid = id.outside_uid;
  id.inside_gid = id.outside_gid;
  return id;
}

absl::Status WriteIdMaps(pid_t pid, const Identity& id) {
  if (absl::Status s = WriteProc(pid, "uid_map", absl::StrCat(id.inside_uid, " ",
                                                             id.outside_uid, " 1\n"));
      !s.ok()) {
    return s;
  }
  // An unprivileged writer must deny setgroups before it may write gid_map; root keeps it
  // so the child can drop root's supplementary groups.
  if (geteuid() != 0) {
    if (absl::Status s = WriteProc(pid, "setgroups", "deny"); !s.ok()) return s;
  }
  return WriteProc(pid, "gid_map",
                   absl::StrCat(id.inside_gid, " ", id.outside_gid, " 1\n"));
}

int BecomeInChild(const Identity& id, bool in_user_ns, int* stage) {
  // Raw system calls, not the libc wrappers: in a child cloned from a multi-threaded
  // process, glibc's setresuid & co. try to apply the change to every thread it believes
  // exists (the parent's) and wait for them forever.
  // Root's supplementary groups (0 among them) must not follow the program. Unprivileged
  // callers cannot drop theirs and need not: they are the caller's own.
  if (geteuid() == 0 || in_user_ns) {
    if (syscall(SYS_setgroups, 0, nullptr) != 0 && !(in_user_ns && errno == EPERM)) {
      *stage = static_cast<int>(ChildStage::kSetGroups);
      return errno;
    }
  }
  const gid_t gid = in_user_ns ? id.inside_gid : id.outside_gid;
  const uid_t uid = in_user_ns ? id.inside_uid : id.outside_uid;
  if (syscall(SYS_setresgid, gid, gid, gid) != 0) {
    *stage = static_cast<int>(ChildStage::kSetGid);
    return errno;
  }
  if (syscall(SYS_setresuid, uid, uid, uid) != 0) {
    *stage = static_cast<int>(ChildStage::kSetUid);
    return errno;
  }
  return 0;
}

}  // namespace fathom::sandbox
