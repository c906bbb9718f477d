// What the grader needs to know about a runtime to grade with it: how a program becomes a
// RunSpec, and the fingerprint of everything besides the program and the limits that
// decides a verdict (part of dedup/cache keys and journal fingerprints). Shared by
// every grading front end (grading_plan.h).
#ifndef FATHOM_GRADER_PIPELINE_RUNTIME_CONTEXT_H_
#define FATHOM_GRADER_PIPELINE_RUNTIME_CONTEXT_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grader/policy/policy.h"
#include "sandbox/run_spec.h"
#include "sandbox/sandbox.h"

namespace fathom::grader {

struct RuntimeContext {
  // Builds the RunSpec for a program text (normally grader::MakeRunSpec with the
  // prepared runtime). Thread-safe when built by MakeRuntimeContext.
  std::function<sandbox::RunSpec(std::string program, const sandbox::Limits&)> make_spec;
  // Identifies everything that decides a verdict besides the program and the limits:
  // runtime name, interpreter, flags, interpreter version, policy hash. Part of keys.
  std::string fingerprint;
  std::string interpreter_version;  // "3.11.2", as the sandbox's interpreter says
};

// Asks the runtime's interpreter for its version ("3.11.2") in the sandbox itself, with
// `limits` (at least 5 s of CPU). Internal "the interpreter does not start in the
// sandbox: ..." when that run fails. Thread-safe when `runner` is.
absl::StatusOr<std::string> ProbeInterpreterVersion(sandbox::Runner& runner,
                                                    const PreparedRuntime& runtime,
                                                    sandbox::Limits limits);

// ProbeInterpreterVersion, then MakeRuntimeContext with its answer: the setup every
// grading front end (`fathom grade`, `fathom serve`) does once per runtime.
absl::StatusOr<RuntimeContext> ProbeRuntime(sandbox::Runner& runner,
                                            const PreparedRuntime& runtime,
                                            const sandbox::Limits& limits,
                                            absl::string_view policy_hash,
                                            const std::vector<std::string>& layers);

// The context for `runtime` (whose Policy must outlive it): MakeRunSpec as make_spec, and
// a fingerprint over the runtime's name, interpreter, flags, `interpreter_version`,
// `policy_hash` and the active `layers`.
RuntimeContext MakeRuntimeContext(const PreparedRuntime& runtime,
                                  absl::string_view interpreter_version,
                                  absl::string_view policy_hash,
                                  const std::vector<std::string>& layers);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_RUNTIME_CONTEXT_H_
