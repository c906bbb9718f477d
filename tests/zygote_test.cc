// The Python zygote (sandbox/zygote.h) through the real sandbox and the shipped policy:
// a program sees what a fresh interpreter would show it, nothing of one program reaches
// the next, a zygote that dies is replaced and its program run again once, and what a
// zygote cannot serve goes to the fresh path. (The hostile corpus runs in zygote mode too:
// tests/hostile_test.cc, suite Zygote.) Needs root, like the sandbox tests.
#include "sandbox/zygote.h"

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "grader/policy/policy.h"
#include "gtest/gtest.h"
#include "sandbox/process_util.h"
#include "sandbox/sandbox.h"
#include "sandbox/test_process_handle.h"

namespace fathom {
namespace {

using sandbox::RunResult;
using sandbox::RunSpec;
using sandbox::RunStatus;
using sandbox::RunStatusName;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// What the descriptors in `dir` (/proc/PID/fd) point to, in descriptor order.
std::vector<std::string> FdTargets(const std::string& dir) {
  std::vector<std::pair<int, std::string>> fds;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    int fd = 0;
    if (!absl::SimpleAtoi(e.path().filename().string(), &fd)) continue;
    fds.emplace_back(fd, std::filesystem::read_symlink(e.path(), ec).string());
  }
  std::sort(fds.begin(), fds.end());
  std::vector<std::string> out;
  for (auto& [fd, target] : fds) out.push_back(std::move(target));
  return out;
}

// The CPUs `pid` (0: the calling thread) may run on, ascending.
std::vector<int> CpusOf(pid_t pid) {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> out;
  if (sched_getaffinity(pid, sizeof(set), &set) != 0) return out;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) out.push_back(c);
  }
  return out;
}

// What RunnerOnEveryCpu finds for unpinned slots: each of the cpus.size() zygotes on
// every CPU, ascending.
std::vector<int> EveryCpuForEachZygote(const std::vector<int>& cpus) {
  std::vector<int> out;
  for (int cpu : cpus) out.insert(out.end(), cpus.size(), cpu);
  return out;
}

class ZygoteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<grader::Policy> policy =
        grader::LoadPolicy(std::string(FATHOM_SOURCE_DIR) + "/policies");
    ASSERT_TRUE(policy.ok()) << policy.status();
    policy_ = new grader::Policy(*std::move(policy));
    absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> sb =
        sandbox::Sandbox::Create(sandbox::SandboxOptions{});
    ASSERT_TRUE(sb.ok()) << sb.status();
    sandbox_ = sb->release();
    absl::StatusOr<grader::PreparedRuntime> rt =
        grader::PrepareRuntime(*policy_, "python", /*with_seccomp=*/true);
    ASSERT_TRUE(rt.ok()) << rt.status();
    runtime_ = new grader::PreparedRuntime(*rt);
  }

  void SetUp() override {
    ASSERT_NE(sandbox_, nullptr);
    absl::StatusOr<std::unique_ptr<sandbox::ZygoteRunner>> z =
        sandbox::ZygoteRunner::Create(sandbox_, grader::MakeZygoteOptions(*runtime_, 1));
    ASSERT_TRUE(z.ok()) << z.status();
    zygote_ = *std::move(z);
  }

  RunSpec Spec(const std::string& program, int64_t cpu_ms = 5000) const {
    sandbox::Limits limits = runtime_->policy->limits;
    limits.cpu_time_ms = cpu_ms;
    return grader::MakeRunSpec(*runtime_, program, limits);
  }

  // A runner with one slot per CPU the process may use, slots pinned or not; null (and a
  // failure) when it cannot start. *zygote_cpus: every zygote's CPUs together, ascending.
  std::unique_ptr<sandbox::ZygoteRunner> RunnerOnEveryCpu(bool pin,
                                                          std::vector<int>* zygote_cpus) const {
    sandbox::ZygoteOptions options = grader::MakeZygoteOptions(
        *runtime_, static_cast<int>(sandbox::AllowedCpus().size()));
    options.pin_slots = pin;
    absl::StatusOr<std::unique_ptr<sandbox::ZygoteRunner>> z =
        sandbox::ZygoteRunner::Create(sandbox_, std::move(options));
    EXPECT_TRUE(z.ok()) << z.status();
    if (!z.ok()) return nullptr;
    zygote_cpus->clear();
    for (pid_t pid : (*z)->zygote_pids()) {
      const std::vector<int> own = CpusOf(pid);
      zygote_cpus->insert(zygote_cpus->end(), own.begin(), own.end());
    }
    std::sort(zygote_cpus->begin(), zygote_cpus->end());
    return *std::move(z);
  }

  // `program` run by a fresh interpreter and by the zygote; both must have run.
  std::pair<RunResult, RunResult> FreshAndWarm(const std::string& program) const {
    absl::StatusOr<RunResult> fresh = sandbox_->Run(Spec(program));
    absl::StatusOr<RunResult> warm = zygote_->Run(Spec(program));
    EXPECT_TRUE(fresh.ok()) << fresh.status();
    EXPECT_TRUE(warm.ok()) << warm.status();
    return {fresh.ok() ? *std::move(fresh) : RunResult{},
            warm.ok() ? *std::move(warm) : RunResult{}};
  }

  static std::string Describe(const absl::StatusOr<RunResult>& r) {
    if (!r.ok()) return r.status().ToString();
    return absl::StrCat(RunStatusName(r->status), " exit=", r->exit_code,
                        " signal=", r->signal, "\nstdout: ", r->stdout_data,
                        "\nstderr: ", r->stderr_data);
  }

  static grader::Policy* policy_;
  static sandbox::Sandbox* sandbox_;
  static grader::PreparedRuntime* runtime_;
  std::unique_ptr<sandbox::ZygoteRunner> zygote_;
};

