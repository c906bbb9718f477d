// Policies: language runtimes, default limits, isolation switches and seccomp profiles,
// loaded from YAML (policies/ in the repo) and validated at load.
//
// The only place (with the benchmark loader) that uses yaml-cpp. Thread safety: a loaded
// Policy is immutable and may be shared.
#ifndef FATHOM_GRADER_POLICY_POLICY_H_
#define FATHOM_GRADER_POLICY_POLICY_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sandbox/layers.h"
#include "sandbox/run_spec.h"
#include "sandbox/seccomp.h"
#include "sandbox/zygote.h"

namespace fathom::grader {

// A compiled runtime's compile step (runtimes/<name>.yaml `compile:`). It runs in the
// sandbox like any program, with its own profile and limits; see language.h for how
// the artefact gets out.
struct CompilePolicy {
  // argv, placeholders resolved at load ("{file}": the source's file name). argv[0] is
  // an absolute path (the compiler driver, e.g. /usr/bin/g++).
  std::vector<std::string> command;
  std::string artefact;                // the file the command writes in the work dir
  std::string seccomp_profile;         // a profile in policies/seccomp/ (exec allowed)
  sandbox::Limits limits;              // the sandbox defaults overlaid by `limits:`
  std::vector<std::string> ro_binds;   // default: the runtime's
  std::vector<std::string> env_allow;  // default: the runtime's env
  std::map<std::string, std::string> env_set;
  // `pch:` (optional): a precompiled header of `pch_headers`, built once per toolchain by
  // pch_command (placeholders: {file} = kPchHeader, {artefact} = kPchHeader + ".gch")
  // in the sandbox, and used (pch_flags inserted after command[0]) only for a source
  // that #includes every one of those headers itself, so that force-including them
  // first changes nothing the program sees (language.h).
  std::vector<std::string> pch_headers;
  std::vector<std::string> pch_command;
  std::vector<std::string> pch_flags;
};

// The precompiled header's file name in a compile step's work dir.
inline constexpr char kPchHeader[] = "fathom_pch.h";

// How a finished run becomes a verdict (grader/pipeline/verdict.h).
enum class VerdictRule {
  kExitStatus,  // HumanEval-X / MultiPL-E: exit 0 passes
  kHarness,     // Python's assert-mode harness record (program.h); the default
};

// `verdict: {rule: exit_status, require_silence: [stderr]}`: the output streams an exit-0
// run must leave empty to pass (verdict.h, DecideExitVerdict). MultiPL-E fails a Racket or
// Scala run that wrote anything to stderr (rackunit reports a failed check there and
// exits 0); CodeGeeX fails a HumanEval-X JavaScript run that printed anything at all.
struct RequireSilence {
  bool on_stdout = false;
  bool on_stderr = false;

