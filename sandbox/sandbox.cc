// Sandbox: decides the active layers (probe, trial run) and runs one program with the
// fresh-exec path: Launch (launch.cc) gives it an init, the shared supervision loop
// (supervise.cc) watches it, and init's reports and the counters decide what happened.
//
// Process tree of one run:
//   fathom (parent, any thread) --clone(new namespaces)--> init (PID 1 of the run)
//   init --vfork--> program (PID 2): rlimits, stdio, seccomp, exec   (child_init.cc)
// init reaps everything, reports the program's wait status over the status pipe and
// exits; with a pid namespace its exit kills whatever the program left behind.
#include "sandbox/sandbox.h"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/types/optional.h"
#include "sandbox/cgroup.h"
#include "sandbox/child_error.h"
#include "sandbox/launch.h"
#include "sandbox/prestart_pool.h"
#include "sandbox/supervise.h"
#include "sandbox/verdict.h"

namespace fathom::sandbox {
namespace {

// Status payload naming the ChildStage a failed setup stopped at.
constexpr char kStagePayload[] = "fathom.sandbox.stage";

// The layer a setup stage belongs to, for turning off what this host refuses.
bool LayerOfStage(ChildStage stage, Layer* layer) {
  switch (stage) {
    case ChildStage::kSetGroups:
    case ChildStage::kSetGid:
    case ChildStage::kSetUid:
      *layer = Layer::kUserNs;
      return true;
    case ChildStage::kHostname:
      *layer = Layer::kUtsNs;
      return true;
    case ChildStage::kMountPrivate:
    case ChildStage::kMountRoot:
    case ChildStage::kMountBind:
    case ChildStage::kMountRemount:
    case ChildStage::kMountMkdir:
    case ChildStage::kMountSymlink:
    case ChildStage::kMountTmpfs:
    case ChildStage::kMountProc:
    case ChildStage::kWriteFile:
    case ChildStage::kPivotRoot:
      *layer = Layer::kMountNs;
      return true;
    case ChildStage::kRlimit:
      *layer = Layer::kRlimits;
      return true;
    case ChildStage::kSeccomp:
      *layer = Layer::kSeccomp;
      return true;
    default:
      return false;
  }
}

// The wanted layers this host has. Namespaces other than user need privileges we only
// have inside our own user namespace, unless we are root.
LayerSet ActiveLayers(const LayerSet& wanted, const LayerSet& available) {
  LayerSet active;
  for (const std::string& name : wanted.Names()) {
    Layer l;
    ParseLayer(name, &l);
    if (available.Has(l)) active.Add(l);
  }
  if (!active.Has(Layer::kUserNs) && geteuid() != 0) {
    for (Layer l : {Layer::kPidNs, Layer::kNetNs, Layer::kMountNs, Layer::kIpcNs,
                    Layer::kUtsNs}) {
      active.Remove(l);
    }
  }
  return active;
}

// A fresh-exec run as the supervision loop sees it: over once its init has exited;
// killed with its init and, with the cgroup layer, through its cgroup.
class FreshRun final : public SupervisedRun {
 public:
  FreshRun(long pid, int pidfd, RunCgroup* cgroup)
      : pid_(pid), pidfd_(pidfd), cgroup_(cgroup) {}
  void AddPollFds(pollfd* fds, int* n) override { fds[(*n)++] = {pidfd_, POLLIN, 0}; }
  bool AfterPoll(const pollfd*) override {
    pollfd done = {pidfd_, POLLIN, 0};
    return poll(&done, 1, 0) == 1;
  }
  void Kill() override {
    kill(pid_, SIGKILL);
    if (cgroup_ != nullptr) cgroup_->KillAll();
  }
  int64_t KilledPollMs() const override { return 50; }  // waiting for the tree to go