grader::Policy* ZygoteTest::policy_ = nullptr;
sandbox::Sandbox* ZygoteTest::sandbox_ = nullptr;
grader::PreparedRuntime* ZygoteTest::runtime_ = nullptr;

// What a program can see of how it was started is what a fresh `python3 -I -B main.py`
// shows it (the pid and the modules already imported aside; zygote.h lists them).
TEST_F(ZygoteTest, ProgramSeesWhatAFreshInterpreterShows) {
  const std::string program = R"PY(
import os, sys
print("name", __name__, "file", __file__)
print("argv", sys.argv, "orig", sys.orig_argv)
print("flags", sys.flags.isolated, sys.flags.dont_write_bytecode, sys.flags.no_site)
print("path", sys.path)
print("cwd", os.getcwd(), "uid", os.getuid(), os.getgid(), "groups", os.getgroups())
print("env", sorted(os.environ.items()))
print("stdio", [(s.encoding, s.errors, s.line_buffering, s.write_through, s.buffer.raw.name,
                 s.seekable(), type(s.buffer).__name__, s.buffer.raw.mode)
                for s in (sys.stdin, sys.stdout, sys.stderr)])
print("stdin", repr(sys.stdin.read()))
print("tmp", sorted(os.listdir("/tmp")), "shm", sorted(os.listdir("/dev/shm")))
with open("/proc/self/status") as f:
    print([l.split()[1] for l in f if l.startswith(("CapEff", "CapPrm", "CapAmb", "NoNewPrivs", "Seccomp:"))])
import resource
print("rlimits", [resource.getrlimit(r) for r in (resource.RLIMIT_CPU, resource.RLIMIT_FSIZE,
      resource.RLIMIT_NOFILE, resource.RLIMIT_NPROC, resource.RLIMIT_CORE, resource.RLIMIT_STACK)])
print("fds", sorted(os.listdir("/proc/self/fd")))
with open("/proc/self/comm") as f:
    print("comm", f.read().strip())
sys.stderr.write("to stderr\n")
raise SystemExit(3)
)PY";
  // With stdin and without (a pipe at end of file on both paths: RunSpec::has_stdin).
  // The zygote's children get sys.stdin and friends prebuilt (python_zygote.py): that
  // must not show.
  for (bool with_stdin : {true, false}) {
    SCOPED_TRACE(with_stdin ? "stdin: given" : "stdin: none");
    RunSpec spec = Spec(program);
    spec.has_stdin = with_stdin;
    if (with_stdin) spec.stdin_data = "line one\nline two\r\n";
    ASSERT_TRUE(zygote_->Serves(spec));
    absl::StatusOr<RunResult> fresh = sandbox_->Run(spec);
    absl::StatusOr<RunResult> warm = zygote_->Run(spec);
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    ASSERT_TRUE(warm.ok()) << warm.status();
    EXPECT_EQ(fresh->status, RunStatus::kNonzeroExit) << Describe(fresh);
    EXPECT_EQ(warm->status, RunStatus::kNonzeroExit) << Describe(warm);
    EXPECT_EQ(warm->exit_code, 3);
    EXPECT_EQ(warm->stdout_data, fresh->stdout_data);
    EXPECT_TRUE(absl::StrContains(warm->stdout_data,
                                  with_stdin ? "stdin 'line one\\nline two\\r\\n'\n"
                                             : "stdin ''\n"))
        << warm->stdout_data;
    EXPECT_EQ(warm->stderr_data, "to stderr\n");
    EXPECT_EQ(fresh->stderr_data, "to stderr\n");
  }
  EXPECT_EQ(zygote_->stats().runs, 2);
}

// Workers are pinned only when they take every CPU the process may use, in order,
// round-robin past the last.
TEST(CpusToPinTest, OnlyWhenTheWorkersTakeEveryCpu) {
  const std::vector<int> cpus = sandbox::AllowedCpus();
  ASSERT_FALSE(cpus.empty());
  const int n = static_cast<int>(cpus.size());
  if (n < 2) {
    EXPECT_TRUE(sandbox::CpusToPin(4).empty());
    return;
  }
  EXPECT_TRUE(sandbox::CpusToPin(n - 1).empty());
  EXPECT_EQ(sandbox::CpusToPin(n), cpus);
  std::vector<int> wrapped = cpus;
  wrapped.push_back(cpus[0]);
  EXPECT_EQ(sandbox::CpusToPin(n + 1), wrapped);
}

// With a slot for every CPU the process may use (serve's and grade's default), slot k's
// zygote stays on the k-th CPU (ZygoteOptions::pin_slots); its programs still see, and
// may use, every CPU a fresh run may, and the caller's thread gets its own CPUs back
// after each run.
TEST_F(ZygoteTest, SlotsAreEachPinnedToACpuButTheProgramsAreNot) {
  const std::vector<int> cpus = sandbox::AllowedCpus();
  if (cpus.size() < 2) GTEST_SKIP() << "one CPU: nothing to pin";
  const std::string program = "import os\nprint(sorted(os.sched_getaffinity(0)))\n";
  absl::StatusOr<RunResult> fresh = sandbox_->Run(Spec(program));
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(fresh->stdout_data, absl::StrCat("[", absl::StrJoin(cpus, ", "), "]\n"));

  for (bool pin : {true, false}) {
    SCOPED_TRACE(pin ? "pinned" : "pin_slots = false");
    std::vector<int> zygote_cpus;
    std::unique_ptr<sandbox::ZygoteRunner> z = RunnerOnEveryCpu(pin, &zygote_cpus);
    ASSERT_NE(z, nullptr);
    // Pinned: one CPU each, all of them covered; else every CPU each.
    EXPECT_EQ(zygote_cpus, pin ? cpus : EveryCpuForEachZygote(cpus));
    // Programs from twice as many threads as slots, at once.
    std::vector<std::string> outputs(2 * cpus.size());
    std::vector<std::thread> callers;
    std::atomic<int> failed{0}, kept_pinned{0};
    for (size_t i = 0; i < outputs.size(); ++i) {
      callers.emplace_back([&, i] {
        absl::StatusOr<RunResult> r = z->Run(Spec(program));
        if (!r.ok() || r->status != RunStatus::kOk) ++failed;
        if (r.ok()) outputs[i] = r->stdout_data;
        if (CpusOf(0) != cpus) ++kept_pinned;  // the caller's thread has its CPUs back
      });
    }
    for (auto& t : callers) t.join();
    EXPECT_EQ(failed.load(), 0);
    EXPECT_EQ(kept_pinned.load(), 0);
    for (const std::string& out : outputs) EXPECT_EQ(out, fresh->stdout_data);
  }
}

