// Languages: how a program in one language becomes a sandboxed run, through an optional
// compile step. Every runtime is a policy file (policies/runtimes/<name>.yaml,
// docs/languages.md); this is the code that turns one into runs:
//   PythonLanguage  Python: no compile step, the assert-mode harness decides verdicts;
//   PolicyLanguage  everything else (C, C++, Bash, ...): an optional compile step, then
//                   the policy's run command; exit status decides verdicts.
//
// The pipeline asks a Language four things: its toolchain's version (ProbeVersion), how
// to build a program (Compile, only when it has a compile step), how to run the program
// or what was built from it (RunSpecFor), and how a run becomes a verdict (rule()).
//
// The artefact hand-off. A compile step runs in the sandbox like any program (its own
// seccomp profile, limits, binds), in the sandbox's fresh tmpfs work dir, where the
// compiler writes the artefact as a file: g++'s linker needs a seekable output file and
// a temp dir, so "-o /dev/stdout" cannot work. The compile shell (policy.h's
// kCompileShell) then streams that file to stdout when the compiler succeeded, and its
// diagnostics go to stderr. So:
//   - no host directory is ever writable from inside the sandbox (no rw binds, nothing
//     a hostile source or a compiler plugin could plant for later runs);
//   - the artefact's size is capped by the compile limits' max_output_bytes, and the
//     compiler's temp files by their tmpfs_bytes; both are charged to the compile run;
//   - the artefact is bytes in memory (an Artefact), cached by the CompileCache
//     (compile_cache.h) and written into each run's own work dir with mode 0755. The run
//     execs it at a fixed path (/tmp/<artefact>), so one run filter, compiled once per
//     runtime, allows exactly that exec and nothing else. A run cannot alter the cached
//     bytes: it gets its own copy in its own tmpfs.
// The cost is one shell and one cat per compile (about 2 ms next to ~300 ms of cc1plus)
// and one copy of the binary per run (a few hundred KiB).
//
// Thread safety: a Language is immutable once built and may be used by every thread.
#ifndef FATHOM_GRADER_PIPELINE_LANGUAGE_H_
#define FATHOM_GRADER_PIPELINE_LANGUAGE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grader/policy/policy.h"
#include "sandbox/run_spec.h"
#include "sandbox/sandbox.h"

namespace fathom::grader {

// What a compile step built: the artefact's bytes. Shared read-only by every run of it.
struct Artefact {
  std::string bytes;
};
using ArtefactHandle = std::shared_ptr<const Artefact>;

// A language's compile step for one program: a run whose stdout is the artefact.
struct CompileStep {
  sandbox::RunSpec spec;  // with the compile step's own limits
  // What decides the artefact besides the runtime's fingerprint and the limits: the
  // source (the compile cache's key; the precompiled header, 36 MiB, is keyed by the
  // fingerprint instead, through Identity()).
  std::string source;
};

class Language {
 public:
  virtual ~Language() = default;

  virtual absl::string_view name() const = 0;
  // Everything about the toolchain that decides a verdict besides its version, as
  // "key=value" lines: part of the runtime's fingerprint (runtime_context.h).
  virtual std::string Identity() const = 0;
  // A run that prints the toolchain's version on stdout and nothing else, with `limits`.
  virtual sandbox::RunSpec VersionSpec(const sandbox::Limits& limits) const = 0;
  // The compile step of `source`; nullopt for an interpreted language (the default).
  virtual std::optional<CompileStep> Compile(std::string source) const;
  // The run of a program: `source` itself when there is no compile step (`artefact`
  // null), else the artefact Compile built from it (`source` is then unused).
  virtual sandbox::RunSpec RunSpecFor(std::string source, const Artefact* artefact,
                                      const sandbox::Limits& limits) const = 0;
  // How a run of this language becomes a verdict (verdict.h).
  virtual VerdictRule rule() const { return VerdictRule::kExitStatus; }
  // The streams an exit-0 run must leave empty to pass (the policy's
  // `verdict.require_silence`); none by default.
  virtual RequireSilence silence() const { return {}; }
};

// Python, exactly as the policy's runtime describes it: MakeRunSpec, no compile step,
// the harness's record decides.
class PythonLanguage final : public Language {
 public:
  // `runtime`'s Policy must outlive the language.
  explicit PythonLanguage(PreparedRuntime runtime) : runtime_(std::move(runtime)) {}

