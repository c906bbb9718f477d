// `fathom runtimes`: the runtimes of the policy, their versions, whether they are
// installed, and (--self-test) whether each one works here.
#include <algorithm>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/flags.h"
#include "cli/runtime_check.h"
#include "grader/pipeline/scheduler.h"

namespace fathom::cli {
namespace {

constexpr char kUsage[] =
    "usage: fathom runtimes [--self-test] [--language L ...] [--json] [--workers N]\n"
    "                       [--policies DIR] [--require LAYER ...]\n"
    "Lists the policy's runtimes: names, file extensions, toolchain, its version as the\n"
    "sandbox sees it, and whether it is installed (else the Debian packages to install).\n"
    "--self-test also runs every installed runtime's self-test programs (a known-pass\n"
    "and a known-fail program, and one program per sandbox status) through the grading\n"
    "path, so that a broken toolchain is caught before a run scores 0.\n"
    "Exits 0 when every installed runtime (of --language, when given) starts and passes\n"
    "its self-tests, 1 when one does not, 2 for usage errors.\n";

}  // namespace

int RuntimesMain(int argc, char** argv) {
  Flags flags;
  flags.Bool("self-test", "run each installed runtime's self-test programs");
  flags.Value("language", "only this runtime (repeatable)", true);
  flags.Bool("json", "print one JSON object");
  flags.Value("workers", "self-test programs run at once (default: the cores available)");
  flags.Value("policies", "policy directory (default: next to the binary)");
  flags.Value("require", "fail unless this isolation layer is active", true);
  flags.Bool("help", "show this help");
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) {
    PrintError("runtimes", absl::StrCat(s.message(), "\n", kUsage));
    return kExitUsage;
  }
  if (flags.GetBool("help")) {
    std::cout << kUsage << flags.Help();
    return kExitOk;
  }
  int workers = grader::AvailableCores();
  if (flags.Has("workers") &&
      (!absl::SimpleAtoi(flags.Get("workers"), &workers) || workers < 1)) {
    PrintError("runtimes", "--workers: expected a positive integer");
    return kExitUsage;
  }
  absl::StatusOr<grader::Policy> policy = LoadPolicyOrDefault(flags.Get("policies"));
  if (!policy.ok()) {
    PrintError("runtimes", std::string(policy.status().message()));
    return kExitUsage;
  }
  std::vector<const grader::RuntimePolicy*> selected;
  for (const std::string& name : flags.GetAll("language")) {
    absl::StatusOr<const grader::RuntimePolicy*> rt = policy->Runtime(name);
    if (!rt.ok()) {
      PrintError("runtimes", std::string(rt.status().message()));
      return kExitUsage;
    }
    selected.push_back(*rt);
  }
  if (selected.empty()) {
    for (const auto& [name, rt] : policy->runtimes) selected.push_back(&rt);
  }
  absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> sb =
      MakeSandbox(*policy, flags.GetAll("require"));
  if (!sb.ok()) {
    PrintError("runtimes", absl::StrCat(sb.status().message(),
                                        "\n(run `fathom doctor` to see what this host allows)"));
    return kExitUsage;
  }
  const bool self_test = flags.GetBool("self-test");
  bool all_ok = true;
  nlohmann::json out = nlohmann::json::array();
  for (const grader::RuntimePolicy* rt : selected) {
    const RuntimeCheck check = CheckRuntime(**sb, *policy, *rt, {}, self_test, workers);
    // A runtime that is not installed is reported, not a failure: most hosts have a few.
    if (check.installed() && !check.ok()) all_ok = false;
    if (flags.GetBool("json")) {
      out.push_back(RuntimeCheckJson(*rt, check));
      continue;
    }
    std::string name = rt->name;
    name.resize(std::max<size_t>(name.size() + 1, 11), ' ');  // javascript, typescript
    std::cout << name << (rt->has_compile ? "compiled     " : "interpreted  ")
              << absl::StrJoin(rt->extensions, " ") << "  " << rt->interpreter << "  ";
    if (!check.installed()) {
      std::cout << "NOT INSTALLED (missing " << absl::StrJoin(check.missing, ", ")
                << "; install: " << InstallHint(*rt) << ")\n";
      continue;
    }
    std::cout << (check.version.empty() ? "?" : check.version)
              << (check.error.empty() ? "" : absl::StrCat("  ERROR: ", check.error)) << "\n";
    if (!check.note.empty()) std::cout << "          note: " << check.note << "\n";
    for (const grader::SelfTestResult& t : check.self_tests) {
      std::string test = t.name;
      test.resize(18, ' ');
      std::cout << "          " << test << (t.ok() ? "ok    " : "FAILED") << "  " << t.got
                << (t.ok() ? "" : absl::StrCat(" (expected ", t.expected, ")"))
                << (t.skipped.empty() ? "" : absl::StrCat(": ", t.skipped)) << "\n";
      if (!t.ok() && !t.detail.empty()) std::cout << "            " << t.detail << "\n";
    }
  }
  if (flags.GetBool("json")) std::cout << nlohmann::json{{"runtimes", out}}.dump(2) << "\n";
  return all_ok ? kExitOk : kExitSandboxErrors;
}

}  // namespace fathom::cli