  // Both when either asks: a HumanEval-X row's rule on top of its runtime's.
  RequireSilence Or(RequireSilence other) const {
    return {on_stdout || other.on_stdout, on_stderr || other.on_stderr};
  }
  bool operator==(const RequireSilence&) const = default;
};

// One language runtime, from policies/runtimes/<name>.yaml. docs/languages.md explains
// every field and how to add a runtime.
struct RuntimePolicy {
  std::string name;                    // "python", "cpp"
  // The toolchain's main binary (absolute): python3, or the compiler for a compiled
  // runtime. `fathom doctor` and `fathom runtimes` call a runtime installed when this
  // and every absolute argv[0] it uses exist.
  std::string interpreter;
  std::vector<std::string> flags;      // e.g. ["-I", "-B"]
  std::string file_name;               // program file in the work dir, e.g. "main.py"
  // The run's argv with placeholders resolved ("{file}" -> file_name, "{artefact}" ->
  // /tmp/<compile.artefact>). `command:` in the file, else [interpreter, flags...,
  // file_name]. argv[0] is the only program the run profile lets the sandbox exec.
  std::vector<std::string> command;
  bool has_compile = false;            // `compile:` present
  CompilePolicy compile;
  // Prints the toolchain's version on stdout (run in the sandbox, under the compile
  // profile when there is one). Empty only for a kHarness runtime (Python asks itself).
  std::vector<std::string> version_command;
  // `verdict:`; kHarness when absent (every runtime was Python before there were
  // others), so other runtimes say `verdict: exit_status`.
  VerdictRule verdict = VerdictRule::kHarness;
  // `verdict.require_silence` (only with rule exit_status); none by default.
  RequireSilence require_silence;
  std::vector<std::string> aliases;     // other names for --language ("c++")
  std::vector<std::string> extensions;  // `fathom run` picks the runtime by these (".cpp")
  std::vector<std::string> packages;    // Debian packages that install the toolchain
  // `fathom runtimes --self-test`: "pass" and "fail" (graded by the verdict rule) and
  // sandbox status names (ok, nonzero_exit, signaled, cpu_timeout, wall_timeout,
  // memory_limit, output_limit, syscall_violation) -> program source, in file order.
  std::vector<std::pair<std::string, std::string>> self_test;
  std::vector<std::string> env_allow;  // names copied from the grader's environment
  std::map<std::string, std::string> env_set;  // fixed variables (PATH, HOME, LANG...)
  std::string seccomp_profile;         // name of a profile in policies/seccomp/
  std::vector<std::string> ro_binds;   // host paths bound read-only into the sandbox
  sandbox::Limits limits;              // the sandbox defaults overlaid by the file
  // `zygote_preload:` present: programs run in children of a warm Python zygote
  // (sandbox/zygote.h) that imported these modules once. Python runtimes only.
  bool zygote = false;
  std::vector<std::string> zygote_preload;
  std::string source;                  // file it was loaded from
};

struct Policy {
  std::string dir;                      // directory it was loaded from
  sandbox::Limits default_limits;       // policies/sandbox.yaml `limits:`
  sandbox::LayerSet wanted_layers;      // policies/sandbox.yaml `isolation:`
  std::map<std::string, RuntimePolicy> runtimes;
  std::map<std::string, sandbox::SeccompProfile> seccomp_profiles;
  // 16 hex digits: FNV-1a 64 over each loaded file's relative path, size and bytes, in
  // sorted path order. Changes whenever any loaded file does; a cache key, not a MAC.
  std::string hash;