 private:
  const long pid_;
  const int pidfd_;
  RunCgroup* const cgroup_;
};

// Reads what init reported once it is gone: the program's wait status into *obs, the
// first failed setup step into *setup_stage and *setup_errno.
void ReadInitReports(int status_fd, Observation* obs, int* setup_stage, int* setup_errno) {
  SetNonBlocking(status_fd);
  ChildMessage m;
  while (read(status_fd, &m, sizeof(m)) == sizeof(m)) {
    if (m.type == ChildMessage::kSetupError && *setup_stage == 0) {
      *setup_stage = m.a;
      *setup_errno = m.b;
    } else if (m.type == ChildMessage::kExitStatus) {
      obs->have_program_status = true;
      obs->program_status = m.a;
    }
  }
}

// The run's CPU time, peak memory and OOM kills, from its cgroup or init's rusage;
// `final_cpu_ms`: RunCounters::CpuMs() when the run ended. Removes the cgroup (killing
// stragglers).
void Account(LaunchedRun& l, int64_t final_cpu_ms, Observation* obs, RunResult* result) {
  const rusage& ru = l.ru;
  const int64_t rusage_cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
                                (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
  result->max_rss_kb = ru.ru_maxrss;
  if (l.cgroup) {
    CgroupStats st = l.cgroup->ReadStats();
    obs->oom_kills = st.oom_kills;
    result->cpu_ms = st.cpu_usage_ns / 1000000;
    // A program that was killed with its init was never reaped by it, so rusage does
    // not cover it: the cgroup's peak does.
    if (!obs->have_program_status) {
      result->max_rss_kb = std::max<int64_t>(result->max_rss_kb, st.memory_peak_bytes / 1024);
    }
  } else {
    result->cpu_ms = std::max(final_cpu_ms, rusage_cpu_ms);
  }
  obs->cpu_ms = result->cpu_ms;
  l.cgroup.reset();
}

}  // namespace

absl::Status SetupErrorStatus(int stage, int err) {
  absl::Status s = absl::InternalError(
      absl::StrCat("sandbox setup failed while ",
                   ChildStageName(static_cast<ChildStage>(stage)), ": ", strerror(err)));
  s.SetPayload(kStagePayload, absl::Cord(absl::StrCat(stage)));
  return s;
}

Sandbox::Sandbox(const SandboxOptions& options, HostProbe probe, LayerSet active)
    : options_(options), probe_(std::move(probe)), active_(active) {}

Sandbox::~Sandbox() {
  pool_.reset();  // its inits' cgroups go first
  RemoveCgroupParents(probe_.cgroups);
}

absl::StatusOr<std::unique_ptr<Sandbox>> Sandbox::Create(const SandboxOptions& options) {
  // A program that closes its stdin while we still feed it must not kill us with
  // SIGPIPE: writes fail with EPIPE instead. (Children get every signal reset to default.)
  signal(SIGPIPE, SIG_IGN);
  HostProbe probe = ProbeHost();
  LayerSet available = probe.Available();
  LayerSet missing = options.required.Minus(available);
  if (!missing.empty()) {
    std::vector<std::string> why;
    for (const std::string& name : missing.Names()) {
      Layer l;
      ParseLayer(name, &l);
      why.push_back(absl::StrCat(name, " (", probe.at(l).reason, ")"));
    }
    RemoveCgroupParents(probe.cgroups);
    return absl::FailedPreconditionError(
        absl::StrCat("required isolation unavailable: ", absl::StrJoin(why, "; ")));
  }
  const LayerSet active = ActiveLayers(options.wanted, available);
  if (!active.Has(Layer::kCgroup)) RemoveCgroupParents(probe.cgroups);
  auto sandbox = std::unique_ptr<Sandbox>(new Sandbox(options, std::move(probe), active));
  if (absl::Status s = sandbox->TrialRun(); !s.ok()) return s;
  // Started after the trial run, which may still switch layers off.
  if (options.prestarted_inits > 0) {
    sandbox->pool_ = std::make_unique<PrestartPool>(sandbox.get(), options.prestarted_inits);
  }
  return sandbox;
}

absl::Status Sandbox::TrialRun() {
  // The per-layer probes try each kernel feature alone; a whole run also bind-mounts,
  // pivots, sets the hostname... and a container's own seccomp profile may refuse one of
  // those. Run /bin/true once with everything active; a layer whose setup step fails is
  // switched off with the reason, unless it is required.
  if (access("/bin/true", X_OK) != 0) return absl::OkStatus();
  RunSpec spec;
  spec.argv = {"/bin/true"};
  spec.ro_binds = {"/usr", "/bin", "/lib", "/lib64"};
  spec.limits.cpu_time_ms = 2000;
  for (int attempt = 0; attempt < static_cast<int>(Layer::kCount); ++attempt) {
    absl::StatusOr<RunResult> r = Run(spec);
    if (r.ok()) return absl::OkStatus();
    absl::optional<absl::Cord> stage_text = r.status().GetPayload(kStagePayload);
    int stage = 0;
    Layer layer;
    if (!stage_text || !absl::SimpleAtoi(std::string(*stage_text), &stage) ||
        !LayerOfStage(static_cast<ChildStage>(stage), &layer) || !active_.Has(layer)) {
      return absl::OkStatus();  // not a layer problem; runs will report it themselves
    }
    const std::string why = absl::StrCat("a trial run failed: ", r.status().message());
    if (options_.required.Has(layer)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "required isolation unavailable: ", LayerName(layer), " (", why, ")"));
    }
    active_.Remove(layer);
    probe_.at(layer).available = false;
    probe_.at(layer).reason = why;
  }
  return absl::OkStatus();
}

