// ZygoteRunner: slots of warm interpreters that fork one child per program (zygote.h).
#include "sandbox/zygote.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sandbox/cgroup.h"
#include "sandbox/file_util.h"
#include "sandbox/mounts.h"
#include "sandbox/process_util.h"
#include "sandbox/rlimits.h"
#include "sandbox/seccomp_notify.h"
#include "sandbox/send_fd.h"
#include "sandbox/verdict.h"

namespace fathom::sandbox {

struct ZygoteRunner::Slot {
  std::unique_ptr<ServiceProcess> process;
  UniqueFd control;                 // our end of the SOCK_SEQPACKET pair
  int64_t baseline_memory_bytes = 0;  // the zygote's own charge, measured once warm
  CgroupLimits cgroup_limits;         // what the slot's cgroup is set to now
  bool busy = false;
  pid_t pid = 0;  // of the live zygote; guarded by the runner's mu_
  int64_t runs_since_rss_check = 0;
};

namespace {

// The zygote's answer to one request.
struct Report {
  bool ok = false;  // false: "E text" (a setup step of the child failed)
  std::string error;
  int status = 0;
  int64_t cpu_us = 0;
  int64_t maxrss_kb = 0;
};

bool ParseReport(absl::string_view msg, Report* r) {
  if (absl::StartsWith(msg, "E ")) {
    r->ok = false;
    r->error = std::string(msg.substr(2));
    return true;
  }
  std::vector<absl::string_view> f = absl::StrSplit(msg, ' ');
  int64_t ut = 0, st = 0;
  if (f.size() != 5 || f[0] != "X" || !absl::SimpleAtoi(f[1], &r->status) ||
      !absl::SimpleAtoi(f[2], &ut) || !absl::SimpleAtoi(f[3], &st) ||
      !absl::SimpleAtoi(f[4], &r->maxrss_kb)) {
    return false;
  }
  r->ok = true;
  r->cpu_us = ut + st;
  return true;
}

void AppendRecord(std::string* out, char tag, absl::string_view value) {
  out->push_back(tag);
  const uint32_t n = static_cast<uint32_t>(value.size());
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out->append(value.data(), value.size());
}

int64_t VmHwmKb(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "VmHWM:")) {
      int64_t kb = 0;
      std::vector<absl::string_view> f =
          absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (f.size() >= 2 && absl::SimpleAtoi(f[1], &kb)) return kb;
    }
  }
  return 0;
}

}  // namespace

ZygoteRunner::ZygoteRunner(Sandbox* sandbox, ZygoteOptions options)
    : sandbox_(sandbox), options_(std::move(options)) {}

ZygoteRunner::~ZygoteRunner() = default;

absl::StatusOr<std::unique_ptr<ZygoteRunner>> ZygoteRunner::Create(Sandbox* sandbox,
                                                                   ZygoteOptions options) {
  const LayerSet active = sandbox->active_layers();
  for (Layer need : {Layer::kUserNs, Layer::kPidNs, Layer::kMountNs}) {
    if (!active.Has(need)) {
      return absl::FailedPreconditionError(
          absl::StrCat("the zygote needs the ", LayerName(need), " layer, which is off"));
    }
  }
  if (options.command.empty() || options.slots < 1) {
    return absl::InvalidArgumentError("zygote: empty command or no slots");
  }
  if ((options.fresh_filter == nullptr) != (options.child_filter == nullptr)) {
    return absl::InvalidArgumentError("zygote: both seccomp filters or neither");
  }
  std::unique_ptr<ZygoteRunner> runner(new ZygoteRunner(sandbox, std::move(options)));
  for (int i = 0; i < runner->options_.slots; ++i) {
    runner->slots_.push_back(std::make_unique<Slot>());
    if (absl::Status s = runner->StartSlot(*runner->slots_.back()); !s.ok()) return s;
  }
  // A trial program through every slot: a host (or container) that refuses one of the
  // child's steps (its mounts, its filter...) is found here, and the caller takes the
  // fresh path, instead of every program ending as a sandbox error.
  RunSpec trial;
  trial.argv = runner->options_.command;
  trial.argv.push_back(absl::StrCat(kSandboxWorkDir, "/trial.py"));
  trial.files.push_back({"trial.py", "print('ok')\n"});
  trial.env = runner->options_.env;
  trial.ro_binds = runner->options_.ro_binds;
  trial.seccomp = runner->options_.fresh_filter;
  trial.limits.cpu_time_ms = 10000;
  for (auto& slot : runner->slots_) {
    bool lost = false;
    absl::StatusOr<RunResult> r = runner->RunInSlot(*slot, trial, &lost);
    if (!r.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the zygote's trial run failed: ", r.status().message(), " ",
          slot->process->StderrTail()));
    }
    if (r->status != RunStatus::kOk || r->stdout_data != "ok\n") {
      return absl::FailedPreconditionError(absl::StrCat(
          "the zygote's trial run ended ", RunStatusName(r->status), ": ",
          r->stderr_data.substr(0, 2000)));
    }
  }
  return runner;
}

