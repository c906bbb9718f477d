// The Language interface's shared steps (version probe, compile and artefact hand-off)
// and Python, its first implementation.
#include "grader/pipeline/language.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grader/formats/utf8.h"
#include "grader/pipeline/verdict.h"

namespace fathom::grader {
namespace {

// A fresh host directory holding `bytes` as `file_name`, removed with the last handle.
absl::StatusOr<ArtefactHandle> SaveArtefact(const std::string& bytes,
                                            const std::string& file_name, bool executable) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp",
                                     "/fathom-artefact-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("artefact directory ", pattern, ": ", std::strerror(errno)));
  }
  ArtefactHandle artefact(new Artefact{pattern, file_name}, [](const Artefact* a) {
    std::error_code ignored;
    std::filesystem::remove_all(a->dir, ignored);
    delete a;
  });
  const std::string path = artefact->path();
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out || chmod(path.c_str(), executable ? 0555 : 0444) != 0 ||
      chmod(artefact->dir.c_str(), 0555) != 0) {
    return absl::InternalError(absl::StrCat("artefact ", path, ": cannot be written"));
  }
  return artefact;
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

std::shared_ptr<const Language> MakeLanguage(const PreparedRuntime& runtime) {
  return std::make_shared<PythonLanguage>(runtime);
}

absl::StatusOr<std::string> ProbeVersion(sandbox::Runner& runner, const Language& language,
                                         sandbox::Limits limits) {
  limits.cpu_time_ms = std::max<int64_t>(limits.cpu_time_ms, 5000);
  absl::StatusOr<sandbox::RunResult> probe = runner.Run(language.VersionSpec(limits));
  if (!probe.ok() || probe->status != sandbox::RunStatus::kOk) {
    return absl::InternalError(absl::StrCat(
        "the interpreter does not start in the sandbox: ",
        probe.ok() ? absl::StrCat(sandbox::RunStatusName(probe->status), " ",
                                  SanitizeUtf8(probe->stderr_data))
                   : std::string(probe.status().message())));
  }
  return SanitizeUtf8(probe->stdout_data);
}

absl::StatusOr<CompileOutcome> CompileProgram(sandbox::Runner& runner, CompileStep step,
                                              std::shared_ptr<sandbox::CancelToken> cancel) {
  step.spec.cancel = std::move(cancel);
  absl::StatusOr<sandbox::RunResult> run = runner.Run(step.spec);
  if (!run.ok()) return run.status();
  CompileOutcome outcome;
  if (run->status == sandbox::RunStatus::kOk && !run->stdout_truncated) {
    absl::StatusOr<ArtefactHandle> artefact =
        SaveArtefact(run->stdout_data, step.file_name, step.executable);
    if (!artefact.ok()) return artefact.status();
    outcome.artefact = *std::move(artefact);
    return outcome;
  }
  outcome.error = run->stdout_truncated ? "artefact over the output limit"
                  : run->status == sandbox::RunStatus::kNonzeroExit
                      ? absl::StrCat("nonzero_exit ", run->exit_code)
                      : std::string(sandbox::RunStatusName(run->status));
  outcome.diagnostics = Utf8Tail(run->stderr_data, kStderrTailBytes);
  return outcome;
}

}  // namespace fathom::grader
