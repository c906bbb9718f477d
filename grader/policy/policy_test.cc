// Tests for the policy loader: the shipped policies load and mean what they
// say, every broken fixture in tests/policies_broken/ fails with its exact
// file:line:column error, and MakeRunSpec builds the run the runtime describes.
#include "grader/policy/policy.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kSourceDir = FATHOM_SOURCE_DIR;
const std::string kPolicies = kSourceDir + "/policies";
const std::string kBroken = kSourceDir + "/tests/policies_broken";

Policy LoadShipped() {
  absl::StatusOr<Policy> policy = LoadPolicy(kPolicies);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *std::move(policy) : Policy();
}

TEST(ShippedPolicy, Loads) {
  Policy policy = LoadShipped();
  EXPECT_EQ(policy.dir, kPolicies);
  EXPECT_EQ(policy.default_limits,
            sandbox::Limits());  // sandbox.yaml restates the defaults
  EXPECT_EQ(policy.wanted_layers, sandbox::LayerSet::All());
  EXPECT_THAT(policy.runtimes, Contains(::testing::Key("python")));
  EXPECT_THAT(policy.seccomp_profiles, Contains(::testing::Key("python")));
  EXPECT_EQ(policy.hash.size(), 16u);
  EXPECT_EQ(policy.hash.find_first_not_of("0123456789abcdef"),
            std::string::npos);
}

TEST(ShippedPolicy, PythonRuntime) {
  Policy policy = LoadShipped();
  absl::StatusOr<const RuntimePolicy*> python = policy.Runtime("python");
  ASSERT_TRUE(python.ok()) << python.status();
  const RuntimePolicy& r = **python;
  EXPECT_EQ(r.name, "python");
  EXPECT_EQ(r.interpreter, "/usr/bin/python3");
  EXPECT_THAT(r.flags, ElementsAre("-I", "-B"));
  EXPECT_EQ(r.file_name, "main.py");
  EXPECT_EQ(r.seccomp_profile, "python");
  EXPECT_TRUE(r.env_allow.empty());
  const std::map<std::string, std::string> expected_env = {
      {"HOME", "/tmp"},
      {"LANG", "C.UTF-8"},
      {"MKL_NUM_THREADS", "1"},
      {"OMP_NUM_THREADS", "1"},
      {"OPENBLAS_NUM_THREADS", "1"},
      {"PATH", "/usr/bin:/bin"},
      {"PYTHONIOENCODING", "utf-8"},
      {"TMPDIR", "/tmp"},
  };
  EXPECT_EQ(r.env_set, expected_env);
  EXPECT_THAT(r.ro_binds, Contains("/usr"));
  EXPECT_THAT(r.ro_binds, Contains("/etc/ld.so.cache"));
  EXPECT_THAT(r.ro_binds, Not(Contains("/etc")));
  EXPECT_THAT(r.ro_binds, Not(Contains("/etc/passwd")));
  EXPECT_THAT(r.ro_binds, Not(Contains("/etc/shadow")));
  EXPECT_EQ(r.limits, sandbox::Limits());
  EXPECT_EQ(r.source, kPolicies + "/runtimes/python.yaml");
}

TEST(ShippedPolicy, PythonSeccompProfile) {
  Policy policy = LoadShipped();
  ASSERT_TRUE(policy.seccomp_profiles.contains("python"));
  const sandbox::SeccompProfile& p = policy.seccomp_profiles.at("python");
  EXPECT_EQ(p.default_action, sandbox::SeccompAction::kErrno);
  EXPECT_EQ(p.default_errno, ENOSYS);
  EXPECT_EQ(p.process_errno, EPERM);
  EXPECT_EQ(p.exec_errno, EPERM);
  EXPECT_TRUE(p.allow_threads);
  EXPECT_FALSE(p.allow_process_creation);
  for (const char* needed :
       {"read", "write", "openat", "mmap", "futex", "getrandom"}) {
    EXPECT_THAT(p.allow, Contains(needed));
  }
  for (const char* surface :
       {"ptrace", "bpf", "io_uring_setup", "unshare", "mount", "keyctl",
        "perf_event_open", "userfaultfd", "process_vm_readv"}) {
    EXPECT_THAT(p.kill, Contains(surface));
  }
  bool socket_denied = false;
  for (const auto& rule : p.errno_rules) {
    if (rule.syscall == "socket") socket_denied = rule.errno_value == EACCES;
  }
  EXPECT_TRUE(socket_denied);
}