  absl::string_view name() const override { return runtime_.policy->name; }
  std::string Identity() const override;
  sandbox::RunSpec VersionSpec(const sandbox::Limits& limits) const override;
  sandbox::RunSpec RunSpecFor(std::string source, const Artefact* artefact,
                              const sandbox::Limits& limits) const override;
  VerdictRule rule() const override { return VerdictRule::kHarness; }

 private:
  const PreparedRuntime runtime_;
};

// Any other runtime, as its policy file says: compile.command (when there is a compile
// step) through the compile shell, then `command` on the source or the artefact;
// version_command for the version; the policy's verdict rule.
class PolicyLanguage final : public Language {
 public:
  // `runtime`'s Policy must outlive the language. `pch`: the runtime's precompiled header
  // (ProbeRuntime builds it), or null to compile without one. `pch_dir`: a host
  // directory holding it as kPchHeader(.gch) (PublishPrecompiledHeader), bound read-only
  // into each compile; empty: the header is copied into each compile's work dir instead.
  explicit PolicyLanguage(PreparedRuntime runtime, ArtefactHandle pch = nullptr,
                          std::string pch_dir = "")
      : runtime_(std::move(runtime)), pch_(std::move(pch)), pch_dir_(std::move(pch_dir)) {}

  absl::string_view name() const override { return runtime_.policy->name; }
  std::string Identity() const override;
  sandbox::RunSpec VersionSpec(const sandbox::Limits& limits) const override;
  std::optional<CompileStep> Compile(std::string source) const override;
  sandbox::RunSpec RunSpecFor(std::string source, const Artefact* artefact,
                              const sandbox::Limits& limits) const override;
  VerdictRule rule() const override { return runtime_.policy->verdict; }
  RequireSilence silence() const override { return runtime_.policy->require_silence; }
  bool has_pch() const { return pch_ != nullptr; }

 private:
  const PreparedRuntime runtime_;
  const ArtefactHandle pch_;
  const std::string pch_dir_;
};

// Writes `pch` (for `compile`) once into a host directory every sandbox user can read
// and only we can write, /var/tmp/fathom-pch-<euid>/<digest>/ (0755 directories, 0444
// files, checked to be ours and not writable by others), so that compiles bind it
// read-only instead of each copying its 36 MiB into its work dir (which cost about
// 175 ms of system CPU per compile). The directory's path, or "" when it cannot be
// used (then the header is copied). Thread-compatible: called once per runtime.
std::string PublishPrecompiledHeader(const CompilePolicy& compile, const Artefact& pch);

// Whether `source` #includes every one of `headers` itself ("#include <vector>", with
// or without spaces): then force-including them first (the precompiled header) changes
// no name the program sees, only the order standard headers are read in.
bool IncludesAll(absl::string_view source, const std::vector<std::string>& headers);

// The Language of a prepared runtime: PythonLanguage for a `verdict: harness` runtime,
// PolicyLanguage (with `pch`) for every other.
std::shared_ptr<const Language> MakeLanguage(const PreparedRuntime& runtime,
                                             ArtefactHandle pch = nullptr,
                                             std::string pch_dir = "");

// Asks `language`'s toolchain for its version in the sandbox itself, with `limits` (at
// least 5 s of CPU). Internal "the toolchain does not start in the sandbox: ..." when
// that run fails. Thread-safe when `runner` is.
absl::StatusOr<std::string> ProbeVersion(sandbox::Runner& runner, const Language& language,
                                         sandbox::Limits limits);

// What compiling one program gave: an artefact, or the toolchain's refusal.
struct CompileOutcome {
  ArtefactHandle artefact;  // set when it built
  // When it did not build: how the compile run ended ("nonzero_exit 1", "cpu_timeout")
  // and the end of its stderr, UTF-8, at most kStderrTailBytes.
  std::string error;
  std::string diagnostics;
  int64_t cpu_ms = 0;   // the compile run's (0 when it came from a cache)
  int64_t wall_ms = 0;
  bool cache_hit = false;  // set by CompileCache
  bool ok() const { return artefact != nullptr; }
};

// Runs `step` once through `runner` (with `cancel`, when given) and keeps its stdout as
// the artefact. A runner error (a cancelled run included) is an error status: the
// sandbox's failure, never the program's; so is a compile that ended on its wall
// backstop (Unavailable: compilers do not sleep, a starved or stopped host does).
absl::StatusOr<CompileOutcome> CompileProgram(sandbox::Runner& runner, CompileStep step,
                                              std::shared_ptr<sandbox::CancelToken> cancel);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_LANGUAGE_H_