// The server's workers are pinned (service/run_queue.h). What a pinned thread starts gets
// the process's CPUs back: a fresh run's program, and a zygote (with pin_slots off it has
// every CPU; with it on, the slots are still spread over every CPU, not the thread's one).
TEST_F(ZygoteTest, WhatAPinnedThreadStartsGetsEveryCpuBack) {
  const std::vector<int> cpus = sandbox::AllowedCpus();
  if (cpus.size() < 2) GTEST_SKIP() << "one CPU: nothing to pin";
  const std::string all = absl::StrCat("[", absl::StrJoin(cpus, ", "), "]\n");
  const std::string program = "import os\nprint(sorted(os.sched_getaffinity(0)))\n";
  std::thread pinned([&] {
    sandbox::ThreadOnCpu on_cpu(cpus.back());
    ASSERT_TRUE(sandbox::ThreadIsPinned());
    {
      // Nested on the same CPU: nothing changes, and leaving it keeps the outer pin.
      sandbox::ThreadOnCpu again(cpus.back());
    }
    ASSERT_TRUE(sandbox::ThreadIsPinned());
    ASSERT_EQ(CpusOf(0), std::vector<int>{cpus.back()});
    absl::StatusOr<RunResult> fresh = sandbox_->Run(Spec(program));
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    EXPECT_EQ(fresh->stdout_data, all);
    for (bool pin : {false, true}) {
      SCOPED_TRACE(pin ? "pin_slots" : "pin_slots = false");
      std::vector<int> zygote_cpus;
      std::unique_ptr<sandbox::ZygoteRunner> z = RunnerOnEveryCpu(pin, &zygote_cpus);
      ASSERT_NE(z, nullptr);
      EXPECT_EQ(zygote_cpus, pin ? cpus : EveryCpuForEachZygote(cpus));
      absl::StatusOr<RunResult> r = z->Run(Spec(program));
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->stdout_data, all);
      EXPECT_EQ(CpusOf(0), std::vector<int>{cpus.back()}) << "the thread stays pinned";
    }
  });
  pinned.join();
  EXPECT_FALSE(sandbox::ThreadIsPinned());
}

