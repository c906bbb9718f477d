#include "sandbox/landlock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>

namespace fathom::sandbox {
namespace {

// Access rights by ABI version (linux/landlock.h; Debian 12's header stops at v2).
constexpr uint64_t kRightsV1 = (uint64_t{1} << 13) - 1;  // EXECUTE .. MAKE_SYM
constexpr uint64_t kRefer = uint64_t{1} << 13;           // v2
constexpr uint64_t kTruncate = uint64_t{1} << 14;        // v3
constexpr uint64_t kIoctlDev = uint64_t{1} << 15;        // v5
constexpr uint64_t kExecute = uint64_t{1} << 0;
constexpr uint64_t kWriteFile = uint64_t{1} << 1;
constexpr uint64_t kReadFile = uint64_t{1} << 2;
constexpr uint64_t kReadDir = uint64_t{1} << 3;

uint64_t HandledRights(int abi) {
  uint64_t r = kRightsV1;
  if (abi >= 2) r |= kRefer;
  if (abi >= 3) r |= kTruncate;
  if (abi >= 5) r |= kIoctlDev;
  return r;
}

// The rights a rule on a non-directory may carry.
uint64_t FileRights(int abi) {
  return HandledRights(abi) & (kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev);
}

struct RulesetAttr {  // struct landlock_ruleset_attr as of ABI 6
  uint64_t handled_access_fs;
  uint64_t handled_access_net;  // ABI 4; left 0 (the net namespace or seccomp covers it)
  uint64_t scoped;              // ABI 6
};
constexpr uint64_t kScopeAbstractUnixSocket = uint64_t{1} << 0;
constexpr uint64_t kScopeSignal = uint64_t{1} << 1;

struct PathBeneathAttr {  // struct landlock_path_beneath_attr (packed in the uapi header)
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));

// Adds a rule for `path` (relative to `dir_fd`), with `dir_rights` when it is a directory
// and the file rights otherwise. A name that vanished or cannot be opened is skipped: it
// stays denied.
int AddRule(int ruleset, int dir_fd, const char* path, uint64_t dir_rights, int abi) {
  const int fd = openat(dir_fd, path, O_PATH | O_CLOEXEC);
  if (fd < 0) return 0;
  struct stat st;
  int rc = 0;
  if (fstat(fd, &st) == 0) {
    PathBeneathAttr attr{S_ISDIR(st.st_mode) ? dir_rights : dir_rights & FileRights(abi), fd};
    if (attr.allowed_access != 0 &&
        syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0) != 0) {
      rc = errno;
    }
  }
  close(fd);
  return rc;
}

}  // namespace

int LandlockAbi() {
  const long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0,
                           LANDLOCK_CREATE_RULESET_VERSION);
  return abi > 0 ? static_cast<int>(abi) : 0;
}

int ConfineWithLandlockInChild(int abi) {
  const uint64_t all = HandledRights(abi);
  RulesetAttr attr{all, 0, abi >= 6 ? kScopeAbstractUnixSocket | kScopeSignal : 0};
  // An older kernel takes the prefix it knows (a longer struct must end in zeros).
  const size_t attr_size = abi >= 6   ? sizeof(attr)
                           : abi >= 4 ? offsetof(RulesetAttr, scoped)
                                      : offsetof(RulesetAttr, handled_access_net);
  const int ruleset =
      static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0));
  if (ruleset < 0) return errno;
  int rc = 0;
  // "/" itself: listing only (the rule covers everything beneath, /dev's listing too).
  const int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) rc = errno;
  struct stat dev_st {};
  const bool have_dev = rc == 0 && fstatat(root, "dev", &dev_st, 0) == 0;
  if (rc == 0) rc = AddRule(ruleset, root, ".", kReadDir, abi);
  // Every other top-level entry in full. Entries that resolve to /dev (a symlink) are
  // left out like /dev.
  alignas(8) char buf[4096];
  while (rc == 0) {
    const long n = syscall(SYS_getdents64, root, buf, sizeof(buf));
    if (n < 0) rc = errno;
    if (n <= 0) break;
    for (long off = 0; off < n && rc == 0;) {
      auto* d = reinterpret_cast<struct dirent64*>(buf + off);
      off += d->d_reclen;
      const char* name = d->d_name;
      if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strcmp(name, "dev") == 0) {
        continue;
      }
      struct stat st;
      if (have_dev && fstatat(root, name, &st, 0) == 0 && st.st_dev == dev_st.st_dev &&
          st.st_ino == dev_st.st_ino) {
        continue;
      }
      rc = AddRule(ruleset, root, name, all, abi);
    }
  }
  // The harmless nodes the private /dev also has, and the shm directory.
  for (const char* node : {"dev/null", "dev/zero", "dev/full", "dev/random", "dev/urandom"}) {
    if (rc == 0) rc = AddRule(ruleset, root, node, FileRights(abi), abi);
  }
  if (rc == 0) rc = AddRule(ruleset, root, "dev/shm", all, abi);
  if (root >= 0) close(root);
  if (rc == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) rc = errno;
  if (rc == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) rc = errno;
  close(ruleset);
  return rc;
}

}  // namespace fathom::sandbox
