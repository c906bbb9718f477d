// Runtime fingerprint and version probe, through the runtime's Language.
#include "grader/pipeline/runtime_context.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grader/pipeline/compile_cache.h"

namespace fathom::grader {

absl::StatusOr<RuntimeContext> ProbeRuntime(sandbox::Runner& runner,
                                            const PreparedRuntime& runtime,
                                            const sandbox::Limits& limits,
                                            absl::string_view policy_hash,
                                            const std::vector<std::string>& layers,
                                            const std::string& cache_dir, std::string* note) {
  std::shared_ptr<const Language> language = MakeLanguage(runtime);
  absl::StatusOr<std::string> version = ProbeVersion(runner, *language, limits);
  if (!version.ok()) return version.status();
  absl::StatusOr<std::shared_ptr<CompileCache>> cache = CompileCache::Open(cache_dir);
  if (!cache.ok()) return cache.status();
  const CompilePolicy& compile = runtime.policy->compile;
  if (runtime.policy->has_compile && !compile.pch_command.empty()) {
    // Keyed by the runtime without the header: what builds it.
    const RuntimeContext plain = MakeRuntimeContext(language, *version, policy_hash, layers);
    CompileStep step{MakePchSpec(runtime), PchHeaderText(compile)};
    absl::StatusOr<CompileOutcome> pch =
        (*cache)->Compile(runner, plain.fingerprint, std::move(step), nullptr);
    if (pch.ok() && pch->ok()) {
      language = MakeLanguage(runtime, pch->artefact,
                              PublishPrecompiledHeader(compile, *pch->artefact));
    } else if (note != nullptr) {
      *note = absl::StrCat("precompiled header not built (compiling without it): ",
                           pch.ok() ? absl::StrCat(pch->error, " ", pch->diagnostics)
                                    : std::string(pch.status().message()));
    }
  }
  RuntimeContext context = MakeRuntimeContext(std::move(language), *version, policy_hash, layers);
  context.compile_cache = *std::move(cache);
  return context;
}

RuntimeContext MakeRuntimeContext(std::shared_ptr<const Language> language,
                                  absl::string_view interpreter_version,
                                  absl::string_view policy_hash,
                                  const std::vector<std::string>& layers) {
  RuntimeContext context;
  context.interpreter_version = std::string(interpreter_version);
  context.fingerprint =
      absl::StrCat(language->Identity(), "\nversion=", interpreter_version, "\npolicy=",
                   policy_hash, "\nlayers=", absl::StrJoin(layers, ","));
  context.make_spec = [language](std::string program, const sandbox::Limits& limits) {
    return language->RunSpecFor(std::move(program), nullptr, limits);
  };
  context.language = std::move(language);
  // Memory only: a caller with a --cache directory replaces it with one on disk.
  context.compile_cache = *CompileCache::Open("");
  return context;
}

RuntimeContext MakeRuntimeContext(const PreparedRuntime& runtime,
                                  absl::string_view interpreter_version,
                                  absl::string_view policy_hash,
                                  const std::vector<std::string>& layers) {
  return MakeRuntimeContext(MakeLanguage(runtime), interpreter_version, policy_hash, layers);
}

}  // namespace fathom::grader
