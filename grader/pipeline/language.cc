// The Language interface's shared steps (version probe, compile and artefact hand-off),
// Python, and every other runtime as its policy describes it.
#include "grader/pipeline/language.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "grader/formats/sha256.h"
#include "grader/pipeline/result_cache.h"
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
    if (pch_ != nullptr) {
      absl::StrAppend(&out, "\npch=", absl::StrJoin(p.compile.pch_flags, " "), " ",
                      PchHeaderText(p.compile), Sha256Hex(pch_->bytes));
    }
  }
  return out;
}

sandbox::RunSpec PolicyLanguage::VersionSpec(const sandbox::Limits& limits) const {
  return MakeVersionSpec(runtime_, limits);
}

bool IncludesAll(absl::string_view source, const std::vector<std::string>& headers) {
  std::vector<bool> found(headers.size(), false);
  size_t left = headers.size();
  for (absl::string_view line : absl::StrSplit(source, '\n')) {
    line = absl::StripLeadingAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "#")) continue;
    line = absl::StripLeadingAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "include")) continue;
    line = absl::StripLeadingAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "<")) continue;
    const size_t close = line.find('>');
    if (close == absl::string_view::npos) continue;
    const absl::string_view name = line.substr(0, close);
    for (size_t i = 0; i < headers.size(); ++i) {
      if (!found[i] && headers[i] == name) {
        found[i] = true;
        --left;
      }
    }
  }
  return left == 0;
}

std::optional<CompileStep> PolicyLanguage::Compile(std::string source) const {
  const RuntimePolicy& p = *runtime_.policy;
  if (!p.has_compile) return std::nullopt;
  CompileStep step;
  step.source = source;
  const bool use_pch = pch_ != nullptr && IncludesAll(source, p.compile.pch_headers);
  step.spec = MakeCompileSpec(runtime_, std::move(source));
  if (use_pch) {
    // argv is [shell, -c, script, artefact, compiler, ...]: the flags follow the compiler,
    // naming the bound header by its absolute path, or the copy in the work dir.
    std::vector<std::string> flags = p.compile.pch_flags;
    if (!pch_dir_.empty()) {
      for (std::string& f : flags) {
        if (f == kPchHeader) f = absl::StrCat(pch_dir_, "/", kPchHeader);
      }
      step.spec.ro_binds.push_back(pch_dir_);
    } else {
      step.spec.files.push_back({kPchHeader, PchHeaderText(p.compile)});
      step.spec.files.push_back({absl::StrCat(kPchHeader, ".gch"), pch_->bytes});
    }
    step.spec.argv.insert(step.spec.argv.begin() + 5, flags.begin(), flags.end());
  }
  return step;
}

std::string PublishPrecompiledHeader(const CompilePolicy& compile, const Artefact& pch) {
  const std::string digest = Sha256Hex(absl::StrCat(PchHeaderText(compile), pch.bytes));
  const std::string root = absl::StrCat("/var/tmp/fathom-pch-", geteuid());
  const std::string dir = absl::StrCat(root, "/", digest.substr(0, 32));
  // Ours, a real directory, writable by nobody else: what a compile reads from it is
  // what we wrote (another local user cannot swap the header under a run).
  auto safe_dir = [](const std::string& path) {
    struct stat st;
    return lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
           (st.st_mode & 022) == 0;
  };
  for (const std::string& d : {root, dir}) {
    if (mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) return "";
    if (!safe_dir(d)) return "";
  }
  const std::string header = absl::StrCat(dir, "/", kPchHeader);
  const std::string gch = absl::StrCat(header, ".gch");
  struct stat st;
  if (stat(gch.c_str(), &st) == 0 && static_cast<size_t>(st.st_size) == pch.bytes.size()) {
    return dir;  // published by an earlier run (the directory is named by the digest)
  }
  if (!WriteFileAtomically(header, PchHeaderText(compile)).ok() ||
      !WriteFileAtomically(gch, pch.bytes).ok() || chmod(header.c_str(), 0444) != 0 ||
      chmod(gch.c_str(), 0444) != 0) {
    return "";
  }
  return dir;
}

sandbox::RunSpec PolicyLanguage::RunSpecFor(std::string source, const Artefact* artefact,
                                            const sandbox::Limits& limits) const {
  if (artefact == nullptr) return MakeRunSpec(runtime_, std::move(source), limits);
  return MakeArtefactRunSpec(runtime_, artefact->bytes, limits);
}

std::shared_ptr<const Language> MakeLanguage(const PreparedRuntime& runtime,
                                             ArtefactHandle pch, std::string pch_dir) {
  if (runtime.policy->verdict == VerdictRule::kHarness) {
    return std::make_shared<PythonLanguage>(runtime);
  }
  return std::make_shared<PolicyLanguage>(runtime, std::move(pch), std::move(pch_dir));
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
