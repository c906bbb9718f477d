// CompileSeccomp: profile errors are reported, not crashed on.
#include "sandbox/seccomp.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace fathom::sandbox {
namespace {

TEST(SeccompTest, CompilesAProfile) {
  SeccompProfile p;
  p.name = "t";
  p.allow = {"read", "write", "exit_group"};
  p.errno_rules = {{"socket", 13}};
  p.kill = {"ptrace"};
  absl::StatusOr<std::shared_ptr<const SeccompFilter>> f = CompileSeccomp(p, "/bin/true");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_GT((*f)->prog()->len, 10);
  EXPECT_STREQ((*f)->exec_path(), "/bin/true");
}

TEST(SeccompTest, UnknownSyscallIsInvalidArgument) {
  SeccompProfile p;
  p.allow = {"reed"};
  absl::StatusOr<std::shared_ptr<const SeccompFilter>> f = CompileSeccomp(p, "/bin/true");
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.status().message(), "unknown syscall 'reed'");
}

TEST(SeccompTest, ConflictingListsAreInvalidArgument) {
  SeccompProfile p;
  p.name = "t";
  p.allow = {"ptrace"};
  p.kill = {"ptrace"};
  EXPECT_EQ(CompileSeccomp(p, "/bin/true").status().message(),
            "seccomp profile 't': syscall 'ptrace' is listed twice");
}

TEST(SeccompTest, ProcessAndExecSyscallsAreNotListable) {
  SeccompProfile p;
  p.name = "t";
  p.allow = {"fork"};
  EXPECT_EQ(CompileSeccomp(p, "/bin/true").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// What one syscall does in a child under `progs` (installed in order): "ok", "errno N",
// or "killed by signal N".
std::string Probe(const std::vector<const sock_fprog*>& progs, long nr, long a0 = 0) {
  int p[2];
  if (pipe(p) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    for (const sock_fprog* prog : progs) {
      if (InstallSeccompProgramInChild(prog) != 0) _exit(100);
    }
    const long rc = syscall(nr, a0, 0, 0, 0);
    const int err = rc < 0 ? errno : 0;
    if (write(p[1], &err, sizeof(err)) != sizeof(err)) _exit(101);
    _exit(0);
  }
  close(p[1]);
  int err = -1;
  const ssize_t n = read(p[0], &err, sizeof(err));
  close(p[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  if (n != sizeof(err) || WEXITSTATUS(status) != 0) {
    return "child failed: " + std::to_string(WEXITSTATUS(status));
  }
  return err == 0 ? "ok" : "errno " + std::to_string(err);
}

// A zygote's filter split in two (CompileZygoteSeccomp) decides every syscall of a child
// exactly as the whole filter does, while the zygote's part alone lets the zygote fork,
// unshare and install the child's part.
TEST(SeccompTest, SplitZygoteFilterDecidesAsTheWholeOne) {
  SeccompProfile p;
  p.name = "t";
  p.allow = {"write", "exit_group", "getpid", "close"};
  p.errno_rules = {{"socket", EACCES}};
  p.kill = {"ptrace", "unshare"};
  p.process_errno = EPERM;
  p.exec_errno = EPERM;
  absl::StatusOr<std::shared_ptr<const SeccompFilter>> whole = CompileSeccomp(p, "");
  ASSERT_TRUE(whole.ok()) << whole.status();
  absl::StatusOr<ZygoteSeccomp> split = CompileZygoteSeccomp(p);
  ASSERT_TRUE(split.ok()) << split.status();
  ASSERT_FALSE(split->zygote_bpf.empty());
  const sock_fprog base = {
      static_cast<unsigned short>(split->zygote_bpf.size() / sizeof(sock_filter)),
      reinterpret_cast<sock_filter*>(split->zygote_bpf.data())};

  struct Case {
    const char* what;
    long nr;
    long a0;
    std::string want;
  };
  const std::string sigsys = "killed by signal " + std::to_string(SIGSYS);
  const Case cases[] = {
      {"allowed", SYS_getpid, 0, "ok"},
      {"errno list", SYS_socket, 0, "errno " + std::to_string(EACCES)},
      {"unlisted", SYS_getuid, 0, "errno " + std::to_string(ENOSYS)},
      {"unlisted, a zygote set-up call", SYS_prctl, PR_GET_DUMPABLE,
       "errno " + std::to_string(ENOSYS)},
      {"kill list", SYS_ptrace, 0, sigsys},
      {"kill list, a zygote set-up call", SYS_unshare, 0, sigsys},
      {"new process", SYS_fork, 0, "errno " + std::to_string(EPERM)},
      {"clone without CLONE_THREAD", SYS_clone, SIGCHLD, "errno " + std::to_string(EPERM)},
      {"exec", SYS_execve, 0, "errno " + std::to_string(EPERM)},
      {"clone3", SYS_clone3, 0, "errno " + std::to_string(ENOSYS)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(Probe({(*whole)->prog()}, c.nr, c.a0), c.want);
    EXPECT_EQ(Probe({&base, split->child->prog()}, c.nr, c.a0), c.want);
  }
  // The zygote's part alone: what the zygote itself needs.
  EXPECT_EQ(Probe({&base}, SYS_prctl, PR_GET_DUMPABLE), "ok");
  EXPECT_EQ(Probe({&base}, SYS_unshare, 0), "ok");
  EXPECT_EQ(Probe({&base}, SYS_getuid, 0), "errno " + std::to_string(ENOSYS));
  EXPECT_EQ(Probe({&base}, SYS_execve, 0), "errno " + std::to_string(EPERM));
}

// A profile whose unlisted syscalls kill cannot be split: the child installs it whole.
TEST(SeccompTest, AKillingDefaultIsNotSplit) {
  SeccompProfile p;
  p.name = "t";
  p.default_action = SeccompAction::kKill;
  p.allow = {"write", "exit_group"};
  absl::StatusOr<ZygoteSeccomp> split = CompileZygoteSeccomp(p);
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_TRUE(split->zygote_bpf.empty());
  EXPECT_EQ(Probe({split->child->prog()}, SYS_getuid, 0),
            "killed by signal " + std::to_string(SIGSYS));
}

}  // namespace
}  // namespace fathom::sandbox
