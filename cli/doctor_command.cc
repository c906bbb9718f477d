// `fathom doctor`: what isolation this host gives, which runtimes work, and why not.
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>

// Boost.Process fits here: running our own trusted interpreter for its version string
// needs no isolation, just a tidy spawn-and-read (runs use clone() in sandbox/).
#define BOOST_PROCESS_USE_STD_FS
#include <boost/process.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/flags.h"
#include "grader/formats/utf8.h"
#include "sandbox/landlock.h"

namespace fathom::cli {
namespace {

constexpr char kUsage[] =
    "usage: fathom doctor [--json] [--policies DIR] [--require LAYER ...]\n"
    "Probes every isolation layer and runtime and says what works and why not.\n"
    "Exits 0 when every runtime ran a smoke test, 1 when one failed, 2 when a\n"
    "--require'd layer is unavailable or the policy cannot be loaded.\n";

std::string InterpreterVersion(const std::string& path) {
  namespace bp = boost::process;
  try {
    bp::ipstream out;
    bp::child c(path, "--version", bp::std_out > out, bp::std_err > bp::null,
                bp::std_in < bp::null);
    std::string line;
    std::getline(out, line);
    c.wait();
    return std::string(absl::StripAsciiWhitespace(line));
  } catch (const std::exception& e) {
    return absl::StrCat("unavailable (", e.what(), ")");
  }
}

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
  // How the host's /dev and the other runs are kept from programs (sandbox/landlock.h).
  {
    const int abi = sandbox::LandlockAbi();
    const bool private_dev = active.Has(sandbox::Layer::kMountNs);
    j["host_devices"] = {
        {"state", private_dev ? "private /dev" : abi > 0 ? "landlock" : "host modes"},
        {"detail", private_dev ? "the mount namespace gives each run its own /dev"
                   : abi > 0   ? absl::StrCat("no mount namespace: Landlock ABI ", abi,
                                              " keeps programs to /dev/null, zero, full, "
                                              "random, urandom and shm, and out of other "
                                              "runs' /proc",
                                              abi >= 6 ? " and signals" : "")
                               : "no mount namespace and no Landlock: the host's device "
                                 "modes alone decide what programs may open, and runs "
                                 "can reach each other (same uid)"}};
  }

  bool all_ok = true;
  nlohmann::json runtimes = nlohmann::json::array();
  for (const auto& [name, rt] : policy->runtimes) {
    nlohmann::json r{{"runtime", name}, {"interpreter", rt.interpreter}};
    struct stat st;
    if (stat(rt.interpreter.c_str(), &st) != 0 || access(rt.interpreter.c_str(), X_OK) != 0) {
      r["version"] = "missing";
      r["smoke_test"] = "interpreter not found";
      all_ok = false;
      runtimes.push_back(r);
      continue;
    }
    r["version"] = InterpreterVersion(rt.interpreter);
    absl::StatusOr<grader::PreparedRuntime> prepared =
        grader::PrepareRuntime(*policy, name, active.Has(sandbox::Layer::kSeccomp));
    if (!prepared.ok()) {
      r["smoke_test"] = std::string(prepared.status().message());
      all_ok = false;
    } else {
      // The smoke test only makes sense for Python-like runtimes; it proves the whole
      // chain (namespaces, mounts, seccomp, exec) works here.
      absl::StatusOr<sandbox::RunResult> res =
          (*sb)->Run(grader::MakeRunSpec(*prepared, "print('ok')\n", rt.limits));
      if (!res.ok()) {
        r["smoke_test"] = absl::StrCat("sandbox error: ", res.status().message());
        all_ok = false;
      } else if (res->status != sandbox::RunStatus::kOk || res->stdout_data != "ok\n") {
        r["smoke_test"] = absl::StrCat(sandbox::RunStatusName(res->status), ": ",
                                       grader::SanitizeUtf8(res->stderr_data.substr(0, 300)));
        all_ok = false;
      } else {
        r["smoke_test"] = absl::StrCat("ok (", res->wall_ms, " ms)");
      }
      // The fast path `fathom grade` takes by default (a trial run included).
      if (rt.zygote) {
        RunnerChoice runner = MakeRunner(**sb, *prepared, 1, /*use_zygote=*/true);
        r["zygote"] = runner.zygote != nullptr
                          ? absl::StrCat("active (", rt.zygote_preload.size(),
                                         " modules preloaded)")
                          : runner.description;
      } else {
        r["zygote"] = "none (the runtime has no zygote)";
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
    std::string dev = j["host_devices"]["state"].get<std::string>();
    dev.resize(14, ' ');
    std::cout << "  " << "devices   " << dev << j["host_devices"]["detail"].get<std::string>()
              << "\n";
  }
  std::cout << "\nruntimes\n";
  for (const auto& r : runtimes) {
    std::cout << "  " << r["runtime"].get<std::string>() << "  "
              << r["interpreter"].get<std::string>() << "  " << r["version"].get<std::string>()
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
