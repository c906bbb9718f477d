// `fathom doctor`: what isolation this host gives, which runtimes work, and why not.
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/flags.h"
#include "cli/runtime_check.h"
#include "absl/strings/str_join.h"
#include "grader/formats/utf8.h"

namespace fathom::cli {
namespace {

constexpr char kUsage[] =
    "usage: fathom doctor [--json] [--policies DIR] [--require LAYER ...]\n"
    "Probes every isolation layer and runtime and says what works and why not.\n"
    "Runtimes: each installed one runs its known-pass and known-fail programs in the\n"
    "sandbox (`fathom runtimes --self-test` runs them all); a missing one is listed\n"
    "with the Debian packages that install it.\n"
    "Exits 0 when every installed runtime passed its smoke test (and Python is\n"
    "installed), 1 when one failed, 2 when a --require'd layer is unavailable or the\n"
    "policy cannot be loaded.\n";

}  // namespace

int DoctorMain(int argc, char** argv) {
  Flags flags;
  flags.Bool("json", "print one JSON object");
  flags.Value("policies", "policy directory (default: next to the binary)");
  flags.Value("require", "exit 2 unless this layer is available", true);
  flags.Bool("help", "show this help");
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) {
    PrintError("doctor", absl::StrCat(s.message(), "\n", kUsage));
    return kExitUsage;
  }
  if (flags.GetBool("help")) {
    std::cout << kUsage << flags.Help();
    return kExitOk;
  }
  absl::StatusOr<grader::Policy> policy = LoadPolicyOrDefault(flags.Get("policies"));
  if (!policy.ok()) {
    PrintError("doctor", std::string(policy.status().message()));
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> sb = MakeSandbox(*policy, {});
  if (!sb.ok()) {
    PrintError("doctor", std::string(sb.status().message()));
    return kExitUsage;
  }
  const sandbox::HostProbe& probe = (*sb)->probe();
  const sandbox::LayerSet active = (*sb)->active_layers();

  nlohmann::json j;
  j["fathom_version"] = kFathomVersion;
  j["kernel"] = probe.kernel;
  j["running_as_root"] = probe.running_as_root;
  j["policy_dir"] = policy->dir;
  j["policy_hash"] = policy->hash;
  j["cgroups"] = probe.cgroups.version == sandbox::CgroupLayout::Version::kNone
                     ? probe.cgroups.unavailable_reason
                     : probe.cgroups.description;
  nlohmann::json layers = nlohmann::json::array();
  for (const std::string& name : sandbox::LayerSet::All().Names()) {
    sandbox::Layer l;
    sandbox::ParseLayer(name, &l);
    const sandbox::LayerProbe& lp = probe.at(l);
    std::string state = active.Has(l)         ? "active"
                        : !lp.available       ? "unavailable"
                        : "off by policy";
    layers.push_back({{"layer", name}, {"state", state}, {"detail", lp.reason}});
  }
  j["layers"] = layers;
  // Whether a syscall_violation says which syscall (a feature of the seccomp layer).
  j["seccomp_notify"] = {{"state", (*sb)->seccomp_notify()          ? "active"
                                   : !probe.seccomp_notify.available ? "unavailable"
                                                                     : "off"},
                         {"detail", probe.seccomp_notify.reason}};

  // Every runtime: installed or not (and the packages that install it); an installed
  // one's version as the sandbox sees it and its known-pass and known-fail programs run
  // through the grading path (compile, run, verdict), which proves the whole chain
  // (namespaces, mounts, seccomp, exec, the toolchain) works here.
  bool all_ok = true;
  nlohmann::json runtimes = nlohmann::json::array();
  for (const auto& [name, rt] : policy->runtimes) {
    const RuntimeCheck check = CheckRuntime(**sb, *policy, rt, {"pass", "fail"}, false, 2);
    nlohmann::json r = RuntimeCheckJson(rt, check);
    if (!check.installed()) {
      r["smoke_test"] = absl::StrCat("not installed (missing ", absl::StrJoin(check.missing, ", "),
                                     "); install: ", InstallHint(rt));
      // A missing runtime is not a broken host, except the default one.
      if (name == "python") all_ok = false;
    } else if (!check.ok()) {
      std::string why = check.error;
      for (const grader::SelfTestResult& t : check.self_tests) {
        if (!t.ok()) {
          absl::StrAppend(&why, why.empty() ? "" : "; ", t.name, " program: ", t.got,
                          " (expected ", t.expected, ") ", t.detail.substr(0, 300));
        }
      }
      r["smoke_test"] = absl::StrCat("FAILED: ", why);
      all_ok = false;
    } else {
      int64_t wall_ms = 0;
      for (const grader::SelfTestResult& t : check.self_tests) wall_ms += t.wall_ms;
      r["smoke_test"] = absl::StrCat("ok (pass and fail programs, ", wall_ms, " ms)");
    }
    if (check.installed() && rt.zygote) {
      // The fast path `fathom grade` takes by default (a trial run included).
      absl::StatusOr<grader::PreparedRuntime> prepared =
          grader::PrepareRuntime(*policy, name, active.Has(sandbox::Layer::kSeccomp));
      if (prepared.ok()) {
        RunnerChoice runner = MakeRunner(**sb, *prepared, 1, /*use_zygote=*/true);
        r["zygote"] = runner.zygote != nullptr
                          ? absl::StrCat("active (", rt.zygote_preload.size(),
                                         " modules preloaded)")
                          : runner.description;
      }
    }
    runtimes.push_back(r);
  }
  j["runtimes"] = runtimes;

  int rc = all_ok ? kExitOk : kExitSandboxErrors;
  std::vector<std::string> missing;
  for (const std::string& name : flags.GetAll("require")) {
    sandbox::Layer l;
    if (name == "namespaces") {
      for (const auto& n : sandbox::LayerSet::Namespaces().Names()) {
        sandbox::ParseLayer(n, &l);
        if (!active.Has(l)) missing.push_back(n);
      }
    } else if (!sandbox::ParseLayer(name, &l) || !active.Has(l)) {
      missing.push_back(name);
    }
  }
  if (!missing.empty()) rc = kExitUsage;
  j["missing_required"] = missing;

  if (flags.GetBool("json")) {
    std::cout << j.dump(2) << "\n";
    return rc;
  }
  std::cout << "fathom " << kFathomVersion << " on " << probe.kernel
            << (probe.running_as_root ? " (root)" : "") << "\n"
            << "policy   " << policy->dir << " (" << policy->hash << ")\n"
            << "cgroups  " << j["cgroups"].get<std::string>() << "\n\nisolation layers\n";
  for (const auto& l : layers) {
    std::string name = l["layer"].get<std::string>(), state = l["state"].get<std::string>();
    name.resize(10, ' ');
    state.resize(14, ' ');
    std::cout << "  " << name << state << l["detail"].get<std::string>() << "\n";
  }
  {
    std::string state = j["seccomp_notify"]["state"].get<std::string>();
    state.resize(14, ' ');
    std::cout << "  " << "  notify  " << state
              << j["seccomp_notify"]["detail"].get<std::string>() << "\n";
  }
  std::cout << "\nruntimes\n";
  for (const auto& r : runtimes) {
    std::cout << "  " << r["runtime"].get<std::string>() << "  "
              << r["toolchain"].get<std::string>() << "  "
              << (r["installed"].get<bool>() ? r["version"].get<std::string>() : "missing")
              << "  smoke test: " << r["smoke_test"].get<std::string>() << "\n";
    if (r.contains("zygote")) {
      std::cout << "    zygote: " << r["zygote"].get<std::string>() << "\n";
    }
  }
  if (active.Minus(sandbox::LayerSet()).ContainsAll(sandbox::LayerSet::All())) {
    std::cout << "\nall isolation layers active\n";
  } else {
    std::cout << "\nDEGRADED: runs use only the active layers above (results record "
                 "which); pass --require LAYER to fail instead\n";
  }
  for (const auto& m : missing) std::cout << "required layer unavailable: " << m << "\n";
  return rc;
}

}  // namespace fathom::cli
