// Runtime checks for `fathom runtimes` and `fathom doctor`.
#include "cli/runtime_check.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grader/pipeline/runtime_context.h"

namespace fathom::cli {

bool RuntimeCheck::ok() const {
  if (!installed() || !error.empty()) return false;
  for (const grader::SelfTestResult& t : self_tests) {
    if (!t.ok()) return false;
  }
  return true;
}

std::string InstallHint(const grader::RuntimePolicy& runtime) {
  return absl::StrCat("apt-get install -y ", absl::StrJoin(runtime.packages, " "));
}

RuntimeCheck CheckRuntime(sandbox::Sandbox& sandbox, const grader::Policy& policy,
                          const grader::RuntimePolicy& runtime,
                          const std::vector<std::string>& self_tests, bool all_self_tests,
                          int workers) {
  RuntimeCheck check;
  check.name = runtime.name;
  check.missing = grader::MissingToolchainPaths(runtime);
  if (!check.installed()) return check;
  const sandbox::LayerSet layers = sandbox.active_layers();
  if (absl::Status s = grader::CheckRuntimeLayers(runtime, layers); !s.ok()) {
    check.error = std::string(s.message());
    return check;
  }
  absl::StatusOr<grader::PreparedRuntime> prepared =
      grader::PrepareRuntime(policy, runtime.name, layers.Has(sandbox::Layer::kSeccomp));
  if (!prepared.ok()) {
    check.error = std::string(prepared.status().message());
    return check;
  }
  absl::StatusOr<grader::RuntimeContext> context = grader::ProbeRuntime(
      sandbox, *prepared, runtime.limits, policy.hash, layers.Names(), "", &check.note);
  if (!context.ok()) {
    check.error = std::string(context.status().message());
    return check;
  }
  check.version = context->interpreter_version;
  if (all_self_tests || !self_tests.empty()) {
    check.self_tests = grader::RunSelfTests(sandbox, *context, runtime,
                                            all_self_tests ? std::vector<std::string>{}
                                                           : self_tests,
                                            workers);
  }
  return check;
}

nlohmann::json RuntimeCheckJson(const grader::RuntimePolicy& runtime, const RuntimeCheck& check) {
  nlohmann::json j{{"runtime", runtime.name},
                   {"aliases", runtime.aliases},
                   {"extensions", runtime.extensions},
                   {"compiled", runtime.has_compile},
                   {"toolchain", runtime.interpreter},
                   {"installed", check.installed()},
                   {"missing", check.missing},
                   {"packages", runtime.packages},
                   {"version", check.version},
                   {"error", check.error},
                   {"note", check.note},
                   {"ok", check.ok()}};
  nlohmann::json tests = nlohmann::json::array();
  for (const grader::SelfTestResult& t : check.self_tests) {
    tests.push_back({{"name", t.name},
                     {"expected", t.expected},
                     {"got", t.got},
                     {"ok", t.ok()},
                     {"wall_ms", t.wall_ms},
                     {"detail", t.detail},
                     {"skipped", t.skipped}});
  }
  j["self_tests"] = tests;
  return j;
}

}  // namespace fathom::cli