TEST(ShippedPolicy, PrepareCompilesTheFilter) {
  Policy policy = LoadShipped();
  absl::StatusOr<PreparedRuntime> prepared =
      PrepareRuntime(policy, "python", true);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  ASSERT_NE(prepared->filter, nullptr);
  EXPECT_EQ(prepared->filter->profile_name(), "python");
  EXPECT_STREQ(prepared->filter->exec_path(), "/usr/bin/python3");
  EXPECT_GT(prepared->filter->prog()->len, 100);
  // The zygote's filter is split (sandbox::ZygoteSeccomp): each child installs a part
  // under a third of the whole filter's length; the zygote installs the rest once.
  ASSERT_NE(prepared->zygote_child_filter, nullptr);
  EXPECT_LT(prepared->zygote_child_filter->prog()->len * 3, prepared->filter->prog()->len);
  EXPECT_GT(prepared->zygote_filter_bpf.size() / sizeof(sock_filter), 100u);
  // No SysV IPC or POSIX queue can be made under it: the zygote's children share its
  // (empty) IPC namespace.
  EXPECT_FALSE(prepared->program_can_create_ipc);
  EXPECT_FALSE(MakeZygoteOptions(*prepared, 1).per_program_ipc_namespace);

  absl::StatusOr<PreparedRuntime> without =
      PrepareRuntime(policy, "python", false);
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_EQ(without->filter, nullptr);
  EXPECT_EQ(without->policy, prepared->policy);
}