absl::Status ZygoteRunner::StartSlot(Slot& slot) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    slot.pid = 0;
  }
  slot.process.reset();
  slot.control.reset();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return ErrnoStatus("socketpair");
  }
  slot.control.reset(sv[0]);
  UniqueFd theirs(sv[1]);

  ServiceSpec svc;
  svc.run.argv = options_.command;
  svc.run.argv.push_back("-c");
  svc.run.argv.push_back(kPythonZygoteSource);
  svc.run.argv.push_back(options_.per_program_ipc_namespace ? "ipc=own" : "ipc=shared");
  svc.run.argv.insert(svc.run.argv.end(), options_.preload.begin(), options_.preload.end());
  svc.run.env = options_.env;
  svc.run.ro_binds = options_.ro_binds;
  // The slot's cgroup starts with the default limits; every run sets its own.
  slot.cgroup_limits = {svc.run.limits.memory_bytes, svc.run.limits.max_processes + 1};
  svc.run.limits.max_processes = slot.cgroup_limits.max_processes;
  svc.run.limits.tmpfs_bytes = 4 << 20;  // the zygote's own /tmp: the children mount theirs
  svc.run.files.push_back(
      {kZygoteChildSoName,
       std::string(reinterpret_cast<const char*>(kZygoteChildSo), kZygoteChildSoSize)});
  if (!options_.zygote_filter_bpf.empty() && sandbox_->active_layers().Has(Layer::kSeccomp)) {
    // The zygote's part of the split filter: it installs it after its imports.
    svc.run.files.push_back({kZygoteFilterName, options_.zygote_filter_bpf});
  }
  svc.control_fd = theirs.get();
  svc.keep_sys_admin = true;
  absl::StatusOr<std::unique_ptr<ServiceProcess>> proc = sandbox_->StartService(svc);
  if (!proc.ok()) return proc.status();
  slot.process = std::move(*proc);
  theirs.reset();

  // Wait for READY (the imports take a moment); a zygote that dies says why on stderr.
  pollfd pfd = {slot.control.get(), POLLIN, 0};
  char buf[64];
  ssize_t n = -1;
  if (poll(&pfd, 1, 60000) == 1) n = recv(slot.control.get(), buf, sizeof(buf), 0);
  if (n != 5 || memcmp(buf, "READY", 5) != 0) {
    std::string why = slot.process->StderrTail();
    slot.process.reset();
    return absl::InternalError(absl::StrCat("the Python zygote did not start",
                                            why.empty() ? "" : ": ", why));
  }
  // Shield the zygote from the OOM killer: under memory pressure in its cgroup the
  // program is the one to go (its oom_score_adj is reset to 0 after the fork).
  (void)WriteControlFile(absl::StrCat("/proc/", slot.process->pid(), "/oom_score_adj"),
                         "-1000");
  if (RunCgroup* cg = slot.process->cgroup()) {
    slot.baseline_memory_bytes = cg->MemoryUsageBytes();
  }
  std::lock_guard<std::mutex> lock(mu_);
  slot.pid = slot.process->pid();
  return absl::OkStatus();
}

bool ZygoteRunner::Serves(const RunSpec& spec) const {
  const std::vector<std::string>& cmd = options_.command;
  if (spec.argv.size() <= cmd.size() || !std::equal(cmd.begin(), cmd.end(), spec.argv.begin())) {
    return false;
  }
  const std::string& script = spec.argv[cmd.size()];
  if (script.empty() || script[0] == '-') return false;
  const bool is_file = std::any_of(spec.files.begin(), spec.files.end(), [&](const File& f) {
    return script == f.name || script == absl::StrCat(kSandboxWorkDir, "/", f.name);
  });
  return is_file && spec.ro_binds == options_.ro_binds &&
         spec.seccomp == options_.fresh_filter;
}

