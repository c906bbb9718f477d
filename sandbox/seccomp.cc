// Seccomp layer: compiles a SeccompProfile with libseccomp in the parent; the child only
// installs the exported BPF program (two raw syscalls, async-signal-safe).
#include "sandbox/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace fathom::sandbox {
namespace {

using Part = SeccompFilter::Part;

// Counts compiled filters (SeccompFilter::sequence).
std::atomic<uint64_t> g_filter_sequence{0};

absl::Status LibError(const std::string& what, int rc) {
  return absl::InternalError(absl::StrCat("libseccomp: ", what, ": ", strerror(-rc)));
}

absl::StatusOr<int> Resolve(const std::string& name) {
  int nr = seccomp_syscall_resolve_name(name.c_str());
  if (nr == __NR_SCMP_ERROR) {
    return absl::InvalidArgumentError(absl::StrCat("unknown syscall '", name, "'"));
  }
  return nr;
}

uint32_t ToScmp(SeccompAction action, int errno_value, uint32_t kill_action) {
  switch (action) {
    case SeccompAction::kAllow:
      return SCMP_ACT_ALLOW;
    case SeccompAction::kErrno:
      return SCMP_ACT_ERRNO(errno_value);
    case SeccompAction::kKill:
      return kill_action;
  }
  return kill_action;
}

// Adds an unconditional rule; a syscall named twice with different actions is an error
// in the profile, not something to resolve silently.
absl::Status AddRule(scmp_filter_ctx ctx, uint32_t default_action, const std::string& profile,
                     const std::string& name, uint32_t action) {
  absl::StatusOr<int> nr = Resolve(name);
  if (!nr.ok()) return nr.status();
  if (action == default_action) return absl::OkStatus();
  int rc = seccomp_rule_add(ctx, action, *nr, 0);
  if (rc == -EEXIST) {
    return absl::InvalidArgumentError(
        absl::StrCat("seccomp profile '", profile, "': syscall '", name, "' is listed twice"));
  }
  if (rc < 0) return LibError(absl::StrCat("rule for ", name), rc);
  return absl::OkStatus();
}

bool Listed(const SeccompProfile& p, const std::string& name) {
  for (const auto& n : p.allow) {
    if (n == name) return true;
  }
  for (const auto& n : p.kill) {
    if (n == name) return true;
  }
  for (const auto& r : p.errno_rules) {
    if (r.syscall == name) return true;
  }
  return false;
}

// seccomp_rule_add, except that a rule whose action is the default action is a no-op
// (libseccomp refuses those with -EACCES).
int RuleAdd(scmp_filter_ctx ctx, uint32_t default_action, uint32_t action, int nr,
            unsigned argc, const scmp_arg_cmp* args) {
  if (action == default_action) return 0;
  return seccomp_rule_add_array(ctx, action, nr, argc, args);
}

// The syscalls a zygote makes after it installed its part of a split filter, and those
// its children make before they install theirs (sandbox/python_zygote.py,
// sandbox/zygote_child.c): generous on purpose, since a name the profile allows costs the
// child's part nothing. Names this libseccomp does not know are skipped.
constexpr const char* kZygoteSetupSyscalls[] = {
    "access",    "brk",        "capset",     "chdir",      "close",        "close_range",
    "dup2",      "dup3",       "exit",       "exit_group", "faccessat",    "faccessat2",
    "fcntl",     "getdents64", "getpid",     "kill",       "lseek",        "madvise",
    "mmap",      "mount",      "mremap",     "munmap",     "open",         "openat",
    "pidfd_open", "pipe2",     "poll",       "ppoll",      "prctl",        "prlimit64",
    "read",      "recvfrom",   "recvmsg",    "rt_sigaction", "rt_sigprocmask", "sched_setaffinity",
    "seccomp",   "sendmsg",    "sendto",     "setrlimit",  "umount2",      "unlinkat",
    "unshare",   "wait4",      "write",
};

bool IsZygoteSetupSyscall(const std::string& name) {
  for (const char* s : kZygoteSetupSyscalls) {
    if (name == s) return true;
  }
  return false;
}

// Compiles `profile` (the `part` of it) into a BPF program whose kill list has
// `kill_action`; the rest is the same for every action. `exec_addr` is the address of the
// one path execve may get.
absl::Status BuildProgram(const SeccompProfile& profile, Part part, bool no_exec,
                          scmp_datum_t exec_addr, uint32_t kill_action,
                          std::vector<sock_filter>* insns) {
  // What the profile gives a syscall on none of its lists.
  const uint32_t unlisted = ToScmp(profile.default_action, profile.default_errno, kill_action);
  const uint32_t def = part == Part::kChildRest ? SCMP_ACT_ALLOW : unlisted;
  scmp_filter_ctx ctx = seccomp_init(def);
  if (ctx == nullptr) return absl::InternalError("libseccomp: seccomp_init failed");
  absl::Cleanup release = [ctx] { seccomp_release(ctx); };

  // Syscalls of any other ABI (32-bit int 0x80, x32) end the run like the kill list (and
  // with user notification, say which): the filter only knows the native numbers, so
  // letting another ABI through would bypass every rule. The zygote's part traces them
  // instead: without a tracer the call fails with ENOSYS and never runs, so the zygote
  // stays confined, while in a child the rest's notification outranks it (the kernel
  // takes the strongest action of the stacked filters, and KILL would hide the number).
  const uint32_t bad_arch = part == Part::kZygoteBase ? SCMP_ACT_TRACE(0) : kill_action;
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, bad_arch);
  if (rc < 0) return LibError("set bad-arch action", rc);
  // The kernel must not reorder our rules into something we did not test.
  (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);

