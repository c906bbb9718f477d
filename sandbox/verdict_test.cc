// DecideStatus: every status from the observations that produce it, and the precedence.
#include "sandbox/verdict.h"

#include <signal.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fathom::sandbox {
namespace {

int Exited(int code) { return code << 8; }
int Signaled(int sig) { return sig; }

RunResult Decide(Observation obs) {
  obs.cpu_limit_ms = obs.cpu_limit_ms ? obs.cpu_limit_ms : 1000;
  RunResult r;
  DecideStatus(obs, &r);
  return r;
}

TEST(VerdictTest, ExitStatuses) {
  EXPECT_EQ(Decide({.have_program_status = true, .program_status = Exited(0)}).status,
            RunStatus::kOk);
  RunResult r = Decide({.have_program_status = true, .program_status = Exited(3)});
  EXPECT_EQ(r.status, RunStatus::kNonzeroExit);
  EXPECT_EQ(r.exit_code, 3);
}

TEST(VerdictTest, Signals) {
  RunResult r = Decide({.have_program_status = true, .program_status = Signaled(SIGSEGV)});
  EXPECT_EQ(r.status, RunStatus::kSignaled);
  EXPECT_EQ(r.signal, SIGSEGV);
  EXPECT_EQ(Decide({.have_program_status = true, .program_status = Signaled(SIGSYS)}).status,
            RunStatus::kSyscallViolation);
  EXPECT_EQ(Decide({.have_program_status = true, .program_status = Signaled(SIGXCPU)}).status,
            RunStatus::kCpuTimeout);
}

TEST(VerdictTest, SigkillPastTheCpuLimitIsTheRlimitBackstop) {
  EXPECT_EQ(Decide({.have_program_status = true, .program_status = Signaled(SIGKILL),
                    .cpu_ms = 1500})
                .status,
            RunStatus::kCpuTimeout);
  EXPECT_EQ(Decide({.have_program_status = true, .program_status = Signaled(SIGKILL),
                    .cpu_ms = 10})
                .status,
            RunStatus::kSignaled);
}

TEST(VerdictTest, OomKillWinsOverItsSigkill) {
  EXPECT_EQ(Decide({.have_program_status = true, .program_status = Signaled(SIGKILL),
                    .oom_kills = 1})
                .status,
            RunStatus::kMemoryLimit);
  // An OOM kill with no report from init (init died with it) is still memory.
  EXPECT_EQ(Decide({.oom_kills = 1}).status, RunStatus::kMemoryLimit);
  // A program that finished fine despite an OOM kill elsewhere in its tree is ok.
  EXPECT_EQ(Decide({.have_program_status = true, .program_status = Exited(0), .oom_kills = 1})
                .status,
            RunStatus::kOk);
}

TEST(VerdictTest, ParentKillsWin) {
  Observation base{.have_program_status = true, .program_status = Signaled(SIGKILL)};
  base.kill_reason = KillReason::kOutput;
  EXPECT_EQ(Decide(base).status, RunStatus::kOutputLimit);
  base.kill_reason = KillReason::kCpu;
  EXPECT_EQ(Decide(base).status, RunStatus::kCpuTimeout);
  base.kill_reason = KillReason::kWall;
  base.oom_kills = 1;
  EXPECT_EQ(Decide(base).status, RunStatus::kWallTimeout);
}

// Our kills end the program with SIGKILL. The fresh path loses the program's status with
// its init; the signal is the same as where the status survives (a zygote's child).
TEST(VerdictTest, OurKillsReportSigkillWithOrWithoutTheProgramsStatus) {
  for (KillReason why : {KillReason::kOutput, KillReason::kCpu, KillReason::kWall,
                         KillReason::kSyscall}) {
    RunResult lost = Decide({.kill_reason = why, .violation_syscall = 101});
    RunResult kept = Decide({.kill_reason = why, .have_program_status = true,
                             .program_status = Signaled(SIGKILL), .violation_syscall = 101});
    EXPECT_EQ(lost.signal, SIGKILL) << static_cast<int>(why);
    EXPECT_EQ(kept.signal, SIGKILL) << static_cast<int>(why);
    EXPECT_EQ(lost.status, kept.status) << static_cast<int>(why);
    EXPECT_EQ(lost.exit_code, -1);
  }
  // The OOM killer's kill, with or without the status, is SIGKILL too.
  EXPECT_EQ(Decide({.oom_kills = 1}).signal, SIGKILL);
  EXPECT_EQ(Decide({.have_program_status = true, .program_status = Signaled(SIGKILL),
                    .oom_kills = 1})
                .signal,
            SIGKILL);
  // No kill of ours and no status: nothing to report.
  EXPECT_EQ(Decide({}).signal, 0);
}

TEST(VerdictTest, NoReportIsSandboxError) {
  EXPECT_EQ(Decide({}).status, RunStatus::kSandboxError);
}

TEST(RunSpecTest, StatusNamesRoundTrip) {
  for (RunStatus s : {RunStatus::kOk, RunStatus::kNonzeroExit, RunStatus::kSignaled,
                      RunStatus::kCpuTimeout, RunStatus::kWallTimeout, RunStatus::kMemoryLimit,
                      RunStatus::kOutputLimit, RunStatus::kSyscallViolation,
                      RunStatus::kSandboxError}) {
    RunStatus back;
    ASSERT_TRUE(ParseRunStatus(RunStatusName(s), &back));
    EXPECT_EQ(back, s);
  }
  RunStatus x;
  EXPECT_FALSE(ParseRunStatus("passed", &x));
}

TEST(RunSpecTest, SetLimit) {
  Limits l;
  EXPECT_TRUE(SetLimit(l, "cpu_time_ms", "1500").ok());
  EXPECT_EQ(l.cpu_time_ms, 1500);
  EXPECT_EQ(SetLimit(l, "cpu_time_ms", "abc").message(),
            "limit cpu_time_ms: 'abc' is not an integer");
  EXPECT_EQ(SetLimit(l, "cpu_time_ms", "0").message(),
            "limit cpu_time_ms: 0 is below the minimum 1");
  EXPECT_THAT(std::string(SetLimit(l, "cpu", "1").message()),
              ::testing::StartsWith("unknown limit 'cpu' (known: cpu_time_ms, "));
  EXPECT_EQ(Limits{}.EffectiveWallTimeMs(), 2 * Limits::kDefaultCpuTimeMs + 2000);
}

TEST(LayersTest, NamesRoundTrip) {
  EXPECT_EQ(LayerSet::All().Names().size(), static_cast<size_t>(Layer::kCount));
  EXPECT_EQ(LayerSet::Namespaces().Names(),
            (std::vector<std::string>{"user_ns", "pid_ns", "net_ns", "mount_ns", "ipc_ns",
                                      "uts_ns"}));
  Layer l;
  EXPECT_TRUE(ParseLayer("seccomp", &l));
  EXPECT_EQ(l, Layer::kSeccomp);
  EXPECT_FALSE(ParseLayer("selinux", &l));
}

TEST(VerdictTest, NotifiedSyscallIsAViolationWithItsNumber) {
  // Full isolation: init died with the run, no program status.
  RunResult r = Decide({.kill_reason = KillReason::kSyscall, .violation_syscall = 101});
  EXPECT_EQ(r.status, RunStatus::kSyscallViolation);
  EXPECT_EQ(r.syscall, 101);
  EXPECT_EQ(r.syscall_name, "ptrace");
  // The zygote reports the SIGKILL it delivered; past the CPU limit it is still ours.
  r = Decide({.kill_reason = KillReason::kSyscall, .have_program_status = true,
              .program_status = Signaled(SIGKILL), .cpu_ms = 5000,
              .violation_syscall = 310});
  EXPECT_EQ(r.status, RunStatus::kSyscallViolation);
  EXPECT_EQ(r.syscall, 310);
  EXPECT_EQ(r.syscall_name, "process_vm_readv");
}

TEST(VerdictTest, NotificationRacingWithKills) {
  // A limit decided first wins: the notification that came later is not looked at.
  RunResult r = Decide({.kill_reason = KillReason::kCpu, .violation_syscall = -1});
  EXPECT_EQ(r.status, RunStatus::kCpuTimeout);
  EXPECT_EQ(r.syscall, -1);
  // An OOM kill counted after the notification hit a run already being killed for it.
  r = Decide({.kill_reason = KillReason::kSyscall, .oom_kills = 1, .violation_syscall = 101,
              .oom_kills_at_violation = 0});
  EXPECT_EQ(r.status, RunStatus::kSyscallViolation);
  EXPECT_EQ(r.syscall, 101);
  // One counted before it came first.
  r = Decide({.kill_reason = KillReason::kSyscall, .oom_kills = 1, .violation_syscall = 101,
              .oom_kills_at_violation = 1});
  EXPECT_EQ(r.status, RunStatus::kMemoryLimit);
  EXPECT_EQ(r.syscall, -1);
}

TEST(VerdictTest, SigsysWithoutNotificationHasNoNumber) {
  RunResult r = Decide({.have_program_status = true, .program_status = Signaled(SIGSYS)});
  EXPECT_EQ(r.status, RunStatus::kSyscallViolation);
  EXPECT_EQ(r.syscall, -1);
  EXPECT_EQ(r.syscall_name, "");
}

}  // namespace
}  // namespace fathom::sandbox
