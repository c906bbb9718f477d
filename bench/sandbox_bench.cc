// Overhead of Sandbox::Run over a bare fork+exec, for /bin/true and for
// `python3 -I -S -c pass`, with the isolation layers switched on one group at a time.
//
//   build/bench/sandbox_bench            (or: bench/run)
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "sandbox/sandbox.h"
#include "sandbox/seccomp.h"

namespace fathom::sandbox {
namespace {

const std::vector<std::string> kTrue = {"/bin/true"};
const std::vector<std::string> kPython = {"/usr/bin/python3", "-I", "-S", "-c", "pass"};
const std::vector<std::string> kEnv = {"PATH=/usr/bin:/bin"};

// The baseline: what running the program costs with no isolation at all.
void BM_BareForkExec(benchmark::State& state, const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The environment the sandboxed runs get (kEnv): without LANG, Python's start-up
  // coerces the C locale (about 1.4 ms here), which is not the sandbox's cost.
  std::string path = kEnv[0];
  char* env[] = {path.data(), nullptr};
  for (auto _ : state) {
    pid_t pid;
    if (posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), env) != 0) {
      state.SkipWithError("posix_spawn failed");
      break;
    }
    int st;
    waitpid(pid, &st, 0);
  }
}

enum Config { kNoLayers, kRlimits, kSeccomp, kCgroup, kNamespaces, kFull };
const char* kConfigNames[] = {"none", "rlimits", "seccomp", "cgroup", "namespaces", "full"};

LayerSet LayersFor(Config c) {
  switch (c) {
    case kNoLayers: return LayerSet();
    case kRlimits: { LayerSet s; s.Add(Layer::kRlimits); return s; }
    case kSeccomp: { LayerSet s; s.Add(Layer::kSeccomp); return s; }
    case kCgroup: { LayerSet s; s.Add(Layer::kCgroup); return s; }
    case kNamespaces: return LayerSet::Namespaces();
    case kFull: return LayerSet::All();
  }
  return LayerSet();
}

void BM_Sandbox(benchmark::State& state, const std::vector<std::string>& argv) {
  const Config config = static_cast<Config>(state.range(0));
  SandboxOptions options;
  options.wanted = LayersFor(config);
  auto sb = Sandbox::Create(options);
  if (!sb.ok()) {
    state.SkipWithError(std::string(sb.status().message()).c_str());
    return;
  }
  RunSpec spec;
  spec.argv = argv;
  spec.env = kEnv;
  spec.ro_binds = {"/usr", "/bin", "/lib", "/lib64"};
  SeccompProfile profile;
  profile.default_action = SeccompAction::kAllow;
  profile.kill = {"ptrace", "bpf", "mount"};
  spec.seccomp = *CompileSeccomp(profile, argv[0]);
  for (auto _ : state) {
    absl::StatusOr<RunResult> r = (*sb)->Run(spec);
    if (!r.ok() || r->status != RunStatus::kOk) {
      state.SkipWithError("run failed");
      break;
    }
  }
  state.SetLabel(kConfigNames[config]);
}

BENCHMARK_CAPTURE(BM_BareForkExec, true, kTrue)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Sandbox, true, kTrue)
    ->DenseRange(kNoLayers, kFull)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_BareForkExec, python, kPython)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Sandbox, python, kPython)
    ->DenseRange(kNoLayers, kFull)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace fathom::sandbox

BENCHMARK_MAIN();
