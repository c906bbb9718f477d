// The Language interface's shared steps (version probe, compile and artefact hand-off),
// Python, and every other runtime as its policy describes it.
#include "grader/pipeline/language.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grader/formats/utf8.h"
#include "grader/pipeline/verdict.h"

namespace fathom::grader {
namespace {

// Diagnostics kept of a program that did not compile: its first errors, which name the
// cause (a template error's later lines only repeat the instantiation stack).
constexpr size_t kDiagnosticsBytes = 4096;

std::string Utf8Head(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return SanitizeUtf8(text);
  size_t cut = max_bytes;
  // Back off to a character boundary (never inside a multi-byte sequence).
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(SanitizeUtf8(text.substr(0, cut)), "\n...[",
                      text.size() - cut, " more bytes]\n");
}

}  // namespace

std::optional<CompileStep> Language::Compile(std::string) const { return std::nullopt; }

std::string PythonLanguage::Identity() const {
  const RuntimePolicy& p = *runtime_.policy;
  return absl::StrCat("runtime=", p.name, "\ninterpreter=", p.interpreter, "\nflags=",
                      absl::StrJoin(p.flags, " "));
}

sandbox::RunSpec PythonLanguage::VersionSpec(const sandbox::Limits& limits) const {
  return MakeRunSpec(runtime_, "import sys\nsys.stdout.write(sys.version.split()[0])\n", limits);
}

sandbox::RunSpec PythonLanguage::RunSpecFor(std::string source, const Artefact*,
                                            const sandbox::Limits& limits) const {
  return MakeRunSpec(runtime_, std::move(source), limits);
}

std::string PolicyLanguage::Identity() const {
  const RuntimePolicy& p = *runtime_.policy;
  std::string out = absl::StrCat("runtime=", p.name, "\ncommand=", absl::StrJoin(p.command, " "));
  if (p.has_compile) {
    absl::StrAppend(&out, "\ncompile=", absl::StrJoin(p.compile.command, " "),
                    "\nartefact=", p.compile.artefact);
  }
  return out;
}

sandbox::RunSpec PolicyLanguage::VersionSpec(const sandbox::Limits& limits) const {
  return MakeVersionSpec(runtime_, limits);
}

std::optional<CompileStep> PolicyLanguage::Compile(std::string source) const {
  if (!runtime_.policy->has_compile) return std::nullopt;
  return CompileStep{MakeCompileSpec(runtime_, std::move(source))};
}

sandbox::RunSpec PolicyLanguage::RunSpecFor(std::string source, const Artefact* artefact,
                                            const sandbox::Limits& limits) const {
  if (artefact == nullptr) return MakeRunSpec(runtime_, std::move(source), limits);
  return MakeArtefactRunSpec(runtime_, artefact->bytes, limits);
}

std::shared_ptr<const Language> MakeLanguage(const PreparedRuntime& runtime) {
  if (runtime.policy->verdict == VerdictRule::kHarness) {
    return std::make_shared<PythonLanguage>(runtime);
  }
  return std::make_shared<PolicyLanguage>(runtime);
}

absl::StatusOr<std::string> ProbeVersion(sandbox::Runner& runner, const Language& language,
                                         sandbox::Limits limits) {
  limits.cpu_time_ms = std::max<int64_t>(limits.cpu_time_ms, 5000);
  absl::StatusOr<sandbox::RunResult> probe = runner.Run(language.VersionSpec(limits));
  if (!probe.ok() || probe->status != sandbox::RunStatus::kOk) {
    return absl::InternalError(absl::StrCat(
        "the toolchain of ", language.name(), " does not start in the sandbox: ",
        probe.ok() ? absl::StrCat(sandbox::RunStatusName(probe->status), " ",
                                  SanitizeUtf8(probe->stderr_data))
                   : std::string(probe.status().message())));
  }
  std::string version = SanitizeUtf8(probe->stdout_data);
  while (!version.empty() && (version.back() == '\n' || version.back() == '\r')) {
    version.pop_back();
  }
  return version;
}

absl::StatusOr<CompileOutcome> CompileProgram(sandbox::Runner& runner, CompileStep step,
                                              std::shared_ptr<sandbox::CancelToken> cancel) {
  step.spec.cancel = std::move(cancel);
  absl::StatusOr<sandbox::RunResult> run = runner.Run(step.spec);
  if (!run.ok()) return run.status();
  CompileOutcome outcome;
  outcome.cpu_ms = run->cpu_ms;
  outcome.wall_ms = run->wall_ms;
  if (run->status == sandbox::RunStatus::kOk && !run->stdout_truncated &&
      !run->stdout_data.empty()) {
    outcome.artefact = std::make_shared<const Artefact>(Artefact{std::move(run->stdout_data)});
    return outcome;
  }
  outcome.error = run->stdout_truncated ? "artefact over the output limit"
                  : run->status == sandbox::RunStatus::kNonzeroExit
                      ? absl::StrCat("nonzero_exit ", run->exit_code)
                  : run->status == sandbox::RunStatus::kOk
                      ? "the compiler wrote no artefact"
                      : std::string(sandbox::RunStatusName(run->status));
  outcome.diagnostics = Utf8Head(run->stderr_data, kDiagnosticsBytes);
  return outcome;
}

}  // namespace fathom::grader
