// Cgroup layer: one cgroup per run for memory, pids and CPU accounting; verdicts read
// its counters, and the whole tree can be killed through it.
//
// v2 is used when a delegated v2 hierarchy with the memory and pids controllers is
// writable; otherwise the v1 memory, pids and cpuacct controllers. Thread safety:
// RunCgroup is owned by one run; CgroupLayout is immutable after DetectCgroups.
#ifndef FATHOM_SANDBOX_CGROUP_H_
#define FATHOM_SANDBOX_CGROUP_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fathom::sandbox {

struct CgroupLayout {
  enum class Version { kNone, kV1, kV2 };
  Version version = Version::kNone;
  // Parent directories our per-run cgroups are created in (created by DetectCgroups).
  std::string v2_parent;
  std::string v1_memory_parent;
  std::string v1_pids_parent;
  std::string v1_cpuacct_parent;
  std::string description;  // human-readable layout, for doctor
  std::string unavailable_reason;
};

// Finds a usable hierarchy and creates our parent cgroup ("fathom-<pid>") under the
// current process's own cgroup. Never fails: an unusable host yields Version::kNone with
// the reason.
CgroupLayout DetectCgroups();

// Removes the parent cgroups DetectCgroups created (they must be empty).
void RemoveCgroupParents(const CgroupLayout& layout);

struct CgroupLimits {
  int64_t memory_bytes = 0;
  int64_t max_processes = 0;
};

// Counters read after (or during) a run.
struct CgroupStats {
  int64_t cpu_usage_ns = 0;
  int64_t memory_peak_bytes = 0;
  int64_t oom_kills = 0;
  bool memory_limit_hit = false;  // failcnt / max events > 0
};

class RunCgroup {
 public:
  // Creates the per-run cgroup(s) and sets the limits. Owned by one run.
  // Its name is `prefix` and a number unique in this process.
  static absl::StatusOr<std::unique_ptr<RunCgroup>> Create(const CgroupLayout& layout,
                                                           const CgroupLimits& limits,
                                                           absl::string_view prefix = "run-");
  // Renames it to `prefix` and its number (a pre-started init's "idle-N" becomes the
  // "run-N" of the run that takes it).
  absl::Status Rename(absl::string_view prefix);
  // Kills what is left and removes the cgroup(s), retrying briefly while they drain.
  ~RunCgroup();

  // Moves `pid` (a host pid) into the cgroup(s).
  absl::Status AddProcess(pid_t pid);
  // CPU time consumed so far by every task ever in the cgroup.
  int64_t CpuUsageNs() const;
  // OOM kills in the cgroup so far.
  int64_t OomKills() const;
  CgroupStats ReadStats() const;
  // SIGKILLs every process in the cgroup (cgroup.kill on v2, a procs sweep on v1).
  void KillAll();
  // Changes the limits of a live cgroup (the zygote's, between the programs it runs).
  absl::Status SetLimits(const CgroupLimits& limits);
  // Memory charged to the cgroup now.
  int64_t MemoryUsageBytes() const;

 private:
  RunCgroup(const CgroupLayout& layout) : layout_(layout) {}
  // The counters a run polls (CpuUsageNs, OomKills) are read from descriptors opened on
  // first use and kept: a long-lived cgroup (a zygote's) is read several times per
  // program, and opening a cgroup file walks its whole path each time. -1 until opened.
  // Opened once even under concurrent readers (the loser of a race closes its copy).
  int64_t PollCounter(std::atomic<int>* fd, const std::string& path,
                      absl::string_view key) const;
  const CgroupLayout& layout_;
  std::string v2_dir_, mem_dir_, pids_dir_, cpu_dir_;
  uint64_t number_ = 0;
  mutable std::atomic<int> cpu_fd_{-1};
  mutable std::atomic<int> oom_fd_{-1};
};

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_CGROUP_H_
