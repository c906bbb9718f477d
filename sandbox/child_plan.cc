// Plan serialisation: copies a PlanSource into the one buffer the child reads (child_plan.h).
#include "sandbox/child_plan.h"

#include <string.h>

#include <algorithm>
#include <new>

#include "absl/strings/string_view.h"
#include "sandbox/landlock.h"

namespace fathom::sandbox {
namespace {

// A bump allocator over one buffer. Alloc returns null once the buffer is full.
class PlanArena {
 public:
  PlanArena(char* base, size_t capacity) : base_(base), capacity_(capacity) {}
  void* Alloc(size_t n, size_t align) {
    const size_t at = (used_ + align - 1) & ~(align - 1);
    if (at > capacity_ || n > capacity_ - at) return nullptr;
    used_ = at + n;
    return base_ + at;
  }
  template <typename T>
  T* New(size_t count) {
    T* p = static_cast<T*>(Alloc(sizeof(T) * count, alignof(T)));
    if (p == nullptr) return nullptr;
    for (size_t i = 0; i < count; ++i) new (p + i) T();
    return p;
  }
  const char* Str(absl::string_view s) {
    char* d = static_cast<char*>(Alloc(s.size() + 1, 1));
    if (d == nullptr) return nullptr;
    memcpy(d, s.data(), s.size());
    d[s.size()] = '\0';
    return d;
  }
  // A null-terminated array of copies of `v`, or null.
  char* const* Strings(const std::vector<std::string>& v) {
    char** out = New<char*>(v.size() + 1);
    if (out == nullptr) return nullptr;
    for (size_t i = 0; i < v.size(); ++i) {
      out[i] = const_cast<char*>(Str(v[i]));
      if (out[i] == nullptr) return nullptr;
    }
    out[v.size()] = nullptr;
    return out;
  }

 private:
  char* base_;
  size_t capacity_;
  size_t used_ = 0;
};

bool CopyMountOps(const MountPlan& mounts, PlanArena* arena, ChildPlan* plan) {
  if (mounts.ops.empty()) return true;
  ChildMountOp* ops = arena->New<ChildMountOp>(mounts.ops.size());
  if (ops == nullptr) return false;
  for (size_t i = 0; i < mounts.ops.size(); ++i) {
    const MountOp& op = mounts.ops[i];
    ops[i] = ChildMountOp{op.kind, arena->Str(op.path), arena->Str(op.source),
                          op.source.size(), op.flags, op.mode};
    if (ops[i].path == nullptr || ops[i].source == nullptr) return false;
  }
  plan->mount_ops = ops;
  plan->mount_op_count = mounts.ops.size();
  return true;
}

bool CopySeccomp(const PlanSource& src, PlanArena* arena, ChildPlan* plan) {
  if (src.seccomp == nullptr) return true;
  const sock_fprog* from =
      src.flags.seccomp_notify ? src.seccomp->notify_prog() : src.seccomp->prog();
  auto* prog = arena->New<sock_fprog>(1);
  auto* insns = arena->New<sock_filter>(from->len);
  if (prog == nullptr || insns == nullptr) return false;
  memcpy(insns, from->filter, from->len * sizeof(sock_filter));
  prog->len = from->len;
  prog->filter = insns;
  plan->seccomp = prog;
  return true;
}

}  // namespace

ChildPlan LayerFlags(const LayerSet& layers, const Identity& identity) {
  ChildPlan plan;
  plan.user_ns = layers.Has(Layer::kUserNs);
  plan.pid_ns = layers.Has(Layer::kPidNs);
  plan.mount_ns = layers.Has(Layer::kMountNs);
  plan.uts_ns = layers.Has(Layer::kUtsNs);
  plan.rlimits = layers.Has(Layer::kRlimits);
  if (!plan.mount_ns) {
    static const int abi = LandlockAbi();
    plan.landlock_abi = abi;
  }
  plan.identity = identity;
  return plan;
}

size_t PlanBytes(const PlanSource& src) {
  constexpr size_t kSlack = 16;  // alignment, per allocation
  size_t n = sizeof(PlanHeader) + sizeof(ChildPlan) + sizeof(sock_fprog) + 8 * kSlack;
  for (const std::string& a : *src.argv) n += a.size() + 1 + sizeof(char*) + kSlack;
  for (const std::string& e : src.env) n += e.size() + 1 + sizeof(char*) + kSlack;
  n += 2 * sizeof(char*);
  for (const MountOp& op : src.mounts.ops) {
    n += sizeof(ChildMountOp) + op.path.size() + op.source.size() + 2 + 3 * kSlack;
  }
  if (src.seccomp != nullptr) {
    const sock_fprog* notify = src.seccomp->notify_prog();
    const size_t len = std::max<size_t>(src.seccomp->prog()->len, notify ? notify->len : 0);
    n += len * sizeof(sock_filter) + kSlack;
  }
  n += src.work_dir.size() + 1 + kSlack;
  return n;
}

bool CopyPlan(const PlanSource& src, char* buf, size_t capacity) {
  PlanArena arena(buf, capacity);
  auto* header = arena.New<PlanHeader>(1);
  auto* plan = arena.New<ChildPlan>(1);
  if (header == nullptr || plan == nullptr) return false;
  *plan = src.flags;
  plan->argv = arena.Strings(*src.argv);
  plan->envp = arena.Strings(src.env);
  if (plan->argv == nullptr || plan->envp == nullptr) return false;
  // The filter allows execve of its own exec_path() string, by address: init must pass
  // that very pointer (see SeccompFilter::sequence for when a pre-started init has it).
  plan->exec_path = src.seccomp != nullptr ? src.seccomp->exec_path() : plan->argv[0];
  if (!CopyMountOps(src.mounts, &arena, plan)) return false;
  if (!CopySeccomp(src, &arena, plan)) return false;
  if (!src.work_dir.empty()) {
    plan->work_dir = arena.Str(src.work_dir);
    if (plan->work_dir == nullptr) return false;
  }
  header->plan = plan;
  return true;
}

}  // namespace fathom::sandbox