  // A listed syscall's action in this part: the split moves the kill list and the
  // zygote's set-up syscalls from the zygote's part to the child's.
  auto add = [&](const std::string& name, uint32_t action, bool killed) {
    const bool moved = killed || IsZygoteSetupSyscall(name);
    if (part == Part::kZygoteBase && moved) action = SCMP_ACT_ALLOW;
    if (part == Part::kChildRest && !moved) action = SCMP_ACT_ALLOW;
    return AddRule(ctx, def, profile.name, name, action);
  };
  for (const auto& name : profile.allow) {
    if (absl::Status s = add(name, SCMP_ACT_ALLOW, false); !s.ok()) return s;
  }
  for (const auto& r : profile.errno_rules) {
    if (absl::Status s = add(r.syscall, SCMP_ACT_ERRNO(r.errno_value), false); !s.ok()) {
      return s;
    }
  }
  for (const auto& name : profile.kill) {
    if (absl::Status s = add(name, kill_action, true); !s.ok()) return s;
  }
  if (part != Part::kWhole) {
    // The set-up syscalls the profile does not list: the zygote may make them; a child
    // gets what the profile gives an unlisted syscall.
    for (const char* name : kZygoteSetupSyscalls) {
      if (Listed(profile, name) || !Resolve(name).ok()) continue;
      const uint32_t action = part == Part::kZygoteBase ? SCMP_ACT_ALLOW : unlisted;
      if (absl::Status s = AddRule(ctx, def, profile.name, name, action); !s.ok()) return s;
    }
  }