// Between two runs the zygote keeps one child forked ahead for the next program. It is
// named fathom-spare, and it holds none of the last run's descriptors: only the zygote's
// stdio, the socket its request will come over and its error pipe.
TEST_F(ZygoteTest, TheSpareHoldsNothingOfTheLastRun) {
  RunSpec spec = Spec("import sys\nsys.stdout.write(sys.stdin.read())\n");
  spec.has_stdin = true;
  spec.stdin_data = "hello";
  absl::StatusOr<RunResult> r = zygote_->Run(spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout_data, "hello");
  const std::vector<pid_t> zygotes = zygote_->zygote_pids();
  ASSERT_EQ(zygotes.size(), 1u);
  std::string children;
  for (int i = 0; i < 200; ++i) {  // the spare is forked once the run is reported
    children = ReadFile(absl::StrCat("/proc/", zygotes[0], "/task/", zygotes[0], "/children"));
    if (!children.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const std::string spare(absl::StripAsciiWhitespace(children));
  ASSERT_FALSE(spare.empty());
  ASSERT_EQ(spare.find(' '), std::string::npos) << "one spare: " << spare;
  EXPECT_EQ(absl::StripAsciiWhitespace(ReadFile(absl::StrCat("/proc/", spare, "/comm"))),
            "fathom-spare");
  // It closes what it inherited right after the fork: wait for that.
  std::vector<std::string> fds;
  for (int i = 0; i < 200; ++i) {
    fds = FdTargets(absl::StrCat("/proc/", spare, "/fd"));
    if (fds.size() <= 5) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::vector<std::string> zygote_stdio = FdTargets(absl::StrCat("/proc/", zygotes[0], "/fd"));
  zygote_stdio.resize(3);
  ASSERT_EQ(fds.size(), 5u) << absl::StrJoin(fds, " ");
  EXPECT_EQ(std::vector<std::string>(fds.begin(), fds.begin() + 3), zygote_stdio);
  EXPECT_TRUE(absl::StartsWith(fds[3], "socket:") || absl::StartsWith(fds[4], "socket:"))
      << absl::StrJoin(fds, " ");
}

// Under the python profile no program can create an IPC object, so the children keep the
// zygote's (empty) IPC namespace; with per_program_ipc_namespace each gets its own. Shown
// by an IPC object, not by namespace inode numbers: two namespaces never alive at the same
// time may get the same number, so numbers prove nothing about the second program.
TEST_F(ZygoteTest, EachProgramHasItsOwnIpcNamespaceWhenItCouldMakeIpcObjects) {
  const std::string program = "import os\nprint(os.readlink('/proc/self/ns/ipc'))\n";
  auto ipc_ns_of = [&](sandbox::ZygoteRunner& runner) {
    absl::StatusOr<RunResult> r = runner.Run(Spec(program));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? std::string(absl::StripAsciiWhitespace(r->stdout_data)) : "";
  };
  // The zygote is alive throughout, so equal numbers here do mean the same namespace.
  auto zygote_ns = [](sandbox::ZygoteRunner& runner) {
    return std::filesystem::read_symlink(
               absl::StrCat("/proc/", runner.zygote_pids().at(0), "/ns/ipc"))
        .string();
  };
  ASSERT_FALSE(grader::MakeZygoteOptions(*runtime_, 1).per_program_ipc_namespace);
  const std::string shared = ipc_ns_of(*zygote_);
  EXPECT_EQ(shared, zygote_ns(*zygote_));
  EXPECT_EQ(ipc_ns_of(*zygote_), shared);

  // A profile that lets programs make IPC objects: here, no seccomp filter at all. The
  // first program makes a System V message queue under a fixed key; the second looks it
  // up (and removes it, so that nothing outlives the test even where it is found).
  absl::StatusOr<grader::PreparedRuntime> unfiltered =
      grader::PrepareRuntime(*policy_, "python", /*with_seccomp=*/false);
  ASSERT_TRUE(unfiltered.ok()) << unfiltered.status();
  const std::string make_queue = R"PY(
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
IPC_CREAT, IPC_EXCL = 0o1000, 0o2000
q = libc.msgget(0x46415448, IPC_CREAT | IPC_EXCL | 0o600)
print("made" if q >= 0 else "msgget: errno %d" % ctypes.get_errno())
)PY";
  const std::string find_queue = R"PY(
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
IPC_RMID = 0
q = libc.msgget(0x46415448, 0)
if q >= 0:
    libc.msgctl(q, IPC_RMID, None)
    print("found")
else:
    print("msgget:", errno.errorcode[ctypes.get_errno()])
)PY";
  auto run = [&](sandbox::ZygoteRunner& runner, const std::string& source) {
    sandbox::Limits limits = unfiltered->policy->limits;
    limits.cpu_time_ms = 5000;
    absl::StatusOr<RunResult> r = runner.Run(grader::MakeRunSpec(*unfiltered, source, limits));
    EXPECT_TRUE(r.ok() && r->status == RunStatus::kOk) << Describe(r);
    return r.ok() ? r->stdout_data : "";
  };
  for (bool per_program : {true, false}) {
    SCOPED_TRACE(per_program ? "per-program namespace" : "shared namespace (the control)");
    sandbox::ZygoteOptions options = grader::MakeZygoteOptions(*unfiltered, 1);
    options.per_program_ipc_namespace = per_program;
    absl::StatusOr<std::unique_ptr<sandbox::ZygoteRunner>> z =
        sandbox::ZygoteRunner::Create(sandbox_, options);
    ASSERT_TRUE(z.ok()) << z.status();
    EXPECT_EQ(run(**z, make_queue), "made\n");
    EXPECT_EQ(run(**z, find_queue), per_program ? "msgget: ENOENT\n" : "found\n");
    EXPECT_EQ((*z)->stats().restarts, 0);
  }
}

// Files in /tmp and /dev/shm, the environment and module state of one program are gone
// for the next one run by the same zygote. (SysV IPC is refused by the python seccomp
// profile; the per-program IPC namespace covers profiles that allow it: see
// EachProgramHasItsOwnIpcNamespaceWhenItCouldMakeIpcObjects.)
TEST_F(ZygoteTest, NothingOfOneProgramReachesTheNext) {
  const std::string writer = R"PY(
import os
open("/tmp/left-behind", "w").write("x")
open("/dev/shm/left-behind", "w").write("x")
print("written")
os.environ["LEFT_BEHIND"] = "1"
import json  # already imported by the zygote: a module attribute set here must not stay
json.left_behind = True
)PY";
  const std::string reader = R"PY(
import json, os
print(os.path.exists("/tmp/left-behind"), os.path.exists("/dev/shm/left-behind"),
      "LEFT_BEHIND" in os.environ, hasattr(json, "left_behind"))
)PY";
  absl::StatusOr<RunResult> w = zygote_->Run(Spec(writer));
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->status, RunStatus::kOk) << Describe(w);
  EXPECT_EQ(w->stdout_data, "written\n");
  absl::StatusOr<RunResult> r = zygote_->Run(Spec(reader));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, RunStatus::kOk) << Describe(r);
  EXPECT_EQ(r->stdout_data, "False False False False\n");
  EXPECT_EQ(zygote_->stats().restarts, 0);
}

// The zygote prepares sys.argv, the std streams and __main__ for the usual request (the
// runtime's script, environment and stdio pipes) before it forks; a request that differs
// sets its own up in its child, and the next usual program finds the usual state again.
TEST_F(ZygoteTest, UnusualRequestsSetUpTheirOwnStateAndLeaveTheUsualOne) {
  const std::string program = R"PY(
import os, sys
print(sys.argv, os.environ.get("EXTRA"), __name__, __file__, sys.stdout.isatty())
)PY";
  RunSpec unusual = Spec(program);
  unusual.argv.push_back("--flag");
  unusual.env.push_back("EXTRA=1");
  ASSERT_TRUE(zygote_->Serves(unusual));
  absl::StatusOr<RunResult> fresh = sandbox_->Run(unusual);
  absl::StatusOr<RunResult> warm = zygote_->Run(unusual);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  ASSERT_TRUE(warm.ok()) << warm.status();
  EXPECT_EQ(warm->stdout_data, fresh->stdout_data);
  EXPECT_EQ(warm->stdout_data, "['main.py', '--flag'] 1 __main__ /tmp/main.py False\n");
  absl::StatusOr<RunResult> usual = zygote_->Run(Spec(program));
  ASSERT_TRUE(usual.ok()) << usual.status();
  EXPECT_EQ(usual->stdout_data, "['main.py'] None __main__ /tmp/main.py False\n");
  EXPECT_EQ(zygote_->stats().restarts, 0);
}