  // The runtime called `name` (or one of its aliases), or NotFound listing the known
  // ones.
  absl::StatusOr<const RuntimePolicy*> Runtime(const std::string& name) const;
  // The runtime whose `extensions` has the extension of `path` (".cpp"), or NotFound
  // naming the extension and the known ones.
  absl::StatusOr<const RuntimePolicy*> RuntimeForFile(const std::string& path) const;
};

// Loads DIR/sandbox.yaml (required), DIR/runtimes/*.yaml and DIR/seccomp/*.yaml (other
// files are ignored). Unknown keys, duplicate keys, wrong types, bad values and dangling
// references (a runtime naming a missing profile, two files defining one name) are
// InvalidArgument errors of the form "FILE:LINE:COLUMN: KEY: problem" (1-based; FILE is
// DIR joined with the relative path); YAML syntax errors have the same form. Every
// seccomp profile is compiled once at load, so a misspelt syscall is caught here. A
// missing DIR is NotFound. Never throws. Thread-safe (reads files only).
absl::StatusOr<Policy> LoadPolicy(const std::string& dir);

// The policy directory to use when none is given: $FATHOM_POLICIES when set and not empty
// (not checked), then <dir of the executable>/../policies, then <dir of the
// executable>/policies (the first that is a directory), then /usr/share/fathom/policies.
// Reads the environment: not safe against concurrent setenv.
std::string DefaultPolicyDir();

// A runtime ready to run: its policy plus its seccomp filter, compiled once.
struct PreparedRuntime {
  const RuntimePolicy* policy = nullptr;  // owned by the Policy, which must outlive this
  std::shared_ptr<const sandbox::SeccompFilter> filter;  // null when seccomp is off
  // For a runtime with a zygote: the same profile with every exec denied, split in the
  // part the zygote installs once and the part each child adds (sandbox::ZygoteSeccomp;
  // zygote_filter_bpf is empty when the profile cannot be split).
  std::shared_ptr<const sandbox::SeccompFilter> zygote_child_filter;
  std::string zygote_filter_bpf;
  // The filter lets a program create a SysV IPC object or a POSIX message queue (true
  // without a filter): its zygote's children then each need their own IPC namespace.
  bool program_can_create_ipc = true;
  // A compiled runtime's compile step's filter (compile.seccomp_profile), compiled for
  // the compile wrapper kCompileShell; null when seccomp is off or there is no step.
  std::shared_ptr<const sandbox::SeccompFilter> compile_filter;
};

// The shell that runs a compile step's command and then streams its artefact to
// stdout (language.h says why). Every compile profile lets it exec the compiler.
inline constexpr char kCompileShell[] = "/bin/sh";

// Looks up `name` and compiles its seccomp profile (unless `with_seccomp` is false).
absl::StatusOr<PreparedRuntime> PrepareRuntime(const Policy& policy, const std::string& name,
                                               bool with_seccomp);

// The zygote of `runtime` (policy `zygote_preload:`): its command, environment, binds,
// filters and preloads, with `slots` zygotes. REQUIRES: runtime.policy->zygote.
sandbox::ZygoteOptions MakeZygoteOptions(const PreparedRuntime& runtime, int slots);

// Builds the RunSpec that runs `program` (the source text) with `runtime`: argv from the
// interpreter, flags and file name; env from env_set plus the allowed names present in
// the caller's environment, sorted, "KEY=value"; the program as the one file; the
// runtime's ro_binds and filter; limits as given. REQUIRES: runtime.policy is not null.
// Reads the environment: not safe against concurrent setenv.
sandbox::RunSpec MakeRunSpec(const PreparedRuntime& runtime, std::string program,
                             const sandbox::Limits& limits);

// The compile step of `source` with `runtime` (REQUIRES: policy->has_compile): the
// source as the runtime's file_name, compile.command run by kCompileShell, which
// sends the command's stdout to stderr and, when it succeeds, the artefact's bytes to
// stdout. compile's limits, binds, env and filter.
sandbox::RunSpec MakeCompileSpec(const PreparedRuntime& runtime, std::string source);

// The compile step that builds `runtime`'s precompiled header (REQUIRES:
// !policy->compile.pch_command.empty()): the header (PchHeaderText) as kPchHeader, the
// artefact kPchHeader + ".gch", otherwise as MakeCompileSpec.
sandbox::RunSpec MakePchSpec(const PreparedRuntime& runtime);
// "#include <h>\n" for every pch header.
std::string PchHeaderText(const CompilePolicy& compile);

// The run of a built artefact: the runtime's command, with the artefact (mode 0755)
// as the work dir's only file. REQUIRES: policy->has_compile.
sandbox::RunSpec MakeArtefactRunSpec(const PreparedRuntime& runtime, std::string artefact,
                                     const sandbox::Limits& limits);

// The run that prints the toolchain's version (version_command), under the compile
// filter when the runtime has a compile step. REQUIRES: !version_command.empty().
sandbox::RunSpec MakeVersionSpec(const PreparedRuntime& runtime, const sandbox::Limits& limits);

// FailedPrecondition when `runtime` cannot run under `layers`: a compiled runtime's
// artefact runs from the sandbox's own /tmp, which needs the mount namespace.
absl::Status CheckRuntimeLayers(const RuntimePolicy& runtime, const sandbox::LayerSet& layers);

// The absolute paths `runtime` needs on this host (interpreter, compiler, every
// absolute argv[0] and version_command[0]) that do not exist or are not executable;
// empty when it is installed.
std::vector<std::string> MissingToolchainPaths(const RuntimePolicy& runtime);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_POLICY_POLICY_H_