  // clone3 passes its flags in memory the filter cannot read: make libc fall back to
  // clone(), whose flags are an argument. (In a split filter the zygote's part says so.)
  if (part != Part::kChildRest) {
    rc = RuleAdd(ctx, def, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0, nullptr);
    if (rc < 0) return LibError("clone3 rule", rc);
  }
  const uint32_t deny_process =
      profile.kill_process_creation ? kill_action : SCMP_ACT_ERRNO(profile.process_errno);
  if (profile.allow_process_creation || part == Part::kZygoteBase) {
    for (int nr : {SCMP_SYS(clone), SCMP_SYS(fork), SCMP_SYS(vfork)}) {
      rc = RuleAdd(ctx, def, SCMP_ACT_ALLOW, nr, 0, nullptr);
      if (rc < 0) return LibError("process rule", rc);
    }
  } else {
    const scmp_arg_cmp thread[] = {SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)};
    const scmp_arg_cmp process[] = {SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0)};
    rc = RuleAdd(ctx, def, deny_process, SCMP_SYS(fork), 0, nullptr);
    if (rc == 0) rc = RuleAdd(ctx, def, deny_process, SCMP_SYS(vfork), 0, nullptr);
    if (rc == 0) {
      rc = RuleAdd(ctx, def, profile.allow_threads ? SCMP_ACT_ALLOW : deny_process,
                   SCMP_SYS(clone), 1, thread);
    }
    if (rc == 0) rc = RuleAdd(ctx, def, deny_process, SCMP_SYS(clone), 1, process);
    if (rc < 0) return LibError("process rules", rc);
  }
  // Only the sandbox's own exec of the runtime, identified by the path pointer it passes.
  // (In a split filter the zygote's part denies every exec.)
  const scmp_arg_cmp is_runtime[] = {SCMP_A0(SCMP_CMP_EQ, exec_addr)};
  const scmp_arg_cmp not_runtime[] = {SCMP_A0(SCMP_CMP_NE, exec_addr)};
  const uint32_t deny_exec = profile.kill_exec ? kill_action : SCMP_ACT_ERRNO(profile.exec_errno);
  if (part == Part::kChildRest) {
    rc = 0;
  } else if (no_exec) {
    // A program that is already running (the zygote's children): no exec at all.
    rc = RuleAdd(ctx, def, deny_exec, SCMP_SYS(execve), 0, nullptr);
    if (rc == 0) rc = RuleAdd(ctx, def, deny_exec, SCMP_SYS(execveat), 0, nullptr);
  } else if (profile.allow_any_exec) {
    rc = RuleAdd(ctx, def, SCMP_ACT_ALLOW, SCMP_SYS(execve), 0, nullptr);
    if (rc == 0) rc = RuleAdd(ctx, def, SCMP_ACT_ALLOW, SCMP_SYS(execveat), 0, nullptr);
  } else {
    rc = RuleAdd(ctx, def, SCMP_ACT_ALLOW, SCMP_SYS(execve), 1, is_runtime);
    if (rc == 0) rc = RuleAdd(ctx, def, deny_exec, SCMP_SYS(execve), 1, not_runtime);
    if (rc == 0) rc = RuleAdd(ctx, def, deny_exec, SCMP_SYS(execveat), 0, nullptr);
  }
  if (rc < 0) return LibError("exec rules", rc);

  // libseccomp 2.5 exports only to a file descriptor.
  int fd = memfd_create("fathom-seccomp", MFD_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("memfd_create: ", strerror(errno)));
  absl::Cleanup close_fd = [fd] { close(fd); };
  rc = seccomp_export_bpf(ctx, fd);
  if (rc < 0) return LibError("export", rc);
  off_t size = lseek(fd, 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter) != 0) {
    return absl::InternalError("libseccomp: exported filter has a bad size");
  }
  insns->resize(size / sizeof(sock_filter));
  if (pread(fd, insns->data(), size, 0) != size) {
    return absl::InternalError("libseccomp: short read of the exported filter");
  }
  return absl::OkStatus();
}

