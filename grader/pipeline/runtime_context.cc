// Runtime fingerprint and interpreter probe.
#include "grader/pipeline/runtime_context.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grader/formats/utf8.h"

namespace fathom::grader {

absl::StatusOr<std::string> ProbeInterpreterVersion(sandbox::Runner& runner,
                                                    const PreparedRuntime& runtime,
                                                    sandbox::Limits limits) {
  limits.cpu_time_ms = std::max<int64_t>(limits.cpu_time_ms, 5000);
  absl::StatusOr<sandbox::RunResult> probe = runner.Run(
      MakeRunSpec(runtime, "import sys\nsys.stdout.write(sys.version.split()[0])\n", limits));
  if (!probe.ok() || probe->status != sandbox::RunStatus::kOk) {
    return absl::InternalError(absl::StrCat(
        "the interpreter does not start in the sandbox: ",
        probe.ok() ? absl::StrCat(sandbox::RunStatusName(probe->status), " ",
                                  SanitizeUtf8(probe->stderr_data))
                   : std::string(probe.status().message())));
  }
  return SanitizeUtf8(probe->stdout_data);
}

absl::StatusOr<RuntimeContext> ProbeRuntime(sandbox::Runner& runner,
                                            const PreparedRuntime& runtime,
                                            const sandbox::Limits& limits,
                                            absl::string_view policy_hash,
                                            const std::vector<std::string>& layers) {
  absl::StatusOr<std::string> version = ProbeInterpreterVersion(runner, runtime, limits);
  if (!version.ok()) return version.status();
  return MakeRuntimeContext(runtime, *version, policy_hash, layers);
}

RuntimeContext MakeRuntimeContext(const PreparedRuntime& runtime,
                                  absl::string_view interpreter_version,
                                  absl::string_view policy_hash,
                                  const std::vector<std::string>& layers) {
  RuntimeContext context;
  context.interpreter_version = std::string(interpreter_version);
  context.make_spec = [runtime](std::string program, const sandbox::Limits& limits) {
    return MakeRunSpec(runtime, std::move(program), limits);
  };
  const RuntimePolicy& p = *runtime.policy;
  context.fingerprint = absl::StrCat(
      "runtime=", p.name, "\ninterpreter=", p.interpreter, "\nflags=",
      absl::StrJoin(p.flags, " "), "\nversion=", interpreter_version, "\npolicy=",
      policy_hash, "\nlayers=", absl::StrJoin(layers, ","));
  return context;
}

}  // namespace fathom::grader