// The child skips threading's shutdown when nothing left to run could see it; what runs
// after it (an atexit function, a stream of the program's own flushed at exit) sees the
// main thread stopped, as after a fresh interpreter's shutdown. (A fresh interpreter also
// flushes the std streams once right after the script, before its shutdown, which the
// zygote's children do not: only the last flush is compared.)
TEST_F(ZygoteTest, CodeRunAtExitSeesTheMainThreadStoppedAsInAFreshInterpreter) {
  const std::string with_atexit = R"PY(
import atexit, os, threading
atexit.register(lambda: os.write(1, b"atexit alive=%d\n" % threading.main_thread().is_alive()))
os.write(1, b"main alive=%d\n" % threading.main_thread().is_alive())
)PY";
  const std::string with_stream = R"PY(
import io, os, sys, threading
class Out(io.StringIO):
    def flush(self):
        os.write(1, b"flush alive=%d\n" % threading.main_thread().is_alive())
sys.stdout = Out()
)PY";
  absl::StatusOr<RunResult> fresh = sandbox_->Run(Spec(with_atexit));
  absl::StatusOr<RunResult> warm = zygote_->Run(Spec(with_atexit));
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  ASSERT_TRUE(warm.ok()) << warm.status();
  EXPECT_EQ(fresh->stdout_data, "main alive=1\natexit alive=0\n");
  EXPECT_EQ(warm->stdout_data, fresh->stdout_data);
  fresh = sandbox_->Run(Spec(with_stream));
  warm = zygote_->Run(Spec(with_stream));
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  ASSERT_TRUE(warm.ok()) << warm.status();
  EXPECT_TRUE(absl::EndsWith(fresh->stdout_data, "flush alive=0\n")) << fresh->stdout_data;
  EXPECT_EQ(warm->stdout_data, "flush alive=0\n");
  EXPECT_EQ(warm->status, RunStatus::kOk) << Describe(warm);
  EXPECT_EQ(zygote_->stats().restarts, 0);
}

// The shutdown skip above must still wait for a thread the program left running: the
// script's end is not the program's end while a non-daemon thread works, in a fresh
// interpreter and in a zygote's child alike. (Python 3.11 keeps the main thread's own lock
// among the locks shutdown waits for; the child tells it from another thread's.)
TEST_F(ZygoteTest, ARunningNonDaemonThreadIsWaitedForAsInAFreshInterpreter) {
  const std::string program = R"PY(
import os, threading, time
def late():
    time.sleep(0.3)
    os.write(1, b"thread done\n")
threading.Thread(target=late).start()
os.write(1, b"main done\n")
)PY";
  const auto [fresh, warm] = FreshAndWarm(program);
  EXPECT_EQ(fresh.stdout_data, "main done\nthread done\n") << Describe(fresh);
  EXPECT_EQ(warm.stdout_data, fresh.stdout_data) << Describe(warm);
  EXPECT_EQ(warm.status, RunStatus::kOk) << Describe(warm);
}

// The child asks atexit for the program's exit functions through a module object of the
// zygote's own: a program's sys.modules has no `atexit` until it imports it, as in a
// fresh interpreter, and what it registers through its own import still runs.
TEST_F(ZygoteTest, AtexitIsNotImportedForTheProgramAsInAFreshInterpreter) {
  const std::string program = R"PY(
import os, sys
os.write(1, b"before %d\n" % ("atexit" in sys.modules))
import atexit
atexit.register(os.write, 1, b"registered ran\n")
os.write(1, b"after %d\n" % ("atexit" in sys.modules))
)PY";
  const auto [fresh, warm] = FreshAndWarm(program);
  EXPECT_EQ(fresh.stdout_data, "before 0\nafter 1\nregistered ran\n") << Describe(fresh);
  EXPECT_EQ(warm.stdout_data, fresh.stdout_data) << Describe(warm);
}

// Whether this kernel puts a 2 MiB-aligned anonymous range in a huge page on request
// (MADV_COLLAPSE, Linux 6.1, THP not "never"): tried on a buffer of the test's own.
bool KernelCollapsesHugePages(std::string* why) {
  constexpr size_t kHuge = 2 << 20;
  void* raw = mmap(nullptr, 2 * kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) {
    *why = absl::StrCat("mmap: ", strerror(errno));
    return false;
  }
  char* p = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(raw) + kHuge - 1) & ~(kHuge - 1));
  memset(p, 1, kHuge);
  const bool ok = madvise(p, kHuge, 25 /* MADV_COLLAPSE */) == 0;
  if (!ok) *why = absl::StrCat("MADV_COLLAPSE: ", strerror(errno));
  munmap(raw, 2 * kHuge);
  return ok;
}

// One mapping of /proc/PID/smaps: its range, permissions, path ("" when anonymous) and
// how much of it is in huge pages.
struct Vma {
  uint64_t lo = 0, hi = 0;
  std::string perms, path;
  int64_t anon_huge_kb = 0;
};

std::vector<Vma> ReadSmaps(pid_t pid) {
  std::ifstream smaps(absl::StrCat("/proc/", pid, "/smaps"));
  std::vector<Vma> out;
  std::string line;
  while (std::getline(smaps, line)) {
    Vma v;
    char perms[5] = {};
    int path_at = 0;
    if (sscanf(line.c_str(), "%" SCNx64 "-%" SCNx64 " %4s %*s %*s %*s %n", &v.lo, &v.hi, perms,
               &path_at) == 3 && path_at > 0) {
      v.perms = perms;
      v.path = std::string(absl::StripAsciiWhitespace(line.substr(path_at)));
      out.push_back(std::move(v));
      continue;
    }
    if (!out.empty() && absl::StartsWith(line, "AnonHugePages:")) {
      EXPECT_TRUE(absl::SimpleAtoi(
          absl::StripAsciiWhitespace(line.substr(14, line.size() - 17)), &out.back().anon_huge_kb))
          << line;
    }
  }
  return out;
}

