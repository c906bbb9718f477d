// The listener hand-over and ViolationWatch against a real filter in a forked child, with
// no sandbox around them: the number reported, the syscall never running, and only a
// seccomp listener being accepted.
#include "sandbox/seccomp_notify.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sandbox/seccomp.h"

namespace fathom::sandbox {
namespace {

// A filter that allows everything but mkdir, which is on the kill list.
std::shared_ptr<const SeccompFilter> MkdirKillFilter() {
  SeccompProfile p;
  p.default_action = SeccompAction::kAllow;
  p.kill = {"mkdir"};
  p.allow_process_creation = true;
  absl::StatusOr<std::shared_ptr<const SeccompFilter>> f = CompileSeccomp(p, "");
  EXPECT_TRUE(f.ok()) << f.status();
  return f.ok() ? *f : nullptr;
}

// Polls `watch` until it reports a syscall or `ms` pass.
int WaitForViolation(ViolationWatch& watch, int ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    pollfd fds[1];
    int n = 0;
    watch.AddPollFds(fds, &n);
    if (n > 0) poll(fds, n, 50);
    if (int nr = watch.Poll(); nr >= 0) return nr;
  }
  return -1;
}

class SeccompNotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (*SeccompNotifyUnsupported() != '\0') {
      GTEST_SKIP() << "no seccomp user notification here: " << SeccompNotifyUnsupported();
    }
    filter_ = MkdirKillFilter();
    ASSERT_NE(filter_, nullptr);
    ASSERT_NE(filter_->notify_prog(), nullptr);
    dir_ = absl::StrCat(::testing::TempDir(), "/fathom-notify-", getpid());
    rmdir(dir_.c_str());
  }
  void TearDown() override { rmdir(dir_.c_str()); }

  // Forks a child that installs the notifying filter, sends its listener over the
  // channel (or `decoy` instead when >= 0), then calls mkdir(dir_) and exits with the
  // errno it got (0: it ran). `ahead`: a message queued on the channel before the child's.
  pid_t StartChild(UniqueFd* ours, int decoy = -1, const std::string& ahead = "") {
    UniqueFd theirs;
    EXPECT_TRUE(MakeListenerChannel(ours, &theirs).ok());
    if (!ahead.empty()) {
      EXPECT_EQ(send(theirs.get(), ahead.data(), ahead.size(), 0),
                static_cast<ssize_t>(ahead.size()));
    }
    const pid_t pid = fork();
    if (pid == 0) {
      int listener = -1;
      if (InstallSeccompWithListenerInChild(*filter_, &listener) != 0) _exit(100);
      if (fathom_send_fd(theirs.get(), decoy >= 0 ? decoy : listener) != 0) _exit(101);
      close(listener);
      close(theirs.get());
      const long r = syscall(SYS_mkdir, dir_.c_str(), 0700);
      _exit(r == 0 ? 0 : errno);
    }
    return pid;
  }

  static int Wait(pid_t pid) {
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return st;
  }

  std::shared_ptr<const SeccompFilter> filter_;
  std::string dir_;
};

TEST_F(SeccompNotifyTest, ReportsTheKernelsNumberAndClosingTheListenerFailsTheCall) {
  UniqueFd channel;
  const pid_t pid = StartChild(&channel);
  ASSERT_GT(pid, 0);
  ViolationWatch watch(std::move(channel));
  EXPECT_EQ(WaitForViolation(watch, 10000), SYS_mkdir);
  EXPECT_EQ(watch.syscall(), SYS_mkdir);
  EXPECT_EQ(SyscallName(watch.syscall()), "mkdir");
  // The call waits in the kernel: not answered, not run.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  struct stat st;
  EXPECT_NE(stat(dir_.c_str(), &st), 0) << "mkdir ran before the listener was closed";
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, WNOHANG), 0) << "the child did not wait for an answer";
  // Dropping the listener unanswered fails the call with ENOSYS; it never runs.
  watch = ViolationWatch();
  status = Wait(pid);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), ENOSYS);
  EXPECT_NE(stat(dir_.c_str(), &st), 0) << "mkdir ran";
}