absl::StatusOr<RunResult> ZygoteRunner::Run(const RunSpec& spec) {
  if (spec.cancel != nullptr && spec.cancel->cancelled()) {
    return absl::CancelledError("run cancelled before it started");
  }
  if (!Serves(spec)) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.fresh_runs;
    }
    return sandbox_->Run(spec);
  }
  Slot* slot = nullptr;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] {
      for (auto& s : slots_) {
        if (!s->busy) {
          slot = s.get();
          return true;
        }
      }
      return false;
    });
    slot->busy = true;
    ++stats_.runs;
  }
  absl::StatusOr<RunResult> result;
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool lost = false;
    if (slot->process == nullptr) {
      if (absl::Status s = StartSlot(*slot); !s.ok()) {
        result = s;
        break;
      }
    }
    result = RunInSlot(*slot, spec, &lost);
    if (!lost) break;
    if (spec.cancel != nullptr && spec.cancel->cancelled()) {
      result = absl::CancelledError("run cancelled");  // the next run restarts the slot
      break;
    }
    // The zygote died or broke the protocol: start a fresh one; run the program once more.
    std::string why = slot->process->StderrTail();
    {
      std::lock_guard<std::mutex> lock(mu_);
      slot->pid = 0;
      ++stats_.restarts;
      if (attempt == 0) ++stats_.retries;
    }
    slot->process.reset();
    if (absl::Status s = StartSlot(*slot); !s.ok()) {
      result = s;
      break;
    }
    if (attempt == 1) {
      result = absl::InternalError(absl::StrCat(
          "the zygote lost this program's run twice (", result.status().message(), ")",
          why.empty() ? "" : ": ", why));
    }
  }
  if (slot->process != nullptr && ++slot->runs_since_rss_check >= 64) NotePeakRss(*slot);
  if (slot->process == nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    slot->pid = 0;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    slot->busy = false;
  }
  cv_.notify_one();
  return result;
}

void ZygoteRunner::NotePeakRss(Slot& slot) {
  slot.runs_since_rss_check = 0;
  const int64_t kb = VmHwmKb(slot.process->pid());
  std::lock_guard<std::mutex> lock(mu_);
  stats_.peak_rss_kb = std::max(stats_.peak_rss_kb, kb);
}

ZygoteStats ZygoteRunner::stats() {
  std::vector<pid_t> pids = zygote_pids();
  int64_t peak = 0;
  for (pid_t p : pids) peak = std::max(peak, VmHwmKb(p));
  std::lock_guard<std::mutex> lock(mu_);
  stats_.peak_rss_kb = std::max(stats_.peak_rss_kb, peak);
  return stats_;
}

std::vector<pid_t> ZygoteRunner::zygote_pids() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<pid_t> pids;
  for (auto& s : slots_) {
    if (s->pid > 0) pids.push_back(s->pid);
  }
  return pids;
}

