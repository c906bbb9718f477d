// The hostile corpus: every program in tests/hostile/ runs through the real sandbox with the
// shipped python policy, twice: in full isolation and with the namespace layers switched
// off (what a restricted container gives). Each program's header states the exact status
// each mode promises and extra assertions (see tests/hostile/README.md for the format and
// the reasons). After EVERY run the host is checked: no process of the run survives (a
// unique marker in the run's environment is searched in /proc/*/environ, at once and again
// 200 ms later), no zombie is left under us, no per-run cgroup, mount or temp dir remains,
// the host canary and the interpreter are unchanged, and the test's own loopback server
// saw no connection. ConcurrentRunsTest runs two programs at once (tests/hostile/concurrent/)
// to see whether one run can reach another.
//
// Other languages (tests/hostile/native/*.c|*.cpp, tests/hostile/bash/*.sh,
// tests/hostile/java/*.java, tests/hostile/js/*.js, and php, ts, r, cs, d, racket, scala;
// headers in "//", "#", "--" or ";;" comments, a PHP file's after its "<?php" line) run in
// full isolation under their own runtime (the file's extension picks it, as `fathom run`
// does): a compiled one is compiled in the sandbox
// first (its compile step is a sandbox run like the others) and its binary run; the same
// host checks follow every run. Compiled runtimes need the mount namespace, so they have
// no namespaces-off mode; the zygote is Python's.
//
// Needs root (the sandbox maps the program to uid 65534 and creates cgroups).
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grader/policy/policy.h"
#include "gtest/gtest.h"
#include "sandbox/landlock.h"
#include "sandbox/run_spec.h"
#include "sandbox/sandbox.h"
#include "sandbox/zygote.h"

