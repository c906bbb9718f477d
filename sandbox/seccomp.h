// Seccomp layer: a profile (lists of syscall names) compiled in the parent into a BPF
// program that the child installs last, right before exec.
//
// Thread safety: SeccompFilter is immutable after CompileSeccomp and may be shared by any
// number of concurrent runs.
#ifndef FATHOM_SANDBOX_SECCOMP_H_
#define FATHOM_SANDBOX_SECCOMP_H_

#include <linux/filter.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace fathom::sandbox {

enum class SeccompAction {
  kAllow,
  kErrno,  // fail the call with `errno_value`
  kKill,   // the run ends as syscall_violation (with the syscall's number when the
           // kernel can notify the supervisor; see notify_prog())
};

struct SeccompErrnoRule {
  std::string syscall;
  int errno_value = 0;
};

// A profile as written in policies/seccomp/*.yaml.
struct SeccompProfile {
  std::string name;
  // What happens to a syscall on no list. kErrno uses default_errno (ENOSYS by default:
  // runtimes treat it as "not implemented here" and carry on).
  SeccompAction default_action = SeccompAction::kErrno;
  int default_errno = 38;  // ENOSYS
  std::vector<std::string> allow;
  std::vector<SeccompErrnoRule> errno_rules;
  std::vector<std::string> kill;
  // clone() with CLONE_THREAD (threads) is allowed; clone() without it (new processes),
  // fork and vfork fail with process_errno. clone3 always fails with ENOSYS so libc falls
  // back to clone(), whose flags the filter can see.
  bool allow_threads = true;
  bool allow_process_creation = false;
  int process_errno = 1;  // EPERM
  // execve is allowed only for the sandbox's own exec of the runtime (matched by the
  // address of the path it passes, which the program cannot know); any other execve or
  // execveat fails with exec_errno.
  int exec_errno = 1;  // EPERM
  // Runtimes that are shells or compilers drivers need to exec other programs; they get
  // execve unrestricted (still confined by every other layer).
  bool allow_any_exec = false;
  // Native programs (C, C++) have no reason to start a process or exec anything: a
  // denied fork or exec then ends the run as a violation (with the syscall: clone,
  // execve...) instead of returning process_errno / exec_errno, so a fork bomb or an
  // execve("/bin/sh") is a syscall_violation at its first attempt, never a loop that
  // spins until the CPU limit. Threads stay governed by allow_threads.
  bool kill_process_creation = false;
  bool kill_exec = false;
};

// A compiled BPF program plus the exec path string whose address the filter allows.
// It comes in two variants that differ only in the action of the kill list:
// SECCOMP_RET_KILL_PROCESS (prog(): the kernel kills, the syscall stays unknown) and
// SECCOMP_RET_USER_NOTIF (notify_prog(): the calling thread stops in the kernel until
// the supervisor, which holds the listener, kills the run; see sandbox/seccomp_notify.h).
// A foreign ABI (bad arch) kills the process in both.
class SeccompFilter {
 public:
  // Which program is made of a profile (CompileSeccomp, CompileZygoteSeccomp).
  enum class Part {
    kWhole,       // the profile as written
    kZygoteBase,  // a zygote's part of a split filter: the profile, except that the kill
                  // list, the zygote's set-up syscalls and process creation are allowed
    kChildRest,   // a zygote child's part: everything allowed except exactly those,
                  // which get the profile's action
  };
  static absl::StatusOr<std::shared_ptr<const SeccompFilter>> Compile(
      const SeccompProfile& profile, const std::string& exec_path, Part part);

  // The BPF program to install with seccomp(SECCOMP_SET_MODE_FILTER).
  const sock_fprog* prog() const { return &fprog_; }
  // The same with the kill list as SECCOMP_RET_USER_NOTIF; null when libseccomp or the
  // kernel cannot build it (runs then install prog()).
  const sock_fprog* notify_prog() const {
    return notify_insns_.empty() ? nullptr : &notify_fprog_;
  }
  // The path the child must pass to execve (a stable copy; its address is in the filter).
  const char* exec_path() const { return exec_path_.get(); }
  const std::string& profile_name() const { return profile_name_; }
  // The filter matches execve's path by address, so a process forked before the filter
  // existed cannot exec with it. Filters are numbered in the order they are compiled: a
  // process forked when LastSequence() was >= sequence() holds exec_path() at the same
  // address (the string never changes).
  uint64_t sequence() const { return sequence_; }
  static uint64_t LastSequence();
  // The raw BPF program (sock_filter array) as bytes, for a process that installs it
  // itself (the zygote's children).
  std::string bpf_bytes() const { return Bytes(insns_); }
  // notify_prog() as bytes; empty when there is none.
  std::string notify_bpf_bytes() const { return Bytes(notify_insns_); }

