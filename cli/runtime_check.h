// What `fathom runtimes` and `fathom doctor` say about one runtime: installed or not (and
// how to install it), its version as the sandbox sees it, and its self-tests.
#ifndef FATHOM_CLI_RUNTIME_CHECK_H_
#define FATHOM_CLI_RUNTIME_CHECK_H_

#include <string>
#include <vector>

#include "grader/pipeline/self_test.h"
#include "grader/policy/policy.h"
#include "nlohmann/json.hpp"
#include "sandbox/sandbox.h"

namespace fathom::cli {

struct RuntimeCheck {
  std::string name;
  std::vector<std::string> missing;  // toolchain paths not on this host
  std::string version;               // "" when it could not be asked
  std::string error;                 // why it cannot run here ("" when it can)
  std::string note;                  // e.g. its precompiled header did not build
  std::vector<grader::SelfTestResult> self_tests;
  bool installed() const { return missing.empty(); }
  // Installed, started, and every self-test run passed.
  bool ok() const;
};

// Checks `runtime` of `policy` in `sandbox`: the toolchain's paths, then (when they
// exist) its version probe in the sandbox and the self-tests named `self_tests` (all of
// them when `all_self_tests`), `workers` at a time.
RuntimeCheck CheckRuntime(sandbox::Sandbox& sandbox, const grader::Policy& policy,
                          const grader::RuntimePolicy& runtime,
                          const std::vector<std::string>& self_tests, bool all_self_tests,
                          int workers);

// "apt-get install -y g++ libssl-dev" for `runtime`'s packages.
std::string InstallHint(const grader::RuntimePolicy& runtime);

// The check as JSON (the field names above, self_tests as objects).
nlohmann::json RuntimeCheckJson(const grader::RuntimePolicy& runtime, const RuntimeCheck& check);

}  // namespace fathom::cli

#endif  // FATHOM_CLI_RUNTIME_CHECK_H_
