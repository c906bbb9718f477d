// The isolation layers the sandbox can apply, as a small bit set with stable names.
#ifndef FATHOM_SANDBOX_LAYERS_H_
#define FATHOM_SANDBOX_LAYERS_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

namespace fathom::sandbox {

enum class Layer : uint32_t {
  kUserNs = 0,
  kPidNs,
  kNetNs,
  kMountNs,
  kIpcNs,
  kUtsNs,
  kCgroup,
  kRlimits,
  kSeccomp,
  kCount,
};

// "user_ns", "pid_ns", "net_ns", "mount_ns", "ipc_ns", "uts_ns", "cgroup", "rlimits",
// "seccomp".
absl::string_view LayerName(Layer layer);
// Inverse of LayerName; also accepts "namespaces" for all six namespace layers via
// ParseLayerGroup. Returns false for unknown names.
bool ParseLayer(absl::string_view name, Layer* layer);

class LayerSet {
 public:
  LayerSet() = default;
  static LayerSet All();
  static LayerSet Namespaces();

  bool Has(Layer l) const { return bits_ & Bit(l); }
  void Add(Layer l) { bits_ |= Bit(l); }
  void Remove(Layer l) { bits_ &= ~Bit(l); }
  void AddAll(LayerSet o) { bits_ |= o.bits_; }
  bool ContainsAll(LayerSet o) const { return (bits_ & o.bits_) == o.bits_; }
  LayerSet Minus(LayerSet o) const { return LayerSet(bits_ & ~o.bits_); }
  bool empty() const { return bits_ == 0; }
  // Names of the layers in enum order.
  std::vector<std::string> Names() const;
  bool operator==(const LayerSet&) const = default;

 private:
  explicit LayerSet(uint32_t bits) : bits_(bits) {}
  static uint32_t Bit(Layer l) { return uint32_t{1} << static_cast<uint32_t>(l); }
  uint32_t bits_ = 0;
};

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_LAYERS_H_