 private:
  static std::string Bytes(const std::vector<sock_filter>& insns) {
    return std::string(reinterpret_cast<const char*>(insns.data()),
                       insns.size() * sizeof(sock_filter));
  }
  std::string profile_name_;
  std::vector<sock_filter> insns_;
  sock_fprog fprog_{};
  std::vector<sock_filter> notify_insns_;
  sock_fprog notify_fprog_{};
  std::unique_ptr<char[]> exec_path_;
  uint64_t sequence_ = 0;
};

// Compiles `profile` for the native architecture (other ABIs, such as the 32-bit
// int 0x80 ABI and x32, kill the process). `exec_path` is the only program execve may
// start; an empty `exec_path` denies every exec (for a program that runs inside an
// already started process, as under the zygote; allow_any_exec is then ignored). Errors: InvalidArgument for an unknown syscall name, Internal for libseccomp
// failures.
absl::StatusOr<std::shared_ptr<const SeccompFilter>> CompileSeccomp(
    const SeccompProfile& profile, const std::string& exec_path);

// A zygote's filter, split in two (sandbox/zygote.h). The kernel's cost of installing a
// filter grows with its length (about 0.7 ms for the 300 instructions of the Python
// profile on the development VM, most of it the JIT), and every child of a zygote paid
// it. Split, the zygote installs `zygote_bpf` once, before it serves any program, and
// every child inherits it; the child then adds `child`, a short filter. Stacked, the two
// decide every syscall of a child exactly as CompileSeccomp(profile, "") would:
//   zygote part: the profile, except that the kill list, the syscalls the zygote and a
//                child's set-up make (close, mount, seccomp, ...) and process creation
//                are allowed;
//   child part:  those syscalls get the profile's action; everything else is allowed.
// The kernel takes the strictest action of the stack, and no syscall gets anything but
// "allow" from both parts except the profile's own answer. The kill list lives in the
// child's part only, so a child's violation notifies (or kills) as with one filter.
// A profile whose default action kills cannot be split (the zygote's part would kill
// before the child's could notify): zygote_bpf is then empty and `child` is the whole
// filter.
struct ZygoteSeccomp {
  std::string zygote_bpf;  // raw sock_filter array; empty when not split
  std::shared_ptr<const SeccompFilter> child;
};
absl::StatusOr<ZygoteSeccomp> CompileZygoteSeccomp(const SeccompProfile& profile);

// Installs `filter` in the calling process after PR_SET_NO_NEW_PRIVS. Async-signal-safe
// (two raw syscalls): meant for the child between fork and exec. Returns 0 or an errno.
int InstallSeccompInChild(const SeccompFilter& filter);
// The same for a BPF program the caller copied elsewhere (a pre-started child reads its
// plan from shared memory, not from the SeccompFilter object).
int InstallSeccompProgramInChild(const sock_fprog* prog);

// Installs filter.notify_prog() (which must exist) with SECCOMP_FILTER_FLAG_NEW_LISTENER
// and stores the listener in *listener (close-on-exec, as the kernel creates it). The
// caller must get the listener to the supervisor and out of the program's hands before
// untrusted code runs (sandbox/seccomp_notify.h). Async-signal-safe. Returns 0 or an errno.
int InstallSeccompWithListenerInChild(const SeccompFilter& filter, int* listener);
// The same for a notifying BPF program the caller copied elsewhere.
int InstallSeccompProgramWithListenerInChild(const sock_fprog* prog, int* listener);

// The name of syscall `nr` as the kernel reported it with `arch` (seccomp_data.arch, an
// AUDIT_ARCH_* value; 0: native): "ptrace" for a native one, "i386:getpid" for the 32-bit
// int 0x80 ABI, "x32:getpid" for an x32 number (bit 30 set, native arch); "" when
// libseccomp does not know it.
std::string SyscallName(int nr, uint32_t arch = 0);

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_SECCOMP_H_