absl::StatusOr<RunResult> ZygoteRunner::RunInSlot(Slot& slot, const RunSpec& spec,
                                                  bool* lost) {
  *lost = false;
  const Limits& limits = spec.limits;
  RunCgroup* cgroup = slot.process->cgroup();
  const LayerSet layers = [&] {
    LayerSet l = sandbox_->active_layers();
    if (spec.seccomp == nullptr) l.Remove(Layer::kSeccomp);
    return l;
  }();

  // The request body: read by the child after the fork, never by the zygote.
  std::string body;
  const size_t first_arg = options_.command.size();
  for (size_t i = first_arg; i < spec.argv.size(); ++i) AppendRecord(&body, 'a', spec.argv[i]);
  for (const std::string& a : spec.argv) AppendRecord(&body, 'o', a);
  for (const std::string& e : spec.env) AppendRecord(&body, 'e', e);
  for (const File& f : spec.files) {
    AppendRecord(&body, 'f', f.name);
    AppendRecord(&body, 'c', f.content);
  }
  const std::string& script = spec.argv[first_arg];
  AppendRecord(&body, 's',
               script[0] == '/' ? script : absl::StrCat(kSandboxWorkDir, "/", script));
  AppendRecord(&body, 'w', kSandboxWorkDir);
  AppendRecord(&body, 't', absl::StrCat("size=", limits.tmpfs_bytes, ",mode=1777"));
  if (layers.Has(Layer::kRlimits)) {
    // The same rlimits as a fresh run. (RLIMIT_NPROC also counts the zygote, which
    // shares the program's uid: a thread bomb stops one thread earlier.)
    RlimitPlan plan = BuildRlimitPlan(limits, /*per_run_nproc=*/true, cgroup == nullptr);
    for (int i = 0; i < plan.count; ++i) {
      char rec[20];
      const int32_t res = plan.entries[i].resource;
      const uint64_t soft = plan.entries[i].value.rlim_cur;
      const uint64_t hard = plan.entries[i].value.rlim_max;
      memcpy(rec, &res, 4);
      memcpy(rec + 4, &soft, 8);
      memcpy(rec + 12, &hard, 8);
      AppendRecord(&body, 'r', absl::string_view(rec, sizeof(rec)));
    }
  }
  // With notification the child sends its listener back over a fifth descriptor
  // (sandbox/seccomp_notify.h).
  const bool seccomp = layers.Has(Layer::kSeccomp) && options_.child_filter != nullptr;
  const bool notify =
      seccomp && sandbox_->seccomp_notify() && options_.child_filter->notify_prog() != nullptr;
  if (seccomp) {
    AppendRecord(&body, 'b', notify ? options_.child_filter->notify_bpf_bytes()
                                    : options_.child_filter->bpf_bytes());
  }

  if (cgroup != nullptr) {
    CgroupLimits want{limits.memory_bytes + slot.baseline_memory_bytes,
                      limits.max_processes + 1};
    if (want.memory_bytes != slot.cgroup_limits.memory_bytes ||
        want.max_processes != slot.cgroup_limits.max_processes) {
      if (absl::Status s = cgroup->SetLimits(want); !s.ok()) return s;
      slot.cgroup_limits = want;
    }
  }

  UniqueFd out_r, out_w, err_r, err_w, body_r, body_w, in_r, in_w, channel_r, channel_w;
  if (notify) {
    if (absl::Status s = MakeListenerChannel(&channel_r, &channel_w); !s.ok()) return s;
  }
  if (absl::Status s = MakePipe(&out_r, &out_w); !s.ok()) return s;
  if (absl::Status s = MakePipe(&err_r, &err_w); !s.ok()) return s;
  if (absl::Status s = MakePipe(&body_r, &body_w); !s.ok()) return s;
  if (absl::Status s = MakePipe(&in_r, &in_w); !s.ok()) return s;
  if (!spec.has_stdin) in_w.reset();  // no stdin: end of file at once (RunSpec)

  const int64_t cpu_base_ns = cgroup != nullptr ? cgroup->CpuUsageNs() : 0;
  const int64_t oom_base = cgroup != nullptr ? cgroup->OomKills() : 0;
  const int64_t start_ms = MonotonicMs();
  const int fds[5] = {in_r.get(), out_w.get(), err_w.get(), body_r.get(), channel_w.get()};
  if (fathom_send_fds(slot.control.get(), 'R', fds, notify ? 5 : 4) != 0) {
    *lost = true;
    return ErrnoStatus("send the request to the zygote");
  }
  in_r.reset();
  out_w.reset();
  err_w.reset();
  body_r.reset();
  channel_w.reset();

  RunResult result;
  result.layers = layers;
  StdioPump pump = StdioPump::For(&result, out_r.get(), err_r.get(), &in_w, spec.stdin_data);
  SetNonBlocking(body_w.get());
  size_t body_done = 0;

  KillReason reason = KillReason::kNone;
  pid_t program_pid = 0;  // host pid, looked up when first needed
  const pid_t zygote_pid = slot.process->pid();
  auto cpu_ms_now = [&]() -> int64_t {
    if (cgroup != nullptr) return (cgroup->CpuUsageNs() - cpu_base_ns) / 1000000;
    return ProcCpuMs(zygote_pid, &program_pid);
  };
  auto kill_program = [&](KillReason why) {
    if (reason == KillReason::kNone) reason = why;
    // The zygote kills its child (it has not reaped it, so the pid is still that child's).
    if (fathom_send_fds(slot.control.get(), 'K', nullptr, 0) != 0) *lost = true;
  };

  Report report;
  bool have_report = false;
  RunClock clock(start_ms, limits.cpu_time_ms, limits.EffectiveWallTimeMs());
  bool cancelled = false;  // spec.cancel fired: the program is killed, the run is Cancelled
  ViolationWatch violations(std::move(channel_r));
  int64_t oom_kills_at_violation = 0;
  // Takes a notified kill-list syscall before any limit kill is decided (verdict.cc).
  auto violated = [&] {
    if (reason != KillReason::kNone || cancelled || violations.Poll() < 0) return false;
    if (cgroup != nullptr) oom_kills_at_violation = cgroup->OomKills() - oom_base;
    kill_program(KillReason::kSyscall);
    return true;
  };
  while (!have_report && !*lost) {
    if (!cancelled && spec.cancel != nullptr && spec.cancel->cancelled()) {
      cancelled = true;
      if (fathom_send_fds(slot.control.get(), 'K', nullptr, 0) != 0) *lost = true;
      continue;
    }
    int64_t timeout = 1000;  // once killed: the report follows
    if (reason == KillReason::kNone && !cancelled && !violated()) {
      KillReason due = clock.Check(
          cpu_ms_now, [&] { return RunQueueWaitMs(zygote_pid, &program_pid); }, &timeout);
      if (due != KillReason::kNone) {
        kill_program(due);
        continue;
      }
    }
    pollfd pfds[7];
    int n = 0;
    pfds[n++] = {slot.control.get(), POLLIN, 0};
    if (spec.cancel != nullptr && !cancelled) pfds[n++] = {spec.cancel->fd(), POLLIN, 0};
    pump.AddPollFds(pfds, &n);
    if (body_w.get() >= 0) pfds[n++] = {body_w.get(), POLLOUT, 0};
    if (reason == KillReason::kNone) violations.AddPollFds(pfds, &n);
    int pr = poll(pfds, n, static_cast<int>(std::min<int64_t>(timeout, 1000)));
    if (pr < 0 && errno != EINTR) return ErrnoStatus("poll");
    if (pump.Pump(limits.max_output_bytes) && reason == KillReason::kNone && !violated()) {
      kill_program(KillReason::kOutput);
    }
    violated();
    if (body_w.get() >= 0 && WriteSome(body_w.get(), body, &body_done)) body_w.reset();
    if (pfds[0].revents != 0) {
      char buf[4200];
      ssize_t m = recv(slot.control.get(), buf, sizeof(buf), MSG_DONTWAIT);
      if (m < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (m <= 0 || !ParseReport(absl::string_view(buf, m), &report)) {
        *lost = true;
        break;
      }
      have_report = true;
    }
    pollfd dead = {slot.process->pidfd(), POLLIN, 0};
    if (!have_report && poll(&dead, 1, 0) == 1) *lost = true;
  }
  if (*lost) {
    return absl::InternalError(absl::StrCat("the zygote (pid ", zygote_pid,
                                            ") died or broke the protocol"));
  }
  if (cancelled) return absl::CancelledError("run cancelled");
  result.wall_ms = MonotonicMs() - start_ms;
  // The program is gone: its pipes end as soon as we have read what it left in them.
  for (auto& s : pump.streams) {
    while (s.fd >= 0) {
      pollfd p = {s.fd, POLLIN, 0};
      if (poll(&p, 1, 1000) != 1) break;
      if (s.Drain(limits.max_output_bytes) && reason == KillReason::kNone) {
        reason = KillReason::kOutput;
      }
    }
  }
  if (!report.ok) {
    return absl::InternalError(
        absl::StrCat("the zygote's child failed its setup while ", report.error));
  }

  Observation obs;
  obs.kill_reason = reason;
  obs.cpu_limit_ms = limits.cpu_time_ms;
  obs.have_program_status = true;
  obs.program_status = report.status;
  obs.violation_syscall = violations.syscall();
  obs.oom_kills_at_violation = oom_kills_at_violation;
  result.cpu_ms = report.cpu_us / 1000;
  if (reason == KillReason::kCpu) result.cpu_ms = std::max(result.cpu_ms, cpu_ms_now());
  result.max_rss_kb = report.maxrss_kb;
  obs.cpu_ms = result.cpu_ms;
  if (cgroup != nullptr) obs.oom_kills = cgroup->OomKills() - oom_base;
  DecideStatus(obs, &result);
  return result;
}

}  // namespace fathom::sandbox
