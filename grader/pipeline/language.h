// Languages: how a program in one language becomes a sandboxed run, through an optional
// compile step. Python (interpreted, no compile step) is the first implementation; a
// compiled runtime (C++, Java) is one more class, without changes to the grading plan.
//
// The pipeline asks a Language three things: its toolchain's version (ProbeVersion), how
// to build a program (Compile, only when it has a compile step) and how to run the
// program or what was built from it (RunSpecFor).
//
// The artefact hand-off: the compile step runs in the sandbox like any program, reads the
// source from its work dir and writes the artefact's bytes on stdout (so the compile
// limits' max_output_bytes caps its size) and its diagnostics on stderr. CompileProgram
// saves those bytes in a fresh host directory (an Artefact); the run binds that directory
// read-only at the same path (RunSpec::ro_binds), so nothing in the sandbox changes.
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

// What a compile step built: `dir`/`file_name` on the host, removed with its directory
// when the last handle to it goes.
struct Artefact {
  std::string dir;        // absolute host directory, bound read-only into the run
  std::string file_name;  // the artefact inside `dir`
  std::string path() const { return dir + "/" + file_name; }
};
using ArtefactHandle = std::shared_ptr<const Artefact>;

// A language's compile step for one program: a run whose stdout is the artefact.
struct CompileStep {
  sandbox::RunSpec spec;   // with the compile step's own limits
  std::string file_name;   // the artefact's name in its directory
  bool executable = false; // saved with mode 0555 (else 0444)
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
};

// Python, exactly as the policy's runtime describes it: MakeRunSpec, no compile step.
class PythonLanguage final : public Language {
 public:
  // `runtime`'s Policy must outlive the language.
  explicit PythonLanguage(PreparedRuntime runtime) : runtime_(std::move(runtime)) {}

  absl::string_view name() const override { return runtime_.policy->name; }
  std::string Identity() const override;
  sandbox::RunSpec VersionSpec(const sandbox::Limits& limits) const override;
  sandbox::RunSpec RunSpecFor(std::string source, const Artefact* artefact,
                              const sandbox::Limits& limits) const override;

 private:
  const PreparedRuntime runtime_;
};

// The Language of a prepared runtime (every runtime a policy can describe today is an
// interpreted one: PythonLanguage).
std::shared_ptr<const Language> MakeLanguage(const PreparedRuntime& runtime);

// Asks `language`'s toolchain for its version in the sandbox itself, with `limits` (at
// least 5 s of CPU). Internal "the interpreter does not start in the sandbox: ..." when
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
  bool ok() const { return artefact != nullptr; }
};

// Runs `step` once through `runner` (with `cancel`, when given) and saves its stdout as
// the artefact. A runner error (a cancelled run included) or a host directory that
// cannot be written is an error status: the sandbox's failure, never the program's.
absl::StatusOr<CompileOutcome> CompileProgram(sandbox::Runner& runner, CompileStep step,
                                              std::shared_ptr<sandbox::CancelToken> cancel);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_LANGUAGE_H_