TEST(ShippedPolicy, UnknownRuntimeIsNotFound) {
  Policy policy = LoadShipped();
  absl::StatusOr<PreparedRuntime> prepared =
      PrepareRuntime(policy, "cobol", true);
  EXPECT_EQ(prepared.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(prepared.status().message(),
              HasSubstr("unknown runtime 'cobol' (known: bash, c, cpp, "));
  EXPECT_THAT(prepared.status().message(), HasSubstr(", python"));
}

// MultiPL-E's Racket and Scala fail a run that wrote to stderr (`verdict.require_silence`);
// no other shipped runtime asks for silence (HumanEval-X's JavaScript rows ask per row).
TEST(ShippedPolicy, RacketAndScalaRequireSilenceOnStderr) {
  Policy policy = LoadShipped();
  for (const char* name : {"rkt", "scala"}) {
    absl::StatusOr<const RuntimePolicy*> r = policy.Runtime(name);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ((*r)->verdict, VerdictRule::kExitStatus) << name;
    EXPECT_EQ((*r)->require_silence, (RequireSilence{.on_stderr = true})) << name;
  }
  EXPECT_TRUE((*policy.Runtime("scala"))->has_compile);
  EXPECT_EQ((*policy.Runtime("rkt"))->name, "racket");
  for (const auto& [name, r] : policy.runtimes) {
    if (name == "racket" || name == "scala") continue;
    EXPECT_EQ(r.require_silence, RequireSilence{}) << name;
  }
}

// The scalar form is the rule alone; the mapping form names it under `rule:`.
TEST(ShippedPolicy, VerdictScalarAndMappingForms) {
  Policy policy = LoadShipped();
  EXPECT_EQ(policy.runtimes.at("ruby").verdict, VerdictRule::kExitStatus);
  EXPECT_EQ(policy.runtimes.at("python").verdict, VerdictRule::kHarness);
  EXPECT_EQ(policy.runtimes.at("racket").verdict, VerdictRule::kExitStatus);
}

TEST(ShippedPolicy, CppCompilesThroughTheShellAndRunsItsArtefact) {
  Policy policy = LoadShipped();
  absl::StatusOr<PreparedRuntime> cpp = PrepareRuntime(policy, "c++", true);  // an alias
  ASSERT_TRUE(cpp.ok()) << cpp.status();
  const RuntimePolicy& r = *cpp->policy;
  EXPECT_EQ(r.name, "cpp");
  EXPECT_TRUE(r.has_compile);
  EXPECT_EQ(r.verdict, VerdictRule::kExitStatus);
  EXPECT_THAT(r.command, ElementsAre("/tmp/main"));
  ASSERT_NE(cpp->compile_filter, nullptr);
  EXPECT_STREQ(cpp->compile_filter->exec_path(), kCompileShell);
  EXPECT_STREQ(cpp->filter->exec_path(), "/tmp/main");

  const sandbox::RunSpec compile = MakeCompileSpec(*cpp, "int main() {}\n");
  ASSERT_GE(compile.argv.size(), 6u);
  EXPECT_THAT(std::vector<std::string>(compile.argv.begin(), compile.argv.begin() + 6),
              ElementsAre("/bin/sh", "-c", ::testing::_, "main", "/usr/bin/g++", "-std=c++17"));
  EXPECT_THAT(compile.argv, Contains("main.cpp"));
  ASSERT_EQ(compile.files.size(), 1u);
  EXPECT_EQ(compile.files[0].name, "main.cpp");
  EXPECT_EQ(compile.limits, r.compile.limits);
  EXPECT_EQ(compile.limits.cpu_time_ms, 20000);
  EXPECT_EQ(compile.seccomp, cpp->compile_filter);

  sandbox::Limits limits;
  limits.cpu_time_ms = 1234;
  const sandbox::RunSpec run = MakeArtefactRunSpec(*cpp, "ELF...", limits);
  EXPECT_THAT(run.argv, ElementsAre("/tmp/main"));
  ASSERT_EQ(run.files.size(), 1u);
  EXPECT_EQ(run.files[0].name, "main");
  EXPECT_EQ(run.files[0].content, "ELF...");
  EXPECT_TRUE(run.files[0].executable);
  EXPECT_EQ(run.limits, limits);
  EXPECT_EQ(run.seccomp, cpp->filter);
}

TEST(ShippedPolicy, TheRuntimeOfAFileIsChosenByItsExtension) {
  Policy policy = LoadShipped();
  for (const auto& [file, runtime] :
       std::vector<std::pair<std::string, std::string>>{{"a/prog.c", "c"},
                                                        {"prog.cpp", "cpp"},
                                                        {"x.cc", "cpp"},
                                                        {"run.sh", "bash"},
                                                        {"solution.py", "python"}}) {
    absl::StatusOr<const RuntimePolicy*> r = policy.RuntimeForFile(file);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ((*r)->name, runtime) << file;
  }
  absl::StatusOr<const RuntimePolicy*> none = policy.RuntimeForFile("prog.cob");
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(none.status().message(),
              HasSubstr("prog.cob: unknown extension '.cob' (known: .sh (bash)"));
  EXPECT_THAT(policy.RuntimeForFile("Makefile").status().message(),
              HasSubstr("Makefile: no extension"));
}

TEST(ShippedPolicy, EveryRuntimeHasItsSelfTests) {
  Policy policy = LoadShipped();
  // Statuses a language cannot reach by itself. Plain Lua has no way to raise a signal
  // or to block (no kill, no sleep; os.execute forks, which is syscall_violation).
  const std::map<std::string, std::set<std::string>> unreachable = {
      {"lua", {"signaled", "wall_timeout"}}};
  for (const auto& [name, r] : policy.runtimes) {
    std::vector<std::string> keys;
    for (const auto& [key, source] : r.self_test) keys.push_back(key);
    std::vector<std::string> want;
    for (const char* key : {"pass", "fail", "ok", "nonzero_exit", "signaled", "cpu_timeout",
                            "wall_timeout", "memory_limit", "output_limit", "syscall_violation"}) {
      auto it = unreachable.find(name);
      if (it == unreachable.end() || !it->second.contains(key)) want.push_back(key);
    }
    EXPECT_THAT(keys, ::testing::UnorderedElementsAreArray(want)) << name;
    EXPECT_FALSE(r.packages.empty()) << name;
  }
}

TEST(ShippedPolicy, HashIsStable) {
  EXPECT_EQ(LoadShipped().hash, LoadShipped().hash);
  // A different set of files hashes differently.
  absl::StatusOr<Policy> minimal = LoadPolicy(kBroken + "/valid_minimal");
  ASSERT_TRUE(minimal.ok()) << minimal.status();
  EXPECT_NE(minimal->hash, LoadShipped().hash);
}

// Runs `code` with the shipped python runtime under its real seccomp filter (no
// other layer) and returns the wait status. Proves the allowlist is enough for
// numpy and the stdlib, and that the kill list kills.
int RunUnderFilter(const PreparedRuntime& runtime, const std::string& code) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("fathom_policy_test." + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  sandbox::RunSpec spec = MakeRunSpec(runtime, code, sandbox::Limits());
  for (const sandbox::File& f : spec.files) {
    std::ofstream(dir / f.name) << f.content;
  }
  // Everything the child needs is prepared before fork.
  std::vector<char*> argv;
  for (std::string& a : spec.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (std::string& e : spec.env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string cwd = dir.string();

  pid_t pid = fork();
  if (pid == 0) {
    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0) _exit(120);
    if (chdir(cwd.c_str()) != 0) _exit(121);
    if (sandbox::InstallSeccompInChild(*spec.seccomp) != 0) _exit(122);
    execve(spec.seccomp->exec_path(), argv.data(), envp.data());
    _exit(123);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  std::filesystem::remove_all(dir);
  return status;
}

TEST(ShippedPolicy, PythonRunsUnderItsFilter) {
  Policy policy = LoadShipped();
  absl::StatusOr<PreparedRuntime> prepared =
      PrepareRuntime(policy, "python", true);
  ASSERT_TRUE(prepared.ok()) << prepared.status();

  const std::string ok_program = R"py(
import numpy as np, math, re, itertools, collections, heapq, hashlib, random, json
import fractions, decimal, datetime, functools, threading, time, os, subprocess, socket
assert np.linalg.det(np.eye(3) * 2) > 7.9
out = []
t = threading.Thread(target=lambda: out.append(sum(range(1000))))
t.start(); t.join()
assert out == [499500]
with open("f.txt", "w") as f: f.write("x" * 100)
assert os.path.getsize("f.txt") == 100
time.sleep(0.01); time.process_time(); time.perf_counter()
try:
    subprocess.run(["/bin/true"])
    raise SystemExit(10)
except PermissionError:
    pass
try:
    socket.socket()
    raise SystemExit(11)
except PermissionError:
    pass
print(datetime.datetime.now(), decimal.Decimal("1.1") * 3)
)py";
  int status = RunUnderFilter(*prepared, ok_program);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "wait status " << status;

  const std::string ptrace_program = R"py(
import ctypes
ctypes.CDLL(None).ptrace(0, 0, 0, 0)
)py";
  status = RunUnderFilter(*prepared, ptrace_program);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
      << "wait status " << status;
}

TEST(MakeRunSpec, BuildsTheRun) {
  RuntimePolicy runtime;
  runtime.name = "python";
  runtime.interpreter = "/usr/bin/python3";
  runtime.flags = {"-I", "-B"};
  runtime.file_name = "main.py";
  runtime.env_set = {{"PATH", "/usr/bin:/bin"}, {"HOME", "/tmp"}};
  runtime.env_allow = {"FATHOM_TEST_ALLOWED", "FATHOM_TEST_UNSET"};
  runtime.ro_binds = {"/usr", "/lib"};
  ASSERT_EQ(setenv("FATHOM_TEST_ALLOWED", "yes", 1), 0);
  ASSERT_EQ(setenv("FATHOM_TEST_SECRET", "hunter2", 1), 0);
  ASSERT_EQ(unsetenv("FATHOM_TEST_UNSET"), 0);

  PreparedRuntime prepared;
  prepared.policy = &runtime;
  sandbox::Limits limits;
  limits.cpu_time_ms = 1234;
  sandbox::RunSpec spec = MakeRunSpec(prepared, "print(1)\n", limits);

  EXPECT_THAT(spec.argv,
              ElementsAre("/usr/bin/python3", "-I", "-B", "main.py"));
  // Sorted; the allowed variable is copied, the secret and the unset one are
  // not.
  EXPECT_THAT(spec.env, ElementsAre("FATHOM_TEST_ALLOWED=yes", "HOME=/tmp",
                                    "PATH=/usr/bin:/bin"));
  ASSERT_EQ(spec.files.size(), 1u);
  EXPECT_EQ(spec.files[0].name, "main.py");
  EXPECT_EQ(spec.files[0].content, "print(1)\n");
  EXPECT_EQ(spec.limits.cpu_time_ms, 1234);
  EXPECT_THAT(spec.ro_binds, ElementsAre("/usr", "/lib"));
  EXPECT_EQ(spec.seccomp, nullptr);
  EXPECT_FALSE(spec.has_stdin);
  unsetenv("FATHOM_TEST_ALLOWED");
  unsetenv("FATHOM_TEST_SECRET");
}

TEST(MakeRunSpec, ShippedPythonLeaksNothing) {
  Policy policy = LoadShipped();
  absl::StatusOr<PreparedRuntime> prepared =
      PrepareRuntime(policy, "python", true);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  ASSERT_EQ(setenv("FATHOM_TEST_SECRET", "hunter2", 1), 0);
  sandbox::RunSpec spec =
      MakeRunSpec(*prepared, "pass\n", prepared->policy->limits);
  EXPECT_THAT(spec.argv,
              ElementsAre("/usr/bin/python3", "-I", "-B", "main.py"));
  for (const std::string& e : spec.env)
    EXPECT_THAT(e, Not(HasSubstr("hunter2")));
  EXPECT_TRUE(std::is_sorted(spec.env.begin(), spec.env.end()));
  EXPECT_EQ(spec.env.size(), 8u);
  EXPECT_EQ(spec.seccomp, prepared->filter);
  unsetenv("FATHOM_TEST_SECRET");
}

TEST(DefaultPolicyDir, EnvironmentWins) {
  ASSERT_EQ(setenv("FATHOM_POLICIES", "/somewhere/policies", 1), 0);
  EXPECT_EQ(DefaultPolicyDir(), "/somewhere/policies");
  unsetenv("FATHOM_POLICIES");
}

// Helper for SearchOrder, which runs a copy of this binary with only this test.
TEST(DefaultPolicyDir, DISABLED_PrintForSearchOrder) {
  printf("POLICY_DIR=%s\n", DefaultPolicyDir().c_str());
}

// What a copy of this binary placed in DIR/bin/ answers, with FATHOM_POLICIES
// unset.
std::string DefaultDirOfCopyIn(const std::filesystem::path& bin) {
  const std::string cmd =
      "env -u FATHOM_POLICIES " + (bin / "policy_test").string() +
      " --gtest_also_run_disabled_tests"
      " --gtest_filter=DefaultPolicyDir.DISABLED_PrintForSearchOrder";
  FILE* out = popen(cmd.c_str(), "r");
  if (out == nullptr) return "popen failed";
  std::string answer = "no answer";
  char line[4096];
  while (fgets(line, sizeof(line), out) != nullptr) {
    std::string l(line);
    if (l.rfind("POLICY_DIR=", 0) == 0) answer = l.substr(11, l.size() - 12);
  }
  pclose(out);
  return answer;
}

TEST(DefaultPolicyDir, SearchOrder) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() /
                        ("fathom_policy_dir." + std::to_string(getpid()));
  fs::create_directories(root / "bin");
  fs::copy_file("/proc/self/exe", root / "bin" / "policy_test");
  fs::permissions(root / "bin" / "policy_test", fs::perms::owner_all);

  // Nothing beside the binary: the installed location.
  EXPECT_EQ(DefaultDirOfCopyIn(root / "bin"), "/usr/share/fathom/policies");
  // <exe dir>/policies (an unpacked tree).
  fs::create_directories(root / "bin" / "policies");
  EXPECT_EQ(DefaultDirOfCopyIn(root / "bin"), (root / "bin/policies").string());
  // <exe dir>/../policies wins over it (build/fathom next to the source tree).
  fs::create_directories(root / "policies");
  EXPECT_EQ(DefaultDirOfCopyIn(root / "bin"), (root / "policies").string());
  fs::remove_all(root);
}

