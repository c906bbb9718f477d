// What the grader needs to know about a runtime to grade with it: its Language (how a
// program is built and becomes a RunSpec, language.h), and the fingerprint of everything
// besides the program and the limits that decides a verdict (part of dedup/cache keys and
// journal fingerprints). Shared by every grading front end (grading_plan.h).
#ifndef FATHOM_GRADER_PIPELINE_RUNTIME_CONTEXT_H_
#define FATHOM_GRADER_PIPELINE_RUNTIME_CONTEXT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grader/pipeline/language.h"
#include "grader/policy/policy.h"
#include "sandbox/run_spec.h"
#include "sandbox/sandbox.h"

namespace fathom::grader {

class CompileCache;  // compile_cache.h

struct RuntimeContext {
  // The runtime's language. Its compile step, when it has one, runs before each graded
  // sample (RunGradedSample); null (test fakes): make_spec runs the program as it is.
  std::shared_ptr<const Language> language;
  // Builds the RunSpec that runs a program text as it is, without a compile step
  // (language->RunSpecFor with no artefact; the calibration runs and I/O mode's
  // expected-output runs use it). Thread-safe when built by MakeRuntimeContext.
  std::function<sandbox::RunSpec(std::string program, const sandbox::Limits&)> make_spec;
  // Identifies everything that decides a verdict besides the program and the limits:
  // runtime name, interpreter, flags, interpreter version, policy hash. Part of keys.
  std::string fingerprint;
  std::string interpreter_version;  // "3.11.2", as the sandbox's interpreter says
  // Compile outcomes shared by every sample graded with this context (and across runs
  // when it has a directory); null: every compile step runs (compile_cache.h).
  std::shared_ptr<CompileCache> compile_cache;
};

// ProbeVersion of MakeLanguage(runtime), then MakeRuntimeContext with its answer: the setup every
// grading front end (`fathom grade`, `fathom serve`) does once per runtime. Its compile
// cache keeps outcomes in `cache_dir` too when that is not empty (Internal when it cannot
// be created). A runtime with a precompiled header (compile.pch) gets it built here, in
// the sandbox, through that cache; when it does not build, the runtime compiles without
// it and *note (when given) says why.
absl::StatusOr<RuntimeContext> ProbeRuntime(sandbox::Runner& runner,
                                            const PreparedRuntime& runtime,
                                            const sandbox::Limits& limits,
                                            absl::string_view policy_hash,
                                            const std::vector<std::string>& layers,
                                            const std::string& cache_dir = "",
                                            std::string* note = nullptr);

// The context for `language`: its RunSpecFor as make_spec, and a fingerprint over its
// Identity(), `interpreter_version`, `policy_hash` and the active `layers`.
RuntimeContext MakeRuntimeContext(std::shared_ptr<const Language> language,
                                  absl::string_view interpreter_version,
                                  absl::string_view policy_hash,
                                  const std::vector<std::string>& layers);
// ... for MakeLanguage(runtime) (whose Policy must outlive the context).
RuntimeContext MakeRuntimeContext(const PreparedRuntime& runtime,
                                  absl::string_view interpreter_version,
                                  absl::string_view policy_hash,
                                  const std::vector<std::string>& layers);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_RUNTIME_CONTEXT_H_