TEST_F(SeccompNotifyTest, ADescriptorThatIsNoListenerIsRefused) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  UniqueFd r(p[0]), w(p[1]);
  UniqueFd channel;
  const pid_t pid = StartChild(&channel, w.get());
  ASSERT_GT(pid, 0);
  ViolationWatch watch(std::move(channel));
  // The child's own listener went nowhere, so its mkdir fails with ENOSYS at once and
  // nothing is ever reported.
  const int status = Wait(pid);
  EXPECT_EQ(watch.Poll(), -1);
  EXPECT_FALSE(watch.has_listener());
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), ENOSYS);
}

// Waits (10 s at most) until `pid` is stopped in mkdir, its notification pending: by then
// the listener it sent first is on the channel.
bool WaitUntilInMkdir(pid_t pid) {
  const std::string want = absl::StrCat(SYS_mkdir, " ");
  for (int i = 0; i < 1000; ++i) {
    std::string line;
    if (std::ifstream(absl::StrCat("/proc/", pid, "/syscall")) >> line; line + " " == want) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// The zygote's control socket carries the run's report as well as the listener: the watch
// takes the listener only when it is the next message, and leaves a report for its reader.
TEST_F(SeccompNotifyTest, OnControlTheListenerIsTakenOnlyWhenItIsTheNextMessage) {
  UniqueFd control;
  const pid_t pid = StartChild(&control, -1, "X 0 1 2 3");
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitUntilInMkdir(pid));
  ViolationWatch watch = ViolationWatch::OnControl(control.get());
  EXPECT_EQ(watch.Poll(), -1);
  EXPECT_FALSE(watch.has_listener());
  char buf[32];
  UniqueFd none;
  ASSERT_EQ(RecvWithFd(control.get(), buf, sizeof(buf), &none, MSG_DONTWAIT), 9);
  EXPECT_EQ(std::string(buf, 9), "X 0 1 2 3");
  EXPECT_LT(none.get(), 0);
  EXPECT_EQ(watch.Poll(), SYS_mkdir);
  EXPECT_TRUE(watch.has_listener());
  watch = ViolationWatch();
  const int status = Wait(pid);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), ENOSYS);
}

// What the control socket's reader hands in: taken only by a watch on a control socket,
// and only if it is a listener.
TEST_F(SeccompNotifyTest, AdoptTakesOnlyAListenerAndOnlyOnControl) {
  UniqueFd channel;
  const pid_t pid = StartChild(&channel);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitUntilInMkdir(pid));
  char tag = 0;
  UniqueFd listener;
  ASSERT_EQ(RecvWithFd(channel.get(), &tag, 1, &listener, MSG_DONTWAIT), 1);
  EXPECT_EQ(tag, 'L');
  ASSERT_GE(listener.get(), 0);

  ViolationWatch plain;
  plain.Adopt(UniqueFd(dup(listener.get())));
  ASSERT_FALSE(plain.has_listener());  // (a copy held would keep the child waiting)

  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  UniqueFd w(p[1]);
  ViolationWatch watch = ViolationWatch::OnControl(channel.get());
  watch.Adopt(UniqueFd(p[0]));
  EXPECT_FALSE(watch.has_listener());
  watch.Adopt(std::move(listener));
  EXPECT_TRUE(watch.has_listener());
  EXPECT_EQ(watch.Poll(), SYS_mkdir);
  watch = ViolationWatch();
  const int status = Wait(pid);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), ENOSYS);
}

TEST(SeccompNotifyCompileTest, KillingVariantStaysAlongside) {
  std::shared_ptr<const SeccompFilter> f = MkdirKillFilter();
  ASSERT_NE(f, nullptr);
  ASSERT_NE(f->prog(), nullptr);
  if (f->notify_prog() == nullptr) GTEST_SKIP() << "libseccomp cannot build SCMP_ACT_NOTIFY here";
  // Same rules, one action apart: only the notifying one returns SECCOMP_RET_USER_NOTIF.
  auto notifying_returns = [](const sock_fprog* prog) {
    int n = 0;
    for (int i = 0; i < prog->len; ++i) {
      const sock_filter& insn = prog->filter[i];
      if (BPF_CLASS(insn.code) == BPF_RET && insn.k == SECCOMP_RET_USER_NOTIF) ++n;
    }
    return n;
  };
  EXPECT_EQ(notifying_returns(f->prog()), 0);
  EXPECT_GE(notifying_returns(f->notify_prog()), 1);
}

}  // namespace
}  // namespace fathom::sandbox