// The zygote keeps its heap and CPython's arenas in huge pages (sandbox/zygote_memory.c):
// every whole 2 MiB of both is one, and stays one however many programs it has forked
// (the zygote writes none of it after the fork, which would split them again). At least
// one of each: the arenas (about 5 MB after the imports) and the heap (about 4 MB).
TEST_F(ZygoteTest, TheZygotesHeapAndArenasStayInHugePagesAcrossRuns) {
  std::string why;
  if (!KernelCollapsesHugePages(&why)) GTEST_SKIP() << "this kernel cannot: " << why;
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<RunResult> r =
        zygote_->Run(Spec("x = [str(i) for i in range(20000)]\nprint(len(x))\n"));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->stdout_data, "20000\n") << Describe(r);
  }
  const std::vector<pid_t> zygotes = zygote_->zygote_pids();
  ASSERT_EQ(zygotes.size(), 1u);
  int64_t heap_units = 0, anonymous_units = 0;
  for (const Vma& v : ReadSmaps(zygotes[0])) {
    if (v.perms != "rw-p" || !(v.path.empty() || v.path == "[heap]")) continue;
    constexpr uint64_t kHuge = 2 << 20;
    const uint64_t a = (v.lo + kHuge - 1) & ~(kHuge - 1), b = v.hi & ~(kHuge - 1);
    const int64_t units = b > a ? static_cast<int64_t>((b - a) / kHuge) : 0;
    (v.path.empty() ? anonymous_units : heap_units) += units;
    EXPECT_EQ(v.anon_huge_kb, units * 2048) << std::hex << v.lo << "-" << v.hi << " " << v.path;
  }
  EXPECT_GE(heap_units, 1);
  EXPECT_GE(anonymous_units, 1);
}

// The zygote moves every whole 2 MiB unit of the interpreter's read-only segments (code,
// constants) into anonymous huge pages, at the same addresses (zygote_memory.c:
// code_in_huge_pages): its children see the same bytes there as a fresh interpreter, and
// the units stay whole huge pages however many programs ran.
TEST_F(ZygoteTest, TheInterpretersCodeMovesIntoHugePagesWithTheSameBytes) {
  std::string why;
  if (!KernelCollapsesHugePages(&why)) GTEST_SKIP() << "this kernel cannot: " << why;
  // A fresh interpreter finds the first run of its executable's unwritable mappings and
  // prints that run's whole 2 MiB units and their bytes' digest.
  const std::string fresh_program = R"PY(
import hashlib, os
exe = os.readlink("/proc/self/exe")
lo = hi = None
for line in open("/proc/self/maps"):
    f = line.split()
    a, b = (int(x, 16) for x in f[0].split("-"))
    ours = len(f) > 5 and f[5] == exe and f[1][1] == "-" and f[1][3] == "p"
    if ours and (hi is None or a == hi):
        lo = a if hi is None else lo
        hi = b
    elif hi is not None:
        break
H = 2 << 20
a, b = (lo + H - 1) // H * H, hi // H * H
with open("/proc/self/mem", "rb") as m:
    m.seek(a)
    print(a, b, hashlib.sha256(m.read(max(b - a, 0))).hexdigest())
)PY";
  absl::StatusOr<RunResult> fresh = sandbox_->Run(Spec(fresh_program));
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  const std::vector<std::string> f = absl::StrSplit(
      absl::StripAsciiWhitespace(fresh->stdout_data), ' ');
  ASSERT_EQ(f.size(), 3u) << Describe(*fresh);
  uint64_t from = 0, to = 0;
  ASSERT_TRUE(absl::SimpleAtoi(f[0], &from) && absl::SimpleAtoi(f[1], &to)) << fresh->stdout_data;
  if (to <= from) GTEST_SKIP() << "the interpreter's code holds no whole 2 MiB unit";

  const std::string warm_program = absl::StrCat(
      "import hashlib\nwith open('/proc/self/mem', 'rb') as m:\n    m.seek(", from,
      ")\n    print(hashlib.sha256(m.read(", to - from, ")).hexdigest())\n");
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<RunResult> r = zygote_->Run(Spec(warm_program));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->stdout_data, absl::StrCat(f[2], "\n")) << Describe(*r);
  }
  const std::vector<pid_t> zygotes = zygote_->zygote_pids();
  ASSERT_EQ(zygotes.size(), 1u);
  bool found = false;
  for (const Vma& v : ReadSmaps(zygotes[0])) {
    if (v.lo != from || v.hi != to) continue;
    found = true;
    EXPECT_EQ(v.perms, "r-xp");
    EXPECT_EQ(v.path, "") << "anonymous";
    EXPECT_EQ(static_cast<uint64_t>(v.anon_huge_kb), (to - from) / 1024);
  }
  EXPECT_TRUE(found) << "no mapping [" << from << ", " << to << ") in the zygote";
}

// CPython's arenas come from the zygote's region of 64 (zygote_memory.c) and past it from
// mmap, and go back to the kernel when emptied, on both paths alike: a program that fills
// about 110 MB of small objects twice, and frees them in between, gets its memory back
// each time.
TEST_F(ZygoteTest, ArenasAreTakenAndGivenBackAsInAFreshInterpreter) {
  const std::string program = R"PY(
import gc
def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS"))
base = rss()
rounds = []
for _ in range(2):
    x = [str(i) * 3 for i in range(1_500_000)]
    grown = rss() - base
    total = sum(map(len, x))
    del x
    gc.collect()
    rounds.append((total, grown > 80_000, rss() - base < 20_000))
print(rounds)
)PY";
  const auto [fresh, warm] = FreshAndWarm(program);
  EXPECT_EQ(fresh.stdout_data, "[(28166670, True, True), (28166670, True, True)]\n")
      << Describe(fresh);
  EXPECT_EQ(warm.stdout_data, fresh.stdout_data) << Describe(warm);
}