TEST(LoadPolicy, MissingDirectoryIsNotFound) {
  absl::StatusOr<Policy> policy = LoadPolicy(kBroken + "/no_such_dir");
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kNotFound);
}

TEST(LoadPolicy, ValidMinimalFixture) {
  absl::StatusOr<Policy> policy = LoadPolicy(kBroken + "/valid_minimal");
  ASSERT_TRUE(policy.ok()) << policy.status();
  // namespaces: false, then user_ns: true; cgroup: false.
  sandbox::LayerSet expected =
      sandbox::LayerSet::All().Minus(sandbox::LayerSet::Namespaces());
  expected.Add(sandbox::Layer::kUserNs);
  expected.Remove(sandbox::Layer::kCgroup);
  EXPECT_EQ(policy->wanted_layers, expected);
  EXPECT_EQ(policy->default_limits.cpu_time_ms, 5000);
  const RuntimePolicy& r = policy->runtimes.at("python");
  EXPECT_EQ(r.limits.cpu_time_ms, 7000);  // runtime override
  EXPECT_EQ(r.limits.memory_bytes,
            sandbox::Limits::kDefaultMemoryBytes);  // untouched
  EXPECT_THAT(r.env_allow, ElementsAre("LC_ALL"));
  const sandbox::SeccompProfile& p = policy->seccomp_profiles.at("tiny");
  EXPECT_EQ(p.default_action, sandbox::SeccompAction::kKill);
  ASSERT_EQ(p.errno_rules.size(), 1u);
  EXPECT_EQ(p.errno_rules[0].syscall, "socket");
  EXPECT_EQ(p.errno_rules[0].errno_value, EACCES);
}