absl::StatusOr<RunResult> Sandbox::Run(const RunSpec& spec) {
  absl::StatusOr<std::unique_ptr<LaunchedRun>> launched = Launch(spec, LaunchOptions{});
  if (!launched.ok()) return launched.status();
  LaunchedRun& l = **launched;
  const Limits& limits = spec.limits;
  RunResult result;
  result.layers = l.layers;
  StdioPump pump =
      StdioPump::For(&result, l.out_r.get(), l.err_r.get(), &l.in_w, spec.stdin_data);
  RunCounters counters;
  counters.cgroup = l.cgroup.get();
  counters.parent_pid = static_cast<pid_t>(l.pid);
  FreshRun run(l.pid, l.pidfd.get(), l.cgroup.get());
  Supervision sup;
  sup.violations = ViolationWatch(std::move(l.listener_channel));
  if (absl::Status s = Supervise(spec, l.start_ms, &pump, &counters, &run, &sup); !s.ok()) {
    return s;
  }
  const int64_t final_cpu_ms = counters.CpuMs();
  l.Reap();
  if (sup.cancelled) return absl::CancelledError("run cancelled");
  result.wall_ms = MonotonicMs() - l.start_ms;
  for (auto& s : pump.streams) {
    if (s.fd >= 0 && s.Drain(limits.max_output_bytes) && sup.reason == KillReason::kNone) {
      sup.reason = KillReason::kOutput;
    }
  }
  Observation obs = sup.Observe(limits);
  int setup_stage = 0, setup_errno = 0;
  ReadInitReports(l.status_r.get(), &obs, &setup_stage, &setup_errno);
  Account(l, final_cpu_ms, &obs, &result);
  if (setup_stage != 0) return SetupErrorStatus(setup_stage, setup_errno);
  DecideStatus(obs, &result);
  if (result.status == RunStatus::kSandboxError) {
    return absl::InternalError(absl::StrCat(
        "the sandbox's init ended without reporting (wait status ", l.init_status, ")"));
  }
  return result;
}

std::vector<pid_t> Sandbox::PrestartedInitPids() {
  return pool_ == nullptr ? std::vector<pid_t>() : pool_->IdlePids();
}

}  // namespace fathom::sandbox
