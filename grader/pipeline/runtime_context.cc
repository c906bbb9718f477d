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
                                            const std::vector<std::string>& layers) {
  std::shared_ptr<const Language> language = MakeLanguage(runtime);
  absl::StatusOr<std::string> version = ProbeVersion(runner, *language, limits);
  if (!version.ok()) return version.status();
  return MakeRuntimeContext(std::move(language), *version, policy_hash, layers);
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
