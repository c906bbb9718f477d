// Runs ONE program under isolation and says exactly what happened.
//
// Usage:
//   auto sb = Sandbox::Create(options);          // probes the host once
//   absl::StatusOr<RunResult> r = (*sb)->Run(spec);
//
// Thread safety: Run() may be called concurrently from many threads; each call owns its
// child processes, cgroup and pipes and releases all of them before returning.
#ifndef FATHOM_SANDBOX_SANDBOX_H_
#define FATHOM_SANDBOX_SANDBOX_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "sandbox/host_probe.h"
#include "sandbox/layers.h"
#include "sandbox/run_spec.h"

namespace fathom::sandbox {

// Anything that runs a RunSpec. The grader depends on this interface so that its logic
// is tested with a fake (ninja's CommandRunner habit).
class Runner {
 public:
  virtual ~Runner() = default;
  // Non-OK only when the runner itself failed (setup error); everything the program did
  // is a RunResult.
  virtual absl::StatusOr<RunResult> Run(const RunSpec& spec) = 0;
  // The layers every run of this runner gets.
  virtual LayerSet active_layers() const = 0;
};

struct SandboxOptions {
  // Layers wanted. Unavailable ones are skipped (and reported) unless also in `required`.
  LayerSet wanted = LayerSet::All();
  // Layers that must be active: Create() fails closed when one is unavailable.
  LayerSet required;
  // Outside uid/gid the sandbox user maps to. -1: 65534 (nobody) when we are root, else
  // our own uid (the only one an unprivileged user may map).
  int outside_uid = -1;
  int outside_gid = -1;
};

class Sandbox final : public Runner {
 public:
  // Probes the host, decides the active layers (wanted minus unavailable), confirms them
  // with one trial run of /bin/true (a layer whose setup fails there is switched off with
  // the reason), and fails with FailedPrecondition naming the layer and the reason when a
  // required one is missing.
  static absl::StatusOr<std::unique_ptr<Sandbox>> Create(const SandboxOptions& options);
  ~Sandbox() override;

  absl::StatusOr<RunResult> Run(const RunSpec& spec) override;
  LayerSet active_layers() const override { return active_; }
  const HostProbe& probe() const { return probe_; }

 private:
  Sandbox(const SandboxOptions& options, HostProbe probe, LayerSet active);
  // Runs /bin/true once and switches off layers whose setup this host refuses.
  absl::Status TrialRun();
  SandboxOptions options_;
  HostProbe probe_;
  LayerSet active_;
};

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_SANDBOX_H_