// With RunSpec::trace_phases the run reports where its time went: the zygote's fork and
// reaping, and the child's phases in order, each with its CPU time and page faults.
TEST_F(ZygoteTest, TracedRunReportsItsPhases) {
  RunSpec spec = Spec("print('traced')\n");
  spec.trace_phases = true;
  absl::StatusOr<RunResult> r = zygote_->Run(spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, RunStatus::kOk) << Describe(r);
  EXPECT_EQ(r->stdout_data, "traced\n");
  std::vector<std::string> names;
  for (const sandbox::PhaseTime& p : sandbox::TracePhases(r->trace)) {
    names.push_back(p.name);
    EXPECT_GE(p.wall_us, 0) << p.name;
    EXPECT_GE(p.cpu_us, 0) << p.name;
    EXPECT_GE(p.minflt, 0) << p.name;
    EXPECT_EQ(p.in_zygote, p.name == "fork" || p.name == "reap") << p.name;
  }
  EXPECT_EQ(absl::StrJoin(names, " "), "fork spare layers interp exit reap");
  // Off by default: nothing recorded.
  absl::StatusOr<RunResult> plain = zygote_->Run(Spec("print('plain')\n"));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_TRUE(plain->trace.empty());
}

// The children share the zygote's /tmp and /dev/shm, which it empties after each run
// (zygote_child.c, empty_scratch). A program that leaves a hostile mess behind: files it
// made unreadable and undeletable for itself, a symlink out of the tmpfs, a hard link,
// many files, and a tree deeper than the zygote empties file by file (it replaces the mount
// then). The next program finds both empty, and the zygote never restarted.
TEST_F(ZygoteTest, TheNextProgramFindsTmpAndShmEmptyWhateverTheLastLeft) {
  const std::string messy = R"PY(
import os
os.makedirs("/tmp/a/b/c")
for i in range(2000):
    open("/tmp/a/b/f%d" % i, "w").write("x")
open("/tmp/a/b/c/locked", "w").write("x")
os.chmod("/tmp/a/b/c", 0o000)        # no one may read or enter it
os.chmod("/tmp/a", 0o500)            # nor delete in it
os.symlink("/usr", "/tmp/usr-link")  # emptying must not follow it
os.symlink("/tmp", "/tmp/loop")
os.link("/tmp/a/b/f1", "/tmp/hardlink")
open("/dev/shm/seg", "wb").write(b"y" * 100000)
print("messy")
)PY";
  const std::string deep = R"PY(
import os
os.chdir("/tmp")
for i in range(100):
    os.mkdir("d")
    os.chdir("d")
open("bottom", "w").write("x")
os.makedirs("/dev/shm/x/y")
print("deep")
)PY";
  const std::string look = R"PY(
import os
print(sorted(os.listdir("/tmp")), sorted(os.listdir("/dev/shm")), len(os.listdir("/usr")) > 3)
)PY";
  for (const std::string& program : {messy, deep}) {
    absl::StatusOr<RunResult> m = zygote_->Run(Spec(program));
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->status, RunStatus::kOk) << Describe(m);
    absl::StatusOr<RunResult> r = zygote_->Run(Spec(look));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, RunStatus::kOk) << Describe(r);
    EXPECT_EQ(r->stdout_data, "['main.py'] [] True\n");
  }
  EXPECT_EQ(zygote_->stats().restarts, 0);
  EXPECT_EQ(zygote_->stats().runs, 4);
}

// Each program's /tmp holds what its own limit allows, not the last program's.
TEST_F(ZygoteTest, EachProgramGetsItsOwnTmpfsSize) {
  const std::string fill = R"PY(
try:
    open("/tmp/big", "wb").write(b"x" * (3 << 20))
    print("wrote 3 MiB")
except OSError as e:
    print("refused", e.errno)
)PY";
  for (int64_t bytes : {int64_t{1} << 20, int64_t{8} << 20, int64_t{1} << 20}) {
    SCOPED_TRACE(bytes);
    RunSpec spec = Spec(fill);
    spec.limits.tmpfs_bytes = bytes;
    absl::StatusOr<RunResult> r = zygote_->Run(spec);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, RunStatus::kOk) << Describe(r);
    EXPECT_EQ(r->stdout_data, bytes < (3 << 20) ? "refused 28\n" : "wrote 3 MiB\n");
  }
}

// SIGKILL of the zygote in the middle of a run: a new zygote is started and the program
// runs again, to the end, with its real result.
TEST_F(ZygoteTest, KilledZygoteIsReplacedAndTheProgramRunAgain) {
  std::vector<pid_t> before = zygote_->zygote_pids();
  ASSERT_EQ(before.size(), 1u);
  sandbox::TestProcessHandle old_zygote(before[0]);
  ASSERT_TRUE(old_zygote.opened());
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    kill(before[0], SIGKILL);
  });
  absl::StatusOr<RunResult> r =
      zygote_->Run(Spec("import time\ntime.sleep(1.5)\nprint('finished')\n"));
  killer.join();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, RunStatus::kOk) << Describe(r);
  EXPECT_EQ(r->stdout_data, "finished\n");
  sandbox::ZygoteStats st = zygote_->stats();
  EXPECT_EQ(st.restarts, 1);
  EXPECT_EQ(st.retries, 1);
  std::vector<pid_t> after = zygote_->zygote_pids();
  ASSERT_EQ(after.size(), 1u);
  // The old one is gone (and reaped); the new one is another, live process (compared as
  // processes, not pids: the new one may have been given the old number).
  EXPECT_FALSE(old_zygote.Exists());
  EXPECT_TRUE(sandbox::TestProcessHandle(after[0]).Exists());
}

