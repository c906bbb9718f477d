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

// One language runtime, from policies/runtimes/<name>.yaml.
struct RuntimePolicy {
  std::string name;                    // "python"
  std::string interpreter;             // absolute path, e.g. /usr/bin/python3
  std::vector<std::string> flags;      // e.g. ["-I", "-B"]
  std::string file_name;               // program file in the work dir, e.g. "main.py"
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

  // The runtime called `name`, or NotFound listing the known ones.
  absl::StatusOr<const RuntimePolicy*> Runtime(const std::string& name) const;
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
};

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

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_POLICY_POLICY_H_