struct BrokenCase {
  std::string dir;       // under tests/policies_broken/
  std::string expected;  // the message after "<dir>/"
};

class BrokenPolicy : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(BrokenPolicy, FailsWithExactError) {
  const std::string dir = kBroken + "/" + GetParam().dir;
  absl::StatusOr<Policy> policy = LoadPolicy(dir);
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(policy.status().message()),
            dir + "/" + GetParam().expected);
}

const BrokenCase kBrokenCases[] = {
    {"sandbox_unknown_key",
     "sandbox.yaml:3:1: limitz: unknown key (expected one of: limits, "
     "isolation)"},
    {"limits_unknown_key",
     "sandbox.yaml:3:3: limits.cpu_time: unknown limit 'cpu_time' (known: "
     "cpu_time_ms, "
     "wall_time_ms, memory_bytes, max_output_bytes, max_processes, "
     "max_file_bytes, "
     "max_open_files, tmpfs_bytes, stack_bytes)"},
    {"limits_negative",
     "sandbox.yaml:3:16: limits.cpu_time_ms: -5 is below the minimum 1"},
    {"limits_not_integer",
     "sandbox.yaml:4:17: limits.memory_bytes: '1.5GB' is not an integer"},
    {"limits_wrong_type", "sandbox.yaml:2:9: limits: expected a mapping"},
    {"isolation_unknown_layer",
     "sandbox.yaml:3:3: isolation.network: unknown layer (expected one of: "
     "namespaces, user_ns, pid_ns, net_ns, mount_ns, ipc_ns, uts_ns, cgroup, "
     "rlimits, seccomp)"},
    {"isolation_not_bool",
     "sandbox.yaml:4:12: isolation.seccomp: expected true or false"},
    {"compile_unknown_placeholder",
     "runtimes/cpp.yaml:7:37: compile.command[3]: unknown placeholder in '{source}' (known: "
     "{file})"},
    {"compile_profile_without_exec",
     "runtimes/cpp.yaml:9:20: compile.seccomp_profile: profile 'tiny' must set "
     "allow_any_exec: true (the compile shell execs the compiler, which execs its own "
     "passes)"},
    {"compile_without_command",
     "runtimes/cpp.yaml:1:1: command: required with compile: (how the artefact runs, e.g. "
     "[\"{artefact}\"])"},
    {"runtime_version_not_command",
     "runtimes/bash.yaml:4:18: version_command: must start with command[0] '/bin/bash': the "
     "run profile execs nothing else"},
    {"runtime_exit_status_without_version",
     "runtimes/bash.yaml:1:1: version_command: required key is missing (prints the "
     "toolchain's version: part of every cache key)"},
    {"verdict_unknown_rule",
     "runtimes/bash.yaml:3:9: verdict.rule: unknown rule 'exit_code' (expected exit_status or "
     "harness)"},
    {"verdict_unknown_key",
     "runtimes/bash.yaml:4:3: verdict.silent: unknown key (expected one of: rule, "
     "require_silence)"},
    {"verdict_missing_rule",
     "runtimes/bash.yaml:3:3: verdict.rule: required key is missing"},
    {"verdict_unknown_stream",
     "runtimes/bash.yaml:4:29: verdict.require_silence[1]: unknown stream 'stdrr' (expected "
     "stdout or stderr)"},
    {"verdict_silence_twice",
     "runtimes/bash.yaml:4:37: verdict.require_silence[2]: 'stderr' is listed twice"},
    {"verdict_silence_empty",
     "runtimes/bash.yaml:4:20: verdict.require_silence: must name stdout, stderr or both "
     "(leave the key out for neither)"},
    {"verdict_silence_not_list",
     "runtimes/bash.yaml:4:20: verdict.require_silence: expected a list of strings"},
    {"verdict_silence_with_harness",
     "runtimes/bash.yaml:4:20: verdict.require_silence: only with rule: exit_status (the "
     "harness's record decides a harness run, whatever it prints)"},
    {"runtime_extension_taken",
     "runtimes/b.yaml:4:20: extensions[1]: '.py' already belongs to runtime 'a'"},
    {"self_test_missing_fail",
     "runtimes/python.yaml:6:3: self_test.fail: required key is missing (a known-pass and a "
     "known-fail program)"},
    {"self_test_unknown_status",
     "runtimes/python.yaml:8:3: self_test.timeout: unknown key (expected one of: pass, fail, "
     "ok, nonzero_exit, signaled, cpu_timeout, wall_timeout, memory_limit, output_limit, "
     "syscall_violation)"},
    {"runtime_unknown_key",
     "runtimes/python.yaml:5:1: timeout: unknown key (expected one of: name, "
     "interpreter, "
     "flags, file_name, env, seccomp_profile, ro_binds, limits, zygote_preload, command, compile, "
     "version_command, verdict, aliases, extensions, packages, self_test)"},
    {"runtime_zygote_bad_module",
     "runtimes/python.yaml:5:24: zygote_preload[1]: 'os; import evil' is not a module name"},
    {"runtime_env_unknown_key",
     "runtimes/python.yaml:8:3: env.deny: unknown key (expected one of: set, "
     "allow)"},
    {"runtime_limits_unknown_key",
     "runtimes/python.yaml:8:3: limits.cpu_ms: unknown limit 'cpu_ms' (known: "
     "cpu_time_ms, "
     "wall_time_ms, memory_bytes, max_output_bytes, max_processes, "
     "max_file_bytes, "
     "max_open_files, tmpfs_bytes, stack_bytes)"},
    {"runtime_flags_wrong_type",
     "runtimes/python.yaml:3:8: flags: expected a list of strings"},
    {"runtime_flags_missing_value",
     "runtimes/python.yaml:3:1: flags: expected a list of strings"},
    {"runtime_env_value_not_string",
     "runtimes/python.yaml:7:11: env.set.PATH: expected a string"},
    {"runtime_relative_interpreter",
     "runtimes/python.yaml:2:14: interpreter: must be an absolute path, not "
     "'python3' (a PATH "
     "lookup could pick a different interpreter)"},
    {"runtime_relative_ro_bind",
     "runtimes/python.yaml:7:5: ro_binds[1]: must be an absolute path without "
     "'..', not "
     "'usr/lib'"},
    {"runtime_missing_key",
     "runtimes/python.yaml:1:1: file_name: required key is missing"},
    {"runtime_missing_profile",
     "runtimes/python.yaml:5:18: seccomp_profile: no seccomp profile named "
     "'pyhton' (known: "
     "tiny)"},
    {"runtime_duplicate_name",
     "runtimes/python2.yaml:1:7: name: runtime 'python' is already defined "
     "in " +
         kBroken + "/runtime_duplicate_name/runtimes/python.yaml"},
    {"runtime_duplicate_key", "runtimes/python.yaml:6:1: flags: duplicate key"},
    {"runtime_not_a_mapping",
     "runtimes/python.yaml:1:1: expected a mapping of keys"},
    {"seccomp_unknown_key",
     "seccomp/tiny.yaml:3:1: allowed: unknown key (expected one of: name, "
     "default, "
     "default_errno, allow, errno, kill, allow_threads, "
     "allow_process_creation, "
     "process_errno, exec_errno, allow_any_exec, kill_process_creation, kill_exec)"},
    {"seccomp_unknown_errno",
     "seccomp/tiny.yaml:3:16: default_errno: unknown errno name 'ENOSUCH' "
     "(known: EPERM, "
     "ENOENT, ESRCH, EINTR, EIO, ENXIO, E2BIG, ENOEXEC, EBADF, ECHILD, EAGAIN, "
     "ENOMEM, "
     "EACCES, EFAULT, EBUSY, EEXIST, EXDEV, ENODEV, ENOTDIR, EISDIR, EINVAL, "
     "ENFILE, EMFILE, "
     "ENOTTY, ETXTBSY, EFBIG, ENOSPC, ESPIPE, EROFS, EMLINK, EPIPE, ENOSYS, "
     "ENOTSUP, "
     "EOPNOTSUPP, EAFNOSUPPORT, EPROTONOSUPPORT, ENETUNREACH, ECONNREFUSED)"},
    {"seccomp_errno_rule_bad_errno",
     "seccomp/tiny.yaml:5:11: errno.socket: expected a string"},
    {"seccomp_unknown_syscall",
     "seccomp/tiny.yaml:6:5: allow[2]: unknown syscall 'wirte'"},
    {"seccomp_allow_and_kill",
     "seccomp/tiny.yaml:9:5: kill[0]: syscall 'ptrace' is already listed at "
     "allow[3]"},
    {"seccomp_special_syscall",
     "seccomp/tiny.yaml:6:5: allow[2]: seccomp profile 'tiny': 'clone' is "
     "governed by "
     "allow_threads / allow_process_creation and the exec rule; remove it from "
     "the lists"},
    {"seccomp_bad_default",
     "seccomp/tiny.yaml:2:10: default: unknown action 'deny' (expected allow, "
     "errno or kill)"},
    {"seccomp_missing_name",
     "seccomp/tiny.yaml:1:1: name: required key is missing"},
    {"seccomp_duplicate_name",
     "seccomp/tiny2.yaml:1:7: name: seccomp profile 'tiny' is already defined "
     "in " +
         kBroken + "/seccomp_duplicate_name/seccomp/tiny.yaml"},
    // yaml-cpp notices the unclosed list at the end of the file.
    {"yaml_syntax",
     "seccomp/tiny.yaml:4:1: invalid YAML: end of sequence flow not found"},
    {"yaml_illegal_map_value",
     "runtimes/python.yaml:3:19: invalid YAML: illegal map value"},
    {"yaml_two_documents",
     "sandbox.yaml:4:1: expected one YAML document, found several"},
    {"empty_file",
     "runtimes/python.yaml:1:1: empty file: expected a mapping of keys"},
    {"missing_sandbox_yaml",
     "sandbox.yaml: missing (every policy directory has one)"},
};

