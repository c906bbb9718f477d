// Cgroup layer: per-run cgroups (v2 when delegated, v1 memory/pids/cpuacct otherwise).
#include "sandbox/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <set>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "sandbox/file_util.h"

namespace fathom::sandbox {
namespace {

constexpr char kCgroupRoot[] = "/sys/fs/cgroup";

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

absl::Status WriteFile(const std::string& path, const std::string& value) {
  return WriteControlFile(path, value);
}

int64_t ReadInt(const std::string& path) {
  std::string s;
  int64_t v = 0;
  if (!ReadFile(path, &s) || !absl::SimpleAtoi(absl::StripAsciiWhitespace(s), &v)) return 0;
  return v;
}

// Value of `key` in a flat-keyed file such as memory.events or cpu.stat.
int64_t ReadKeyed(const std::string& path, absl::string_view key) {
  std::string s;
  if (!ReadFile(path, &s)) return 0;
  for (absl::string_view line : absl::StrSplit(s, '\n')) {
    std::vector<absl::string_view> kv = absl::StrSplit(line, ' ');
    int64_t v = 0;
    if (kv.size() == 2 && kv[0] == key && absl::SimpleAtoi(kv[1], &v)) return v;
  }
  return 0;
}

// Our own cgroup path in hierarchy `controller` ("" for the v2 unified entry), from
// /proc/self/cgroup.
std::string OwnCgroup(absl::string_view controller) {
  std::string s;
  if (!ReadFile("/proc/self/cgroup", &s)) return "";
  for (absl::string_view line : absl::StrSplit(s, '\n')) {
    std::vector<absl::string_view> f = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (f.size() != 3) continue;
    if (controller.empty() ? f[0] == "0" && f[1].empty()
                           : absl::StrContains(absl::StrCat(",", f[1], ","),
                                               absl::StrCat(",", controller, ","))) {
      return std::string(f[2]);
    }
  }
  return "";
}

bool IsDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool ProcessAlive(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

// Removes the child cgroups of `dir` that hold no process (rmdir refuses the others),
// then `dir` itself when it is empty.
void RemoveTree(const std::string& dir) {
  if (DIR* d = opendir(dir.c_str())) {
    std::vector<std::string> children;
    while (dirent* e = readdir(d)) {
      if (e->d_type == DT_DIR && e->d_name[0] != '.') {
        children.push_back(absl::StrCat(dir, "/", e->d_name));
      }
    }
    closedir(d);
    for (const auto& c : children) rmdir(c.c_str());
  }
  rmdir(dir.c_str());
}

// Removes the "fathom-<pid>" parents, and the run cgroups in them, that a killed grader
// left behind (a grader killed with SIGKILL cannot clean up; its runs died with it).
void RemoveStaleParents(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> stale;
  while (dirent* e = readdir(d)) {
    absl::string_view name = e->d_name;
    int pid = 0;
    if (absl::ConsumePrefix(&name, "fathom-") && absl::SimpleAtoi(name, &pid) &&
        pid != getpid() && !ProcessAlive(pid)) {
      stale.push_back(absl::StrCat(dir, "/", e->d_name));
    }
  }
  closedir(d);
  for (const auto& s : stale) RemoveTree(s);
}

// Our own cgroup directory under `mount`. Inside a cgroup namespace (containers)
// /proc/self/cgroup names a path the mounted hierarchy does not have: the mount's root is
// then our cgroup.
std::string OwnDir(const std::string& mount, const std::string& own_path) {
  if (own_path.empty() || own_path == "/") return mount;
  std::string dir = absl::StrCat(mount, own_path);
  return IsDir(dir) ? dir : mount;
}

absl::StatusOr<std::string> MakeParent(const std::string& own_dir) {
  if (!IsDir(own_dir)) return absl::NotFoundError(absl::StrCat(own_dir, " does not exist"));
  RemoveStaleParents(own_dir);
  std::string parent = absl::StrCat(own_dir, "/fathom-", getpid());
  // One left by an earlier process with our pid would hold run-N names we are about to
  // use; cleared the first time this process makes it (later Sandboxes share it).
  static absl::Mutex mu(absl::kConstInit);
  static auto* made = new std::set<std::string>();
  {
    absl::MutexLock lock(&mu);
    if (made->insert(parent).second && IsDir(parent)) RemoveTree(parent);
  }
  if (mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::PermissionDeniedError(
        absl::StrCat("mkdir ", parent, ": ", strerror(errno)));
  }
  return parent;
}

// v2: usable when our cgroup's hierarchy offers memory and pids and we may create
// children with them enabled.
bool TryV2(CgroupLayout* layout, std::string* why) {
  std::string mount_point = kCgroupRoot;
  std::string controllers;
  if (!ReadFile(mount_point + "/cgroup.controllers", &controllers)) {
    mount_point = absl::StrCat(kCgroupRoot, "/unified");
    if (!ReadFile(mount_point + "/cgroup.controllers", &controllers)) {
      *why = "no cgroup v2 hierarchy";
      return false;
    }
  }
  std::string own = OwnDir(mount_point, OwnCgroup(""));
  std::string own_controllers;
  ReadFile(own + "/cgroup.controllers", &own_controllers);
  std::vector<absl::string_view> have = absl::StrSplit(
      absl::StripAsciiWhitespace(own_controllers), ' ', absl::SkipEmpty());
  auto has = [&](absl::string_view c) {
    return std::find(have.begin(), have.end(), c) != have.end();
  };
  if (!has("memory") || !has("pids")) {
    *why = absl::StrCat("cgroup v2 at ", own, " offers no memory/pids controllers ('",
                        absl::StripAsciiWhitespace(own_controllers), "')");
    return false;
  }
  absl::StatusOr<std::string> parent = MakeParent(own);
  if (!parent.ok()) {
    *why = std::string(parent.status().message());
    return false;
  }
  // Enabling controllers for the children of `parent` is allowed because `parent` holds
  // no processes; `own` must delegate them to `parent` first.
  std::string enable = has("cpu") ? "+memory +pids +cpu" : "+memory +pids";
  if (absl::Status s = WriteFile(own + "/cgroup.subtree_control", enable); !s.ok()) {
    // Already enabled is fine; otherwise we cannot use v2 here.
    std::string sc;
    ReadFile(own + "/cgroup.subtree_control", &sc);
    if (!absl::StrContains(sc, "memory") || !absl::StrContains(sc, "pids")) {
      rmdir(parent->c_str());
      *why = absl::StrCat("cgroup v2 at ", own, " is not delegated: ", s.message());
      return false;
    }
  }
  if (absl::Status s = WriteFile(*parent + "/cgroup.subtree_control", enable); !s.ok()) {
    rmdir(parent->c_str());
    *why = std::string(s.message());
    return false;
  }
  layout->version = CgroupLayout::Version::kV2;
  layout->v2_parent = *parent;
  layout->description = absl::StrCat("cgroup v2 at ", *parent, " (", enable, ")");
  return true;
}

bool TryV1(CgroupLayout* layout, std::string* why) {
  std::string dirs[3];
  const char* controllers[3] = {"memory", "pids", "cpuacct"};
  for (int i = 0; i < 3; ++i) {
    std::string mount = absl::StrCat(kCgroupRoot, "/", controllers[i]);
    if (!IsDir(mount) || !ReadFile(mount + "/cgroup.procs", why)) {
      // cpu,cpuacct are often co-mounted.
      if (i == 2 && IsDir(absl::StrCat(kCgroupRoot, "/cpu,cpuacct"))) {
        mount = absl::StrCat(kCgroupRoot, "/cpu,cpuacct");
      } else {
        *why = absl::StrCat("cgroup v1 controller '", controllers[i], "' is not mounted");
        return false;
      }
    }
    absl::StatusOr<std::string> parent =
        MakeParent(OwnDir(mount, OwnCgroup(controllers[i])));
    if (!parent.ok()) {
      for (int j = 0; j < i; ++j) rmdir(dirs[j].c_str());
      *why = absl::StrCat("cgroup v1 ", controllers[i], ": ", parent.status().message());
      return false;
    }
    dirs[i] = *parent;
  }
  layout->version = CgroupLayout::Version::kV1;
  layout->v1_memory_parent = dirs[0];
  layout->v1_pids_parent = dirs[1];
  layout->v1_cpuacct_parent = dirs[2];
  layout->description =
      absl::StrCat("cgroup v1: memory ", dirs[0], ", pids ", dirs[1], ", cpuacct ", dirs[2]);
  return true;
}

std::atomic<uint64_t> g_run_counter{0};

}  // namespace

CgroupLayout DetectCgroups() {
  CgroupLayout layout;
  std::string why_v2, why_v1;
  if (TryV2(&layout, &why_v2)) return layout;
  if (TryV1(&layout, &why_v1)) return layout;
  layout.version = CgroupLayout::Version::kNone;
  layout.unavailable_reason = absl::StrCat(why_v2, "; ", why_v1);
  return layout;
}

void RemoveCgroupParents(const CgroupLayout& layout) {
  for (const std::string* d : {&layout.v2_parent, &layout.v1_memory_parent,
                               &layout.v1_pids_parent, &layout.v1_cpuacct_parent}) {
    if (!d->empty()) rmdir(d->c_str());
  }
}

absl::StatusOr<std::unique_ptr<RunCgroup>> RunCgroup::Create(const CgroupLayout& layout,
                                                             const CgroupLimits& limits,
                                                             absl::string_view prefix) {
  std::unique_ptr<RunCgroup> cg(new RunCgroup(layout));
  cg->number_ = g_run_counter.fetch_add(1);
  const std::string name = absl::StrCat(prefix, cg->number_);
  auto make = [&](const std::string& parent, std::string* dir) -> absl::Status {
    *dir = absl::StrCat(parent, "/", name);
    if (mkdir(dir->c_str(), 0755) != 0) {
      std::string err = strerror(errno);
      dir->clear();
      return absl::InternalError(absl::StrCat("mkdir ", parent, "/", name, ": ", err));
    }
    return absl::OkStatus();
  };
  const std::string mem = absl::StrCat(limits.memory_bytes);
  const std::string pids = absl::StrCat(limits.max_processes);
  if (layout.version == CgroupLayout::Version::kV2) {
    if (absl::Status s = make(layout.v2_parent, &cg->v2_dir_); !s.ok()) return s;
    if (absl::Status s = WriteFile(cg->v2_dir_ + "/memory.max", mem); !s.ok()) return s;
    // No swap: a run that outgrows its memory is killed, not slowed down.
    (void)WriteFile(cg->v2_dir_ + "/memory.swap.max", "0");
    if (absl::Status s = WriteFile(cg->v2_dir_ + "/pids.max", pids); !s.ok()) return s;
  } else if (layout.version == CgroupLayout::Version::kV1) {
    if (absl::Status s = make(layout.v1_memory_parent, &cg->mem_dir_); !s.ok()) return s;
    if (absl::Status s = WriteFile(cg->mem_dir_ + "/memory.limit_in_bytes", mem); !s.ok()) {
      return s;
    }
    // memsw must be >= limit_in_bytes; absent when swap accounting is off.
    (void)WriteFile(cg->mem_dir_ + "/memory.memsw.limit_in_bytes", mem);
    if (absl::Status s = make(layout.v1_pids_parent, &cg->pids_dir_); !s.ok()) return s;
    if (absl::Status s = WriteFile(cg->pids_dir_ + "/pids.max", pids); !s.ok()) return s;
    if (absl::Status s = make(layout.v1_cpuacct_parent, &cg->cpu_dir_); !s.ok()) return s;
  } else {
    return absl::FailedPreconditionError("no usable cgroup hierarchy");
  }
  return cg;
}

absl::Status RunCgroup::Rename(absl::string_view prefix) {
  const std::string name = absl::StrCat(prefix, number_);
  for (std::string* d : {&v2_dir_, &mem_dir_, &pids_dir_, &cpu_dir_}) {
    if (d->empty()) continue;
    std::string to = absl::StrCat(d->substr(0, d->rfind('/') + 1), name);
    if (rename(d->c_str(), to.c_str()) != 0) {
      return absl::InternalError(absl::StrCat("rename ", *d, ": ", strerror(errno)));
    }
    *d = std::move(to);
  }
  return absl::OkStatus();
}

absl::Status RunCgroup::AddProcess(pid_t pid) {
  const std::string p = absl::StrCat(pid);
  for (const std::string* d : {&v2_dir_, &mem_dir_, &pids_dir_, &cpu_dir_}) {
    if (d->empty()) continue;
    if (absl::Status s = WriteFile(*d + "/cgroup.procs", p); !s.ok()) return s;
  }
  return absl::OkStatus();
}

int64_t RunCgroup::PollCounter(std::atomic<int>* fd, const std::string& path,
                               absl::string_view key) const {
  int f = fd->load(std::memory_order_acquire);
  if (f < 0) {
    int opened = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (opened < 0) return 0;
    if (fd->compare_exchange_strong(f, opened, std::memory_order_acq_rel)) {
      f = opened;
    } else {
      close(opened);  // another reader opened it first; f now holds theirs
    }
  }
  // Reading a cgroup file from offset 0 makes the kernel render it afresh.
  char buf[512];
  const ssize_t n = pread(f, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return 0;
  const absl::string_view text(buf, static_cast<size_t>(n));
  int64_t v = 0;
  if (key.empty()) {
    return absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &v) ? v : 0;
  }
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<absl::string_view> kv = absl::StrSplit(line, ' ');
    if (kv.size() == 2 && kv[0] == key && absl::SimpleAtoi(kv[1], &v)) return v;
  }
  return 0;
}

int64_t RunCgroup::CpuUsageNs() const {
  if (!v2_dir_.empty()) return PollCounter(&cpu_fd_, v2_dir_ + "/cpu.stat", "usage_usec") * 1000;
  if (!cpu_dir_.empty()) return PollCounter(&cpu_fd_, cpu_dir_ + "/cpuacct.usage", "");
  return 0;
}

int64_t RunCgroup::OomKills() const {
  if (!v2_dir_.empty()) return PollCounter(&oom_fd_, v2_dir_ + "/memory.events", "oom_kill");
  if (!mem_dir_.empty()) return PollCounter(&oom_fd_, mem_dir_ + "/memory.oom_control", "oom_kill");
  return 0;
}

CgroupStats RunCgroup::ReadStats() const {
  CgroupStats st;
  st.cpu_usage_ns = CpuUsageNs();
  if (!v2_dir_.empty()) {
    st.oom_kills = OomKills();
    st.memory_limit_hit = ReadKeyed(v2_dir_ + "/memory.events", "max") > 0;
    st.memory_peak_bytes = ReadInt(v2_dir_ + "/memory.peak");
  } else if (!mem_dir_.empty()) {
    st.oom_kills = OomKills();
    st.memory_limit_hit = ReadInt(mem_dir_ + "/memory.failcnt") > 0;
    st.memory_peak_bytes = ReadInt(mem_dir_ + "/memory.max_usage_in_bytes");
  }
  return st;
}

absl::Status RunCgroup::SetLimits(const CgroupLimits& limits) {
  const std::string mem = absl::StrCat(limits.memory_bytes);
  const std::string pids = absl::StrCat(limits.max_processes);
  if (!v2_dir_.empty()) {
    if (absl::Status s = WriteFile(v2_dir_ + "/memory.max", mem); !s.ok()) return s;
    return WriteFile(v2_dir_ + "/pids.max", pids);
  }
  if (!mem_dir_.empty()) {
    // v1 refuses a limit_in_bytes above memsw.limit_in_bytes: raise memsw first when
    // growing, lower it last when shrinking (either write may fail harmlessly).
    (void)WriteFile(mem_dir_ + "/memory.memsw.limit_in_bytes", mem);
    if (absl::Status s = WriteFile(mem_dir_ + "/memory.limit_in_bytes", mem); !s.ok()) {
      return s;
    }
    (void)WriteFile(mem_dir_ + "/memory.memsw.limit_in_bytes", mem);
  }
  if (!pids_dir_.empty()) return WriteFile(pids_dir_ + "/pids.max", pids);
  return absl::OkStatus();
}

int64_t RunCgroup::MemoryUsageBytes() const {
  if (!v2_dir_.empty()) return ReadInt(v2_dir_ + "/memory.current");
  if (!mem_dir_.empty()) return ReadInt(mem_dir_ + "/memory.usage_in_bytes");
  return 0;
}

void RunCgroup::KillAll() {
  if (!v2_dir_.empty()) {
    if (WriteFile(v2_dir_ + "/cgroup.kill", "1").ok()) return;
  }
  // v1 has no cgroup.kill: sweep until empty (a fork between read and kill is caught by
  // the next pass; pids.max bounds how many there can be).
  const std::string& dir = !pids_dir_.empty() ? pids_dir_ : (!mem_dir_.empty() ? mem_dir_ : v2_dir_);
  if (dir.empty()) return;
  for (int pass = 0; pass < 100; ++pass) {
    std::string procs;
    if (!ReadFile(dir + "/cgroup.procs", &procs)) return;
    bool any = false;
    for (absl::string_view line : absl::StrSplit(procs, '\n', absl::SkipEmpty())) {
      int pid = 0;
      if (absl::SimpleAtoi(line, &pid) && pid > 0) {
        kill(pid, SIGKILL);
        any = true;
      }
    }
    if (!any) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

RunCgroup::~RunCgroup() {
  for (std::atomic<int>* fd : {&cpu_fd_, &oom_fd_}) {
    if (const int f = fd->exchange(-1); f >= 0) close(f);
  }
  for (std::string* d : {&v2_dir_, &mem_dir_, &pids_dir_, &cpu_dir_}) {
    if (d->empty()) continue;
    // Tasks that were just killed leave the cgroup asynchronously: retry briefly.
    for (int i = 0; i < 200 && rmdir(d->c_str()) != 0 && errno == EBUSY; ++i) {
      if (i == 0) KillAll();
      std::this_thread::sleep_for(std::chrono::milliseconds(i < 10 ? 1 : 10));
    }
  }
}

}  // namespace fathom::sandbox
