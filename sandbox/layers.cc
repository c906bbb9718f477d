// Names of the isolation layers.
#include "sandbox/layers.h"

#include <array>

namespace fathom::sandbox {
namespace {
constexpr std::array<absl::string_view, static_cast<size_t>(Layer::kCount)> kNames = {
    "user_ns", "pid_ns", "net_ns", "mount_ns", "ipc_ns",
    "uts_ns",  "cgroup", "rlimits", "seccomp",
};
}  // namespace

absl::string_view LayerName(Layer layer) { return kNames[static_cast<size_t>(layer)]; }

bool ParseLayer(absl::string_view name, Layer* layer) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) {
      *layer = static_cast<Layer>(i);
      return true;
    }
  }
  return false;
}

LayerSet LayerSet::All() { return LayerSet((uint32_t{1} << static_cast<uint32_t>(Layer::kCount)) - 1); }

LayerSet LayerSet::Namespaces() {
  LayerSet s;
  for (Layer l : {Layer::kUserNs, Layer::kPidNs, Layer::kNetNs, Layer::kMountNs, Layer::kIpcNs,
                  Layer::kUtsNs}) {
    s.Add(l);
  }
  return s;
}

std::vector<std::string> LayerSet::Names() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (Has(static_cast<Layer>(i))) out.emplace_back(kNames[i]);
  }
  return out;
}

}  // namespace fathom::sandbox