namespace fathom {
namespace {

namespace fs = std::filesystem;
using sandbox::LayerSet;
using sandbox::RunResult;
using sandbox::RunSpec;
using sandbox::RunStatus;
using sandbox::RunStatusName;

const std::string kSourceDir = FATHOM_SOURCE_DIR;
const std::string kCorpusDir = kSourceDir + "/tests/hostile";
const std::string kPolicyDir = kSourceDir + "/policies";
constexpr char kInterpreter[] = "/usr/bin/python3";

// ---------------------------------------------------------------------------------------
// Small host helpers.

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string NewUuid() {
  return std::string(absl::StripAsciiWhitespace(ReadAll("/proc/sys/kernel/random/uuid")));
}

// Host pids whose environment holds `needle` (the run's marker).
std::vector<std::string> ProcessesWith(const std::string& needle) {
  std::vector<std::string> found;
  DIR* d = opendir("/proc");
  if (d == nullptr) return found;
  while (dirent* e = readdir(d)) {
    int pid = 0;
    if (!absl::SimpleAtoi(e->d_name, &pid)) continue;
    std::string env = ReadAll(absl::StrCat("/proc/", pid, "/environ"));
    if (env.find(needle) != std::string::npos) {
      std::string comm(absl::StripAsciiWhitespace(ReadAll(absl::StrCat("/proc/", pid, "/comm"))));
      std::string state;
      std::string status = ReadAll(absl::StrCat("/proc/", pid, "/status"));
      for (absl::string_view line : absl::StrSplit(status, '\n')) {
        if (absl::StartsWith(line, "State:")) state = std::string(line.substr(6));
      }
      found.push_back(absl::StrCat(pid, " (", comm, ",", absl::StripAsciiWhitespace(state), ")"));
    }
  }
  closedir(d);
  return found;
}

// Children (zombies included) of every thread of this test process, but `except` (the
// zygotes, which live as long as the test).
std::string OurChildren(const std::vector<pid_t>& except = {}) {
  std::vector<std::string> kept;
  for (const auto& t : fs::directory_iterator("/proc/self/task")) {
    for (absl::string_view p :
         absl::StrSplit(ReadAll(t.path().string() + "/children"), ' ', absl::SkipWhitespace())) {
      int pid = 0;
      if (absl::SimpleAtoi(p, &pid) && std::find(except.begin(), except.end(), pid) != except.end()) {
        continue;
      }
      kept.emplace_back(p);
    }
  }
  return absl::StrJoin(kept, " ");
}

// Whether `name` ends in "-<pid>" of another process: the fixtures of another instance
// of this test running in parallel (ctest -j), which come and go on their own.
bool OtherInstances(const std::string& name) {
  const size_t dash = name.rfind('-');
  int pid = 0;
  return dash != std::string::npos && absl::SimpleAtoi(name.substr(dash + 1), &pid) &&
         pid != getpid();
}

// Sorted names in `dir` that start with `prefix` ("" for all), except other instances'.
std::vector<std::string> Listing(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    if (absl::StartsWith(n, prefix) && (prefix.empty() || !OtherInstances(n))) {
      names.push_back(n);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string StatSummary(const std::string& path, bool follow) {
  struct stat st {};
  if ((follow ? stat(path.c_str(), &st) : lstat(path.c_str(), &st)) != 0) {
    return absl::StrCat("stat failed: ", strerror(errno));
  }
  return absl::StrCat("mode=", st.st_mode, " uid=", st.st_uid, " size=", st.st_size,
                      " mtime=", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec,
                      " ctime=", st.st_ctim.tv_sec, ".", st.st_ctim.tv_nsec, " ino=", st.st_ino);
}

// Whether `int 0x80` reaches the kernel on this host (IA32 emulation enabled at runtime).
bool HostHasIa32() {
  static const bool has = [] {
    pid_t pid = fork();
    if (pid == 0) {
      long r = 20;  // getpid in the i386 table
      asm volatile("int $0x80" : "+a"(r) : : "memory", "r8", "r9", "r10", "r11");
      _exit(r > 0 ? 0 : 1);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
  }();
  return has;
}

// ---------------------------------------------------------------------------------------
// The corpus: one program and its header directives.

// kZygote: full isolation, programs run by the python zygote (sandbox/zygote.h); every
// "expect"/"-full" promise holds for it too, which is what makes the zygote and the
// fresh-exec path give identical statuses on this corpus.
enum class Mode { kFull, kNoNamespaces, kZygote };

bool IsPython(absl::string_view file) { return absl::EndsWith(file, ".py"); }

struct Directive {
  std::string key;
  std::string value;
};

struct Program {
  std::string file;
  std::string text;
  std::vector<Directive> directives;

  std::vector<std::string> All(absl::string_view key) const {
    std::vector<std::string> v;
    for (const auto& d : directives) {
      if (d.key == key) v.push_back(d.value);
    }
    return v;
  }
  std::string One(absl::string_view key) const {
    std::vector<std::string> v = All(key);
    return v.empty() ? "" : v.back();
  }
};

// Keys a header may use. Assertion keys may end in "-full" or "-no-ns" to apply to one
// mode only.
const std::set<std::string>& KnownKeys() {
  static const auto* keys = new std::set<std::string>{
      "expect",         "expect-no-ns",        "limits",          "run-first",
      "host-without-ia32", "no-ns-leaves",     "no-ns-needs",     "exit-code",       "signal",
      "stdout-contains", "stdout-not-contains", "stderr-contains", "stderr-not-contains",
      "stdout-size",    "stderr-size",         "stdout-truncated", "stderr-truncated",
      "stdout-crc32",   "stdout-pattern",      "syscall"};
  return *keys;
}

// Splits "stdout-contains-no-ns" into ("stdout-contains", kNoNamespaces); a key without
// a mode suffix applies to both (*both = true).
std::string BaseKey(const std::string& key, Mode* mode, bool* both) {
  *both = true;
  if (key == "expect-no-ns") return key;
  if (absl::EndsWith(key, "-no-ns")) {
    *both = false;
    *mode = Mode::kNoNamespaces;
    return key.substr(0, key.size() - 6);
  }
  if (absl::EndsWith(key, "-full")) {
    *both = false;
    *mode = Mode::kFull;
    return key.substr(0, key.size() - 5);
  }
  return key;
}

// Reads tests/hostile/<file>: directives are the "# key: value" lines of the leading
// comment block whose key is lowercase letters, digits and dashes; other comment lines
// are prose. An unknown key is an error (a typo must not silently drop an assertion).
absl::StatusOr<Program> LoadProgram(const std::string& file) {
  Program p;
  p.file = file;
  p.text = ReadAll(kCorpusDir + "/" + file);
  if (p.text.empty()) return absl::NotFoundError(absl::StrCat(file, ": empty or missing"));
  const absl::string_view comment =
      IsPython(file) || absl::EndsWith(file, ".sh") || absl::EndsWith(file, ".rb") ||
              absl::EndsWith(file, ".pl") || absl::EndsWith(file, ".r")
          ? "#"
      : absl::EndsWith(file, ".lua") ? "--"
      : absl::EndsWith(file, ".rkt") ? ";;"
                                     : "//";
  // A PHP file opens with "<?php" (text before it is output, not code); the header follows.
  absl::string_view header = p.text;
  if (absl::EndsWith(file, ".php")) absl::ConsumePrefix(&header, "<?php\n");
  for (absl::string_view line : absl::StrSplit(header, '\n')) {
    if (!absl::ConsumePrefix(&line, comment)) break;
    absl::ConsumePrefix(&line, " ");
    size_t colon = line.find(": ");
    if (colon == absl::string_view::npos || colon == 0) continue;
    absl::string_view key = line.substr(0, colon);
    if (key.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != absl::string_view::npos) {
      continue;
    }
    Mode m;
    bool both;
    std::string base = BaseKey(std::string(key), &m, &both);
    if (!KnownKeys().contains(base)) {
      return absl::InvalidArgumentError(absl::StrCat(file, ": unknown directive '", key, "'"));
    }
    p.directives.push_back({std::string(key), std::string(line.substr(colon + 2))});
  }
  if (p.One("expect").empty() || (IsPython(file) && p.One("expect-no-ns").empty())) {
    return absl::InvalidArgumentError(absl::StrCat(
        file, IsPython(file) ? ": needs both '# expect:' and '# expect-no-ns:'"
                             : ": needs an 'expect:' line"));
  }
  return p;
}

// The Python corpus (tests/hostile/*.py) when `python`, else the other languages'
// sections (native/*.c, native/*.cpp, bash/*.sh, go/*.go, rust/*.rs, lua/*.lua,
// ruby/*.rb, perl/*.pl, java/*.java, js/*.js, php/*.php, ts/*.ts, r/*.r, cs/*.cs, d/*.d,
// racket/*.rkt, scala/*.scala), as paths relative to the corpus.
std::vector<std::string> CorpusFiles(bool python = true) {
  std::vector<std::string> files;
  std::error_code ec;
  if (python) {
    for (const auto& e : fs::directory_iterator(kCorpusDir, ec)) {
      if (e.path().extension() == ".py") files.push_back(e.path().filename().string());
    }
  } else {
    const std::set<std::string> extensions = {".c",  ".cpp", ".sh",  ".go", ".rs",
                                              ".lua", ".rb", ".pl",  ".java", ".js",
                                              ".php", ".ts", ".r",   ".cs", ".d",
                                              ".rkt", ".scala"};
    for (const char* section : {"native", "bash", "go", "rust", "lua", "ruby", "perl", "java",
                                "js", "php", "ts", "r", "cs", "d", "racket", "scala"}) {
      for (const auto& e : fs::directory_iterator(kCorpusDir + "/" + section, ec)) {
        if (extensions.contains(e.path().extension().string())) {
          files.push_back(absl::StrCat(section, "/", e.path().filename().string()));
        }
      }
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// ---------------------------------------------------------------------------------------
// Shared state: sandboxes, the policy, the host fixtures the programs aim at.

struct HostFixtures {
  std::string secret_value;  // in our environment as FATHOM_TEST_SECRET
  std::string secret_path;   // root-only 0600 file holding secret_value
  std::string canary_path;   // root-owned 0644 file in /tmp
  std::string canary_content;
  std::string work_tmpdir;   // our TMPDIR: where runs without a mount namespace work
  int listen_fd = -1;
  int port = 0;
};

class HostileEnvironment : public ::testing::Environment {
 public:
  static HostileEnvironment* Get() { return instance_; }

  void SetUp() override {
    instance_ = this;
    const std::string id = NewUuid();
    fx_.secret_value = "hostile-secret-" + id;
    setenv("FATHOM_TEST_SECRET", fx_.secret_value.c_str(), 1);
    fx_.secret_path = absl::StrCat("/tmp/fathom-hostile-secret-", getpid());
    fx_.canary_path = absl::StrCat("/tmp/fathom-hostile-canary-", getpid());
    fx_.canary_content = "canary " + id + "\n";
    WriteFileMode(fx_.secret_path, fx_.secret_value + "\n", 0600);
    WriteFileMode(fx_.canary_path, fx_.canary_content, 0644);
    // Runs without a mount namespace work in a private dir under $TMPDIR: point it at a
    // dir of our own so leftovers are ours to see (0711: uid 65534 must traverse it).
    fx_.work_tmpdir = absl::StrCat("/tmp/fathom-hostile-work-", getpid());
    fs::create_directories(fx_.work_tmpdir);
    chmod(fx_.work_tmpdir.c_str(), 0711);
    setenv("TMPDIR", fx_.work_tmpdir.c_str(), 1);
    // The loopback server the programs must not reach.
    fx_.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fx_.listen_fd < 0 || bind(fx_.listen_fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(fx_.listen_fd, 16) != 0 ||
        getsockname(fx_.listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      setup_error_ = absl::StrCat("loopback server: ", strerror(errno));
      return;
    }
    fx_.port = ntohs(addr.sin_port);

    absl::StatusOr<grader::Policy> policy = grader::LoadPolicy(kPolicyDir);
    if (!policy.ok()) {
      setup_error_ = absl::StrCat("LoadPolicy: ", policy.status().ToString());
      return;
    }
    policy_ = std::make_unique<grader::Policy>(*std::move(policy));
    absl::StatusOr<grader::PreparedRuntime> rt =
        grader::PrepareRuntime(*policy_, "python", /*with_seccomp=*/true);
    if (!rt.ok()) {
      setup_error_ = absl::StrCat("PrepareRuntime: ", rt.status().ToString());
      return;
    }
    runtime_ = *rt;
  }

  void TearDown() override {
    zygote_.reset();
    full_.reset();
    no_ns_.reset();
    if (fx_.listen_fd >= 0) close(fx_.listen_fd);
    std::error_code ec;
    fs::remove(fx_.secret_path, ec);
    fs::remove(fx_.canary_path, ec);
    fs::remove_all(fx_.work_tmpdir, ec);
  }

  const std::string& setup_error() const { return setup_error_; }
  const HostFixtures& fixtures() const { return fx_; }
  const grader::PreparedRuntime& runtime() const { return runtime_; }

  // The runtime of `file` (by its extension), prepared once.
  absl::StatusOr<const grader::PreparedRuntime*> RuntimeFor(const std::string& file) {
    if (IsPython(file)) return &runtime_;
    absl::StatusOr<const grader::RuntimePolicy*> rt = policy_->RuntimeForFile(file);
    if (!rt.ok()) return rt.status();
    auto it = others_.find((*rt)->name);
    if (it == others_.end()) {
      absl::StatusOr<grader::PreparedRuntime> prepared =
          grader::PrepareRuntime(*policy_, (*rt)->name, /*with_seccomp=*/true);
      if (!prepared.ok()) return prepared.status();
      it = others_.emplace((*rt)->name, *std::move(prepared)).first;
    }
    return &it->second;
  }

  // What runs the programs of `mode`: its sandbox, or for kZygote a zygote runner (two
  // slots, for the concurrent pair) over the full sandbox.
  absl::StatusOr<sandbox::Runner*> RunnerFor(Mode mode) {
    if (mode != Mode::kZygote) {
      absl::StatusOr<sandbox::Sandbox*> sb = SandboxFor(mode);
      if (!sb.ok()) return sb.status();
      return *sb;
    }
    if (!zygote_) {
      absl::StatusOr<sandbox::Sandbox*> sb = SandboxFor(Mode::kFull);
      if (!sb.ok()) return sb.status();
      absl::StatusOr<std::unique_ptr<sandbox::ZygoteRunner>> z = sandbox::ZygoteRunner::Create(
          *sb, grader::MakeZygoteOptions(runtime_, /*slots=*/2));
      if (!z.ok()) return z.status();
      zygote_ = *std::move(z);
    }
    return zygote_.get();
  }
  sandbox::ZygoteRunner* zygote() { return zygote_.get(); }

  // The sandbox of `mode`, created on first use. Every wanted layer is also required:
  // the corpus's expectations assume them, so a host lacking one fails closed here.
  absl::StatusOr<sandbox::Sandbox*> SandboxFor(Mode mode) {
    std::unique_ptr<sandbox::Sandbox>& slot = mode == Mode::kNoNamespaces ? no_ns_ : full_;
    if (!slot) {
      sandbox::SandboxOptions opts;
      if (mode == Mode::kNoNamespaces) {
        opts.wanted = LayerSet::All().Minus(LayerSet::Namespaces());
      }
      opts.required = opts.wanted;
      absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> sb = sandbox::Sandbox::Create(opts);
      if (!sb.ok()) return sb.status();
      slot = *std::move(sb);
    }
    return slot.get();
  }

 private:
  static void WriteFileMode(const std::string& path, const std::string& content, mode_t mode) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    chmod(path.c_str(), mode);
  }

  static HostileEnvironment* instance_;
  HostFixtures fx_;
  std::string setup_error_;
  std::unique_ptr<grader::Policy> policy_;
  grader::PreparedRuntime runtime_;
  std::map<std::string, grader::PreparedRuntime> others_;  // by runtime name
  std::unique_ptr<sandbox::Sandbox> full_, no_ns_;
  std::unique_ptr<sandbox::ZygoteRunner> zygote_;
};

HostileEnvironment* HostileEnvironment::instance_ = nullptr;

const ::testing::Environment* const kEnv =
    ::testing::AddGlobalTestEnvironment(new HostileEnvironment);

// ---------------------------------------------------------------------------------------
// Host state that must be identical before and after every run.

struct HostSnapshot {
  std::string mountinfo;
  std::vector<std::string> tmp, shm, var_tmp;  // fathom-hostile* names
  std::vector<std::string> work_tmpdir;        // everything in our TMPDIR
  std::string canary, canary_stat;
  std::string interpreter_stat, interpreter_link_stat;

  static HostSnapshot Take(const HostFixtures& fx) {
    HostSnapshot s;
    s.mountinfo = ReadAll("/proc/self/mountinfo");
    s.tmp = Listing("/tmp", "fathom-hostile");
    s.shm = Listing("/dev/shm", "fathom-hostile");
    s.var_tmp = Listing("/var/tmp", "fathom-hostile");
    s.work_tmpdir = Listing(fx.work_tmpdir, "");
    s.canary = ReadAll(fx.canary_path);
    s.canary_stat = StatSummary(fx.canary_path, false);
    s.interpreter_stat = StatSummary(kInterpreter, true);
    s.interpreter_link_stat = StatSummary(kInterpreter, false);
    return s;
  }
};

std::vector<std::string> Without(std::vector<std::string> names, const std::string& dir,
                                 const std::vector<std::string>& leaves) {
  std::erase_if(names, [&](const std::string& n) {
    return std::find(leaves.begin(), leaves.end(), dir + "/" + n) != leaves.end();
  });
  return names;
}

std::string Describe(const RunResult& r) {
  auto head = [](const std::string& s) {
    std::string h = s.substr(0, 1500);
    return absl::CHexEscape(h) + (s.size() > h.size() ? "..." : "");
  };
  return absl::StrCat("status=", RunStatusName(r.status), " exit_code=", r.exit_code,
                      " signal=", r.signal, " syscall=", r.syscall, " (", r.syscall_name, ")",
                      " cpu_ms=", r.cpu_ms,
                      " wall_ms=", r.wall_ms, " max_rss_kb=", r.max_rss_kb,
                      " layers=[", absl::StrJoin(r.layers.Names(), ","), "]",
                      "\n  stdout (", r.stdout_data.size(), " bytes",
                      r.stdout_truncated ? ", truncated" : "", "): ", head(r.stdout_data),
                      "\n  stderr (", r.stderr_data.size(), " bytes",
                      r.stderr_truncated ? ", truncated" : "", "): ", head(r.stderr_data));
}

// ---------------------------------------------------------------------------------------
// The test.

struct Case {
  std::string file;
  Mode mode;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.file
      << (c.mode == Mode::kFull     ? " (full isolation)"
          : c.mode == Mode::kZygote ? " (zygote)"
                                    : " (namespaces off)");
}

class HostileTest : public ::testing::TestWithParam<Case> {
 protected:
  std::string Templated(std::string s) const {
    const HostFixtures& fx = HostileEnvironment::Get()->fixtures();
    s = absl::StrReplaceAll(s, extra_vars_);
    return absl::StrReplaceAll(s, {{"{{PORT}}", absl::StrCat(fx.port)},
                                   {"{{SECRET_PATH}}", fx.secret_path},
                                   {"{{SECRET_VALUE}}", fx.secret_value},
                                   {"{{CANARY_PATH}}", fx.canary_path},
                                   {"{{TEST_PID}}", absl::StrCat(getpid())}});
  }

  // The RunSpec of `p` (policy, header limits, templated text) with `marker` added to the
  // environment ("FATHOM_MARKER=<uuid>").
  // A compiled language's program is compiled first, in the full sandbox (a compile
  // error fails the test: the corpus is about what the binary does).
  RunSpec SpecFor(const Program& p, const std::string& marker) {
    HostileEnvironment* env = HostileEnvironment::Get();
    absl::StatusOr<const grader::PreparedRuntime*> runtime = env->RuntimeFor(p.file);
    EXPECT_TRUE(runtime.ok()) << p.file << ": " << runtime.status();
    if (!runtime.ok()) return RunSpec();
    sandbox::Limits limits = (*runtime)->policy->limits;
    for (absl::string_view kv : absl::StrSplit(p.One("limits"), ' ', absl::SkipEmpty())) {
      std::vector<absl::string_view> parts = absl::StrSplit(kv, absl::MaxSplits('=', 1));
      absl::Status s = sandbox::SetLimit(limits, parts[0], parts.size() > 1 ? parts[1] : "");
      EXPECT_TRUE(s.ok()) << p.file << ": limits: " << s;
    }
    RunSpec spec;
    if ((*runtime)->policy->has_compile) {
      absl::StatusOr<sandbox::Sandbox*> sb = env->SandboxFor(Mode::kFull);
      EXPECT_TRUE(sb.ok()) << sb.status();
      if (!sb.ok()) return RunSpec();
      absl::StatusOr<RunResult> built =
          (*sb)->Run(grader::MakeCompileSpec(**runtime, Templated(p.text)));
      EXPECT_TRUE(built.ok() && built->status == RunStatus::kOk)
          << p.file << ": does not compile: "
          << (built.ok() ? Describe(*built) : built.status().ToString());
      if (!built.ok()) return RunSpec();
      spec = grader::MakeArtefactRunSpec(**runtime, built->stdout_data, limits);
    } else {
      spec = grader::MakeRunSpec(**runtime, Templated(p.text), limits);
    }
    spec.env.push_back(marker);
    return spec;
  }

  // Test-specific template variables ({{VICTIM_TOKEN}}, {{VICTIM_MARKER}}).
  std::vector<std::pair<std::string, std::string>> extra_vars_;

  // Runs one program in `mode` and checks the host afterwards. Returns the result.
  RunResult RunAndCheckHost(const Program& p, Mode mode, sandbox::Runner* sb) {
    return RunAndCheckHost(std::vector<const Program*>{&p}, mode, sb)[0];
  }

  // Runs the programs at the same time (each in its own thread, started 500 ms apart, in
  // order) and checks the host once all are done.
  std::vector<RunResult> RunAndCheckHost(const std::vector<const Program*>& programs, Mode mode,
                                         sandbox::Runner* sb) {
    HostileEnvironment* env = HostileEnvironment::Get();
    const HostFixtures& fx = env->fixtures();
    std::vector<std::string> markers;
    std::vector<RunSpec> specs;
    for (size_t i = 0; i < programs.size(); ++i) {
      markers.push_back("FATHOM_MARKER=" + NewUuid());
      // Concurrent programs find the first one (the victim) by its marker.
      if (i == 0 && programs.size() > 1) {
        extra_vars_.push_back({"{{VICTIM_MARKER}}", markers[0].substr(strlen("FATHOM_MARKER="))});
      }
      specs.push_back(SpecFor(*programs[i], markers[i]));
    }
    std::vector<std::string> leaves;
    if (mode == Mode::kNoNamespaces) {
      for (const Program* p : programs) {
        const std::string declared = Templated(p->One("no-ns-leaves"));
        for (absl::string_view l : absl::StrSplit(declared, ' ', absl::SkipEmpty())) {
          leaves.emplace_back(l);
        }
      }
    }
    std::string files;
    for (const Program* p : programs) files += (files.empty() ? "" : "+") + p->file;
    const HostSnapshot before = HostSnapshot::Take(fx);
    std::vector<absl::StatusOr<RunResult>> results(programs.size(),
                                                   absl::UnknownError("not run"));
    {
      std::vector<std::thread> threads;
      for (size_t i = 0; i < programs.size(); ++i) {
        if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
        threads.emplace_back([&, i] { results[i] = sb->Run(specs[i]); });
      }
      for (auto& t : threads) t.join();
    }
    CheckHostAfter(files, markers, leaves, before, mode);
    std::vector<RunResult> out;
    for (size_t i = 0; i < programs.size(); ++i) {
      absl::StatusOr<RunResult>& r = results[i];
      EXPECT_TRUE(r.ok()) << programs[i]->file << ": Run() failed (sandbox_error): " << r.status();
      if (!r.ok()) {
        out.emplace_back();
        out.back().status = RunStatus::kSandboxError;
        continue;
      }
      EXPECT_EQ(r->layers, sb->active_layers()) << programs[i]->file;
      out.push_back(*std::move(r));
    }
    return out;
  }

  void CheckHostAfter(const std::string& file, const std::vector<std::string>& markers,
                      const std::vector<std::string>& leaves, const HostSnapshot& before,
                      Mode mode) {
    HostileEnvironment* env = HostileEnvironment::Get();
    const HostFixtures& fx = env->fixtures();
    absl::StatusOr<sandbox::Sandbox*> sb = env->SandboxFor(mode);
    ASSERT_TRUE(sb.ok());
    std::vector<pid_t> zygotes;
    if (env->zygote() != nullptr) zygotes = env->zygote()->zygote_pids();
    // A zygote's child carries the marker only in os.environ, not in /proc/PID/environ:
    // what must hold is that no zygote has a child left once Run() returned, other than
    // the spare it forks for the next run (named fathom-spare from birth).
    for (pid_t z : zygotes) {
      std::vector<std::string> left;
      for (absl::string_view c : absl::StrSplit(
               ReadAll(absl::StrCat("/proc/", z, "/task/", z, "/children")), ' ',
               absl::SkipWhitespace())) {
        const std::string comm(absl::StripAsciiWhitespace(
            ReadAll(absl::StrCat("/proc/", c, "/comm"))));
        if (comm != "fathom-spare") left.push_back(absl::StrCat(c, " (", comm, ")"));
      }
      EXPECT_EQ(absl::StrJoin(left, ", "), "")
          << file << ": the zygote " << z << " still has a child after Run()";
    }
    // No process of the run may exist once Run() has returned...
    for (const std::string& marker : markers) {
      std::vector<std::string> survivors = ProcessesWith(marker);
      EXPECT_TRUE(survivors.empty()) << file << ": processes of the run survived Run(): "
                                     << absl::StrJoin(survivors, ", ");
    }
    // Pre-started inits are children of ours that belong to no run yet.
    std::vector<pid_t> not_of_the_run = zygotes;
    for (pid_t p : (*sb)->PrestartedInitPids()) not_of_the_run.push_back(p);
    EXPECT_EQ(OurChildren(not_of_the_run), "")
        << file << ": Run() left children (zombies?) behind";
    // ...nor appear a little later (a daemon that slipped out of the tree).
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    for (const std::string& marker : markers) {
      std::vector<std::string> survivors = ProcessesWith(marker);
      EXPECT_TRUE(survivors.empty()) << file << ": processes of the run alive 200 ms later: "
                                     << absl::StrJoin(survivors, ", ");
    }

    // No per-run cgroup left in any hierarchy.
    const sandbox::CgroupLayout& cg = (*sb)->probe().cgroups;
    for (const std::string* parent : {&cg.v2_parent, &cg.v1_memory_parent, &cg.v1_pids_parent,
                                      &cg.v1_cpuacct_parent}) {
      if (parent->empty()) continue;
      EXPECT_EQ(Listing(*parent, "run-"), std::vector<std::string>())
          << file << ": cgroups left under " << *parent;
    }
    const HostSnapshot after = HostSnapshot::Take(fx);
    EXPECT_EQ(before.mountinfo, after.mountinfo) << file << ": host mounts changed";
    EXPECT_EQ(Without(before.tmp, "/tmp", leaves), Without(after.tmp, "/tmp", leaves))
        << file << ": /tmp changed";
    EXPECT_EQ(Without(before.shm, "/dev/shm", leaves), Without(after.shm, "/dev/shm", leaves))
        << file << ": /dev/shm changed";
    EXPECT_EQ(Without(before.var_tmp, "/var/tmp", leaves), Without(after.var_tmp, "/var/tmp", leaves))
        << file << ": /var/tmp changed";
    EXPECT_EQ(after.work_tmpdir, std::vector<std::string>())
        << file << ": a work dir was left in " << fx.work_tmpdir;
    EXPECT_EQ(before.canary, after.canary) << file << ": the host canary's content changed";
    EXPECT_EQ(after.canary, fx.canary_content) << file << ": the host canary changed";
    EXPECT_EQ(before.canary_stat, after.canary_stat) << file << ": the host canary's inode changed";
    EXPECT_EQ(before.interpreter_stat, after.interpreter_stat)
        << file << ": the interpreter changed";
    EXPECT_EQ(before.interpreter_link_stat, after.interpreter_link_stat)
        << file << ": /usr/bin/python3 changed";
    // The loopback server saw nobody.
    int conn = accept4(fx.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    EXPECT_LT(conn, 0) << file << ": a connection reached the host's loopback server";
    if (conn >= 0) close(conn);
  }

  // Checks `r` against the program's header for `mode`.
  void CheckExpectations(const Program& p, Mode mode, const RunResult& r) {
    const std::string what = absl::StrCat(p.file, "\n  ", Describe(r));
    // FATHOM_HOSTILE_VERBOSE=1 prints every result, to review what passing programs did.
    if (const char* v = getenv("FATHOM_HOSTILE_VERBOSE"); v != nullptr && *v == '1') {
      std::cout << "[ RESULT   ] " << what << "\n";
    }
    if (mode == Mode::kZygote) mode = Mode::kFull;  // the same promises
    std::string expect = p.One(mode == Mode::kFull ? "expect" : "expect-no-ns");
    int want_signal = -1;
    bool no_syscall_entered = false;
    if (std::string alt = p.One("host-without-ia32"); !alt.empty() && !HostHasIa32()) {
      no_syscall_entered = true;
      // "signaled 11": the CPU faults on int 0x80 before any syscall is entered.
      std::vector<std::string> f = absl::StrSplit(alt, ' ', absl::SkipEmpty());
      expect = f[0];
      if (f.size() > 1) {
        EXPECT_TRUE(absl::SimpleAtoi(f[1], &want_signal));
      }
    }
    EXPECT_EQ(RunStatusName(r.status), expect) << what;

    for (const Directive& d : p.directives) {
      Mode m = mode;
      bool both = true;
      const std::string key = BaseKey(d.key, &m, &both);
      if (!both && m != mode) continue;
      const std::string value = Templated(d.value);
      int64_t n = 0;
      if (key == "exit-code") {
        ASSERT_TRUE(absl::SimpleAtoi(value, &n)) << d.key;
        EXPECT_EQ(r.exit_code, n) << what;
      } else if (key == "signal") {
        ASSERT_TRUE(absl::SimpleAtoi(value, &n)) << d.key;
        EXPECT_EQ(r.signal, n) << what;
      } else if (key == "syscall") {
        // "NUMBER NAME", or "-1" (unknown): both must be exactly what the run reports. A
        // host where the CPU faulted first (host-without-ia32) entered no syscall: -1.
        std::vector<std::string> f =
            absl::StrSplit(no_syscall_entered ? "-1" : value, ' ', absl::SkipEmpty());
        ASSERT_TRUE(!f.empty() && absl::SimpleAtoi(f[0], &n)) << d.key;
        EXPECT_EQ(r.syscall, n) << what;
        EXPECT_EQ(r.syscall_name, f.size() > 1 ? f[1] : "") << what;
      } else if (key == "stdout-contains") {
        EXPECT_TRUE(absl::StrContains(r.stdout_data, value)) << "missing '" << value << "': " << what;
      } else if (key == "stdout-not-contains") {
        EXPECT_FALSE(absl::StrContains(r.stdout_data, value)) << "unwanted '" << value << "': " << what;
      } else if (key == "stderr-contains") {
        EXPECT_TRUE(absl::StrContains(r.stderr_data, value)) << "missing '" << value << "': " << what;
      } else if (key == "stderr-not-contains") {
        EXPECT_FALSE(absl::StrContains(r.stderr_data, value)) << "unwanted '" << value << "': " << what;
      } else if (key == "stdout-size") {
        ASSERT_TRUE(absl::SimpleAtoi(value, &n)) << d.key;
        EXPECT_EQ(static_cast<int64_t>(r.stdout_data.size()), n) << what;
      } else if (key == "stderr-size") {
        ASSERT_TRUE(absl::SimpleAtoi(value, &n)) << d.key;
        EXPECT_EQ(static_cast<int64_t>(r.stderr_data.size()), n) << what;
      } else if (key == "stdout-truncated") {
        EXPECT_EQ(r.stdout_truncated, value == "true") << what;
      } else if (key == "stderr-truncated") {
        EXPECT_EQ(r.stderr_truncated, value == "true") << what;
      } else if (key == "stdout-crc32") {
        const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(r.stdout_data.data()),
                                static_cast<uInt>(r.stdout_data.size()));
        char hex[16];
        snprintf(hex, sizeof(hex), "%08lx", crc);
        EXPECT_EQ(std::string(hex), value) << what;
      } else if (key == "stdout-pattern") {
        ASSERT_EQ(value, "mod256") << d.key;
        size_t bad = r.stdout_data.size();
        for (size_t i = 0; i < r.stdout_data.size(); ++i) {
          if (static_cast<unsigned char>(r.stdout_data[i]) != (i % 256)) {
            bad = i;
            break;
          }
        }
        EXPECT_EQ(bad, r.stdout_data.size()) << "stdout differs from i % 256 at byte " << bad
                                             << ": " << what;
      }
    }
    if (want_signal >= 0) {
      EXPECT_EQ(r.signal, want_signal) << what;
    }
  }
};

// "# no-ns-needs: landlock": the namespaces-off promise rests on Landlock
// (sandbox/landlock.h); on a kernel without it the case is skipped with this reason.
std::string NoLandlockReason(const Program& p) {
  if (p.One("no-ns-needs") != "landlock" || sandbox::LandlockAbi() > 0) return "";
  return absl::StrCat(p.file, ": this kernel has no Landlock, which the namespaces-off "
                      "promise needs (tests/hostile/README.md, no-ns)");
}

TEST_P(HostileTest, BehavesAsPromised) {
  HostileEnvironment* env = HostileEnvironment::Get();
  ASSERT_NE(env, nullptr);
  ASSERT_EQ(env->setup_error(), "");
  const Case& c = GetParam();
  absl::StatusOr<Program> program = LoadProgram(c.file);
  ASSERT_TRUE(program.ok()) << program.status();
  if (std::string why = NoLandlockReason(*program); c.mode == Mode::kNoNamespaces && !why.empty()) {
    GTEST_SKIP() << why;
  }
  absl::StatusOr<sandbox::Runner*> sb = env->RunnerFor(c.mode);
  ASSERT_TRUE(sb.ok()) << sb.status();
  if (c.mode != Mode::kNoNamespaces) {
    EXPECT_TRUE((*sb)->active_layers().ContainsAll(LayerSet::All()));
  } else {
    EXPECT_EQ((*sb)->active_layers(), LayerSet::All().Minus(LayerSet::Namespaces()));
  }

  std::vector<std::string> leaves;
  auto collect_leaves = [&](const Program& p) {
    if (c.mode != Mode::kNoNamespaces) return;
    const std::string declared = Templated(p.One("no-ns-leaves"));
    for (absl::string_view l : absl::StrSplit(declared, ' ', absl::SkipEmpty())) {
      leaves.emplace_back(l);
    }
  };
  // Files a run is known to leave on the host without a mount namespace are removed
  // whatever the outcome (README: "no-ns: shared /tmp").
  struct RemoveLeaves {
    std::vector<std::string>* paths;
    ~RemoveLeaves() {
      for (const std::string& p : *paths) {
        std::error_code ec;
        fs::remove(p, ec);
      }
    }
  } remove_leaves{&leaves};

  if (std::string first = program->One("run-first"); !first.empty()) {
    absl::StatusOr<Program> writer = LoadProgram(first);
    ASSERT_TRUE(writer.ok()) << writer.status();
    collect_leaves(*writer);
    RunResult wr = RunAndCheckHost(*writer, c.mode, *sb);
    CheckExpectations(*writer, c.mode, wr);
  }
  collect_leaves(*program);
  RunResult r = RunAndCheckHost(*program, c.mode, *sb);
  CheckExpectations(*program, c.mode, r);
  RecordProperty("run_status", std::string(RunStatusName(r.status)));
}

// Two runs at the same time as the same outside uid: an attacker looks for a victim run
// and tries every channel into it (tests/hostile/concurrent/, README "Concurrent runs").
class ConcurrentRunsTest : public HostileTest {};

TEST_P(ConcurrentRunsTest, AttackerVersusVictim) {
  HostileEnvironment* env = HostileEnvironment::Get();
  ASSERT_NE(env, nullptr);
  ASSERT_EQ(env->setup_error(), "");
  const Mode mode = GetParam().mode;
  absl::StatusOr<Program> victim = LoadProgram("concurrent/victim.py");
  absl::StatusOr<Program> attacker = LoadProgram("concurrent/attacker.py");
  ASSERT_TRUE(victim.ok()) << victim.status();
  ASSERT_TRUE(attacker.ok()) << attacker.status();
  if (std::string why = NoLandlockReason(*attacker); mode == Mode::kNoNamespaces && !why.empty()) {
    GTEST_SKIP() << why;
  }
  absl::StatusOr<sandbox::Runner*> sb = env->RunnerFor(mode);
  ASSERT_TRUE(sb.ok()) << sb.status();
  extra_vars_.push_back({"{{VICTIM_TOKEN}}", NewUuid()});
  std::vector<RunResult> r = RunAndCheckHost({&*victim, &*attacker}, mode, *sb);
  ASSERT_EQ(r.size(), 2u);
  CheckExpectations(*victim, mode, r[0]);
  CheckExpectations(*attacker, mode, r[1]);
}

INSTANTIATE_TEST_SUITE_P(Modes, ConcurrentRunsTest,
                         ::testing::Values(Case{"concurrent", Mode::kFull},
                                           Case{"concurrent", Mode::kNoNamespaces},
                                           Case{"concurrent", Mode::kZygote}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.mode == Mode::kFull ? "FullIsolation"
                                              : info.param.mode == Mode::kZygote
                                                  ? "Zygote"
                                                  : "NoNamespaces");
                         });

std::vector<Case> Cases(Mode mode) {
  std::vector<Case> cases;
  for (const std::string& f : CorpusFiles()) cases.push_back({f, mode});
  return cases;
}

// The other languages' sections: full isolation only.
std::vector<Case> OtherLanguageCases() {
  std::vector<Case> cases;
  for (const std::string& f : CorpusFiles(/*python=*/false)) cases.push_back({f, Mode::kFull});
  return cases;
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name = fs::path(info.param.file).stem().string();
  for (char& ch : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(FullIsolation, HostileTest, ::testing::ValuesIn(Cases(Mode::kFull)),
                         CaseName);
INSTANTIATE_TEST_SUITE_P(NoNamespaces, HostileTest,
                         ::testing::ValuesIn(Cases(Mode::kNoNamespaces)), CaseName);
INSTANTIATE_TEST_SUITE_P(Zygote, HostileTest, ::testing::ValuesIn(Cases(Mode::kZygote)),
                         CaseName);
INSTANTIATE_TEST_SUITE_P(OtherLanguages, HostileTest,
                         ::testing::ValuesIn(OtherLanguageCases()), [](const auto& info) {
                           // "native/fork_bomb.c" -> "native_fork_bomb_c"
                           std::string name = info.param.file;
                           for (char& ch : name) {
                             if (!absl::ascii_isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

// The corpus itself: enough programs, every header well-formed.
TEST(HostileCorpus, EveryProgramHasAValidHeader) {
  std::vector<std::string> files = CorpusFiles();
  EXPECT_GE(files.size(), 45u);
  for (const std::string& f : files) {
    absl::StatusOr<Program> p = LoadProgram(f);
    ASSERT_TRUE(p.ok()) << p.status();
    for (const char* key : {"expect", "expect-no-ns"}) {
      sandbox::RunStatus st;
      EXPECT_TRUE(sandbox::ParseRunStatus(p->One(key), &st))
          << f << ": '" << key << ": " << p->One(key) << "' is not a status";
    }
    if (std::string first = p->One("run-first"); !first.empty()) {
      EXPECT_TRUE(fs::exists(kCorpusDir + "/" + first)) << f << ": run-first " << first;
    }
  }
  // The other languages' sections: C/C++ (fork bomb, execve of /bin/sh, raw syscalls to
  // the kill list, /proc, network), Bash, and each other runtime's.
  std::vector<std::string> others = CorpusFiles(/*python=*/false);
  EXPECT_GE(others.size(), 57u);
  for (const std::string& f : others) {
    absl::StatusOr<Program> p = LoadProgram(f);
    ASSERT_TRUE(p.ok()) << p.status();
    sandbox::RunStatus st;
    EXPECT_TRUE(sandbox::ParseRunStatus(p->One("expect"), &st)) << f;
  }
}

}  // namespace
}  // namespace fathom