INSTANTIATE_TEST_SUITE_P(Fixtures, BrokenPolicy,
                         ::testing::ValuesIn(kBrokenCases),
                         [](const ::testing::TestParamInfo<BrokenCase>& info) {
                           return info.param.dir;
                         });

// Every fixture directory has a case above, so a new fixture cannot go
// untested.
TEST(BrokenPolicy, EveryFixtureHasACase) {
  for (const auto& entry : std::filesystem::directory_iterator(kBroken)) {
    const std::string name = entry.path().filename().string();
    if (name == "valid_minimal" || name == "README.md") continue;
    EXPECT_TRUE(std::any_of(std::begin(kBrokenCases), std::end(kBrokenCases),
                            [&](const BrokenCase& c) { return c.dir == name; }))
        << name;
  }
}

// Malformed input of every shape must give an error, never a crash.
TEST(LoadPolicy, GarbageNeverCrashes) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("fathom_policy_garbage." + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "runtimes");
  const std::vector<std::string> inputs = {
      std::string(100000, '['),
      "a: *unknown_alias",
      "? [a, b]\n: c\n",
      "- 1\n- 2\n",
      "\t\tx",
      "limits: !!binary AAAA",
      "limits: {cpu_time_ms: [1]}",
      std::string("a\0b: 1", 6),
      "isolation: {namespaces: {}}",
      "\xff\xfe\x00\x01",
      "&a [*a]",
      "limits: ~",
  };
  for (const std::string& input : inputs) {
    std::ofstream(dir / "sandbox.yaml", std::ios::trunc | std::ios::binary)
        << input;
    absl::StatusOr<Policy> policy = LoadPolicy(dir.string());
    EXPECT_FALSE(policy.ok()) << input.substr(0, 40);
    EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument)
        << policy.status();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fathom::grader