// A zygote that dies on every attempt: the run is our failure (a non-OK status, which the
// grader records as sandbox_error), never the program's.
TEST_F(ZygoteTest, ProgramLostTwiceIsASandboxError) {
  std::atomic<bool> stop{false};
  std::thread killer([&] {
    std::vector<pid_t> killed;
    while (!stop && killed.size() < 2) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      for (pid_t p : zygote_->zygote_pids()) {
        if (std::find(killed.begin(), killed.end(), p) == killed.end()) {
          kill(p, SIGKILL);
          killed.push_back(p);
        }
      }
    }
  });
  absl::StatusOr<RunResult> r = zygote_->Run(Spec("import time\ntime.sleep(3)\n"));
  stop = true;
  killer.join();
  ASSERT_FALSE(r.ok()) << Describe(r);
  EXPECT_NE(r.status().message().find("lost this program's run twice"), std::string::npos)
      << r.status();
  EXPECT_EQ(zygote_->stats().retries, 1);
  // The runner is still usable afterwards.
  absl::StatusOr<RunResult> next = zygote_->Run(Spec("print('ok')\n"));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->stdout_data, "ok\n");
}

// Specs the zygote cannot serve (another command line, other binds) run fresh.
TEST_F(ZygoteTest, WhatTheZygoteCannotServeRunsFresh) {
  RunSpec spec = Spec("print('hi')\n");
  spec.argv.insert(spec.argv.end() - 1, "-X");
  spec.argv.insert(spec.argv.end() - 1, "dev");
  EXPECT_FALSE(zygote_->Serves(spec));
  absl::StatusOr<RunResult> r = zygote_->Run(spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout_data, "hi\n");
  RunSpec other_binds = Spec("print('hi')\n");
  other_binds.ro_binds.push_back("/etc/hostname");
  EXPECT_FALSE(zygote_->Serves(other_binds));
  sandbox::ZygoteStats st = zygote_->stats();
  EXPECT_EQ(st.runs, 0);
  EXPECT_EQ(st.fresh_runs, 1);
}

// Limits are the program's own: its CPU limit, its memory limit (the zygote's own charge
// is added to the cgroup, not taken from the program), its output cap.
TEST_F(ZygoteTest, EachProgramGetsItsOwnLimits) {
  absl::StatusOr<RunResult> spin = zygote_->Run(Spec("while True: pass\n", /*cpu_ms=*/500));
  ASSERT_TRUE(spin.ok()) << spin.status();
  EXPECT_EQ(spin->status, RunStatus::kCpuTimeout) << Describe(spin);
  EXPECT_GE(spin->cpu_ms, 500);
  RunSpec hog = Spec("x = bytearray(300 << 20)\nfor i in range(0, len(x), 4096): x[i] = 1\n");
  hog.limits.memory_bytes = 200 << 20;
  absl::StatusOr<RunResult> oom = zygote_->Run(hog);
  ASSERT_TRUE(oom.ok()) << oom.status();
  EXPECT_EQ(oom->status, RunStatus::kMemoryLimit) << Describe(oom);
  RunSpec fits = Spec("x = bytearray(150 << 20)\nfor i in range(0, len(x), 4096): x[i] = 1\n");
  fits.limits.memory_bytes = 200 << 20;
  absl::StatusOr<RunResult> ok = zygote_->Run(fits);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->status, RunStatus::kOk) << Describe(ok);
  EXPECT_EQ(zygote_->stats().restarts, 0);  // the OOM killer took the program, not us
}

// A killed syscall from one thread while another spins: the child's listener reached the
// grader, which reports the kernel's number and kills the program at once; the zygote is
// untouched and serves the next program.
TEST_F(ZygoteTest, ViolationFromAThreadReportsTheSyscall) {
  ASSERT_TRUE(sandbox_->seccomp_notify()) << sandbox_->probe().seccomp_notify.reason;
  const std::vector<pid_t> before = zygote_->zygote_pids();
  RunSpec spec = Spec(R"PY(
import ctypes, threading
threading.Thread(target=lambda: [0 for _ in iter(int, 1)], daemon=True).start()
t = threading.Thread(target=ctypes.CDLL(None).syscall, args=(101, 0, 0, 0, 0))
t.start()
t.join()
print("SURVIVED")
)PY",
                      10000);
  absl::StatusOr<RunResult> r = zygote_->Run(spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, RunStatus::kSyscallViolation) << Describe(r);
  EXPECT_EQ(r->syscall, 101);
  EXPECT_EQ(r->syscall_name, "ptrace");
  EXPECT_EQ(r->stdout_data, "");
  EXPECT_LT(r->wall_ms, 5000);
  absl::StatusOr<RunResult> next = zygote_->Run(Spec("print('next')"));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->status, RunStatus::kOk) << Describe(next);
  EXPECT_EQ(zygote_->zygote_pids(), before);
  EXPECT_EQ(zygote_->stats().restarts, 0);
}

// Notification switched off: the zygote's children install the killing filter.
TEST_F(ZygoteTest, WithoutNotificationTheKillListKills) {
  // Never destroyed, like sandbox_: a sandbox removes the process's cgroup parents when
  // it goes, which the suite's other sandbox still uses.
  static sandbox::Sandbox* plain = [] {
    sandbox::SandboxOptions opts;
    opts.seccomp_notify = false;
    absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> sb = sandbox::Sandbox::Create(opts);
    return sb.ok() ? sb->release() : nullptr;
  }();
  ASSERT_NE(plain, nullptr);
  EXPECT_FALSE(plain->seccomp_notify());
  absl::StatusOr<std::unique_ptr<sandbox::ZygoteRunner>> z =
      sandbox::ZygoteRunner::Create(plain, grader::MakeZygoteOptions(*runtime_, 1));
  ASSERT_TRUE(z.ok()) << z.status();
  absl::StatusOr<RunResult> r =
      (*z)->Run(Spec("import ctypes\nctypes.CDLL(None).syscall(101, 0, 0, 0, 0)"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, RunStatus::kSyscallViolation) << Describe(r);
  EXPECT_EQ(r->signal, SIGSYS);
  EXPECT_EQ(r->syscall, -1);
}

}  // namespace
}  // namespace fathom
