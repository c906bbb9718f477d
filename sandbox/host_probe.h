// Probes what isolation this host allows, once, before any run.
#ifndef FATHOM_SANDBOX_HOST_PROBE_H_
#define FATHOM_SANDBOX_HOST_PROBE_H_

#include <array>
#include <string>

#include "sandbox/cgroup.h"
#include "sandbox/layers.h"

namespace fathom::sandbox {

struct LayerProbe {
  bool available = false;
  std::string reason;  // why not, or what is used ("cgroup v1: memory,pids,cpuacct")
};

struct HostProbe {
  std::array<LayerProbe, static_cast<size_t>(Layer::kCount)> layers;
  std::string kernel;        // uname -r
  CgroupLayout cgroups;      // where we would create run cgroups
  bool running_as_root = false;
  // A feature of the seccomp layer: SECCOMP_RET_USER_NOTIF with a listener, which lets
  // a syscall_violation carry the syscall's number (sandbox/seccomp_notify.h). Without
  // it the kill list kills (SECCOMP_RET_KILL_PROCESS) and the number is unknown.
  LayerProbe seccomp_notify;

  const LayerProbe& at(Layer l) const { return layers[static_cast<size_t>(l)]; }
  LayerProbe& at(Layer l) { return layers[static_cast<size_t>(l)]; }
  LayerSet Available() const;
};

// Tries each layer for real (a throwaway child enters the namespaces, a cgroup is
// created and removed, a trivial filter is loaded) and records what works and why not.
// Takes a few milliseconds; call once per process.
HostProbe ProbeHost();

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_HOST_PROBE_H_