// Rejects what no part of a filter can be built from.
absl::Status CheckProfile(const SeccompProfile& profile) {
  // Process creation and exec are decided here, by argument, not by the lists.
  for (const char* special : {"clone", "clone3", "fork", "vfork", "execve", "execveat"}) {
    if (Listed(profile, special)) {
      return absl::InvalidArgumentError(
          absl::StrCat("seccomp profile '", profile.name, "': '", special,
                       "' is governed by allow_threads / allow_process_creation and the "
                       "exec rule; remove it from the lists"));
    }
  }
  // A syscall on two lists is a contradiction in the profile, not something to resolve
  // silently by list order.
  std::map<std::string, int> seen;
  for (const auto* list : {&profile.allow, &profile.kill}) {
    for (const auto& name : *list) ++seen[name];
  }
  for (const auto& r : profile.errno_rules) ++seen[r.syscall];
  for (const auto& [name, count] : seen) {
    if (count > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "seccomp profile '", profile.name, "': syscall '", name, "' is listed twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const SeccompFilter>> SeccompFilter::Compile(
    const SeccompProfile& profile, const std::string& exec_path, Part part) {
  if (absl::Status s = CheckProfile(profile); !s.ok()) return s;
  auto filter = std::shared_ptr<SeccompFilter>(new SeccompFilter());
  filter->profile_name_ = profile.name;
  filter->exec_path_ = std::make_unique<char[]>(exec_path.size() + 1);
  memcpy(filter->exec_path_.get(), exec_path.c_str(), exec_path.size() + 1);
  const auto exec_addr = reinterpret_cast<scmp_datum_t>(filter->exec_path_.get());

  if (absl::Status s = BuildProgram(profile, part, exec_path.empty(), exec_addr,
                                    SCMP_ACT_KILL_PROCESS, &filter->insns_);
      !s.ok()) {
    return s;
  }
  filter->fprog_.len = static_cast<unsigned short>(filter->insns_.size());
  filter->fprog_.filter = filter->insns_.data();
  // The notifying variant needs libseccomp >= 2.5 and a kernel with user notification
  // (5.0); without them runs use the killing one and report the syscall as unknown.
  if (!BuildProgram(profile, part, exec_path.empty(), exec_addr, SCMP_ACT_NOTIFY,
                    &filter->notify_insns_)
           .ok()) {
    filter->notify_insns_.clear();
  }
  filter->notify_fprog_.len = static_cast<unsigned short>(filter->notify_insns_.size());
  filter->notify_fprog_.filter = filter->notify_insns_.data();
  filter->sequence_ = g_filter_sequence.fetch_add(1) + 1;
  return std::shared_ptr<const SeccompFilter>(std::move(filter));
}

absl::StatusOr<std::shared_ptr<const SeccompFilter>> CompileSeccomp(
    const SeccompProfile& profile, const std::string& exec_path) {
  return SeccompFilter::Compile(profile, exec_path, Part::kWhole);
}

absl::StatusOr<ZygoteSeccomp> CompileZygoteSeccomp(const SeccompProfile& profile) {
  ZygoteSeccomp out;
  if (profile.default_action == SeccompAction::kKill) {
    // The zygote's part would kill every unlisted syscall before the child's part could
    // notify: no split, the child installs the whole filter.
    absl::StatusOr<std::shared_ptr<const SeccompFilter>> whole = CompileSeccomp(profile, "");
    if (!whole.ok()) return whole.status();
    out.child = *std::move(whole);
    return out;
  }
  absl::StatusOr<std::shared_ptr<const SeccompFilter>> child =
      SeccompFilter::Compile(profile, "", Part::kChildRest);
  if (!child.ok()) return child.status();
  absl::StatusOr<std::shared_ptr<const SeccompFilter>> base =
      SeccompFilter::Compile(profile, "", Part::kZygoteBase);
  if (!base.ok()) return base.status();
  out.child = *std::move(child);
  out.zygote_bpf = (*base)->bpf_bytes();
  return out;
}

uint64_t SeccompFilter::LastSequence() { return g_filter_sequence.load(); }

int InstallSeccompInChild(const SeccompFilter& filter) {
  return InstallSeccompProgramInChild(filter.prog());
}

int InstallSeccompProgramInChild(const sock_fprog* prog) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) != 0) return errno;
  return 0;
}

int InstallSeccompWithListenerInChild(const SeccompFilter& filter, int* listener) {
  if (filter.notify_prog() == nullptr) return EINVAL;
  return InstallSeccompProgramWithListenerInChild(filter.notify_prog(), listener);
}

int InstallSeccompProgramWithListenerInChild(const sock_fprog* prog, int* listener) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  const long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                          SECCOMP_FILTER_FLAG_NEW_LISTENER, prog);
  if (fd < 0) return errno;
  *listener = static_cast<int>(fd);
  return 0;
}

std::string SyscallName(int nr, uint32_t arch) {
  // x32 shares x86_64's audit arch and marks its numbers with bit 30.
  constexpr int kX32Bit = 0x40000000;
  uint32_t resolve_arch = SCMP_ARCH_NATIVE;
  const char* prefix = "";
  if (arch == AUDIT_ARCH_I386) {
    resolve_arch = SCMP_ARCH_X86;
    prefix = "i386:";
  } else if ((arch == 0 || arch == AUDIT_ARCH_X86_64) && nr >= 0 && (nr & kX32Bit) != 0) {
    resolve_arch = SCMP_ARCH_X32;
    prefix = "x32:";
  } else if (arch != 0 && arch != seccomp_arch_native()) {
    return "";
  }
  char* name = seccomp_syscall_resolve_num_arch(resolve_arch, nr);
  if (name == nullptr) return "";
  std::string out = absl::StrCat(prefix, name);
  free(name);
  return out;
}

}  // namespace fathom::sandbox
