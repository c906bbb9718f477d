// ZygoteRunner: slots of warm interpreters that fork one child per program (zygote.h).
#include "sandbox/zygote.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "absl/strings/match.h"
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
#include "sandbox/supervise.h"
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
  int cpu = -1;  // the CPU its zygote is pinned to; -1: none

  // Waits for the started zygote's READY, then shields it from the OOM killer and
  // measures its own memory. On failure the process is gone.
  absl::Status AwaitReady();
  // Sets the slot's cgroup to a program with `limits` beside the zygote, when it is not.
  absl::Status FitCgroup(const Limits& limits);
};

namespace {

// The zygote's answer to one request.
struct Report {
  bool ok = false;  // false: "E text" (a setup step of the child failed)
  std::string error;
  int status = 0;
  int64_t cpu_us = 0;
  int64_t maxrss_kb = 0;
  RunTrace trace;
};

// The lines after a traced run's "X ..." line: "T name wall_ns cpu_ns minflt" (the
// child's points) and "Z name start_wall_ns end_wall_ns cpu_ns minflt" (the zygote's).
bool ParseTrace(absl::string_view text, RunTrace* trace) {
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    if (f.size() == 5 && f[0] == "T") {
      TracePoint p{std::string(f[1])};
      if (!absl::SimpleAtoi(f[2], &p.wall_ns) || !absl::SimpleAtoi(f[3], &p.cpu_ns) ||
          !absl::SimpleAtoi(f[4], &p.minflt)) {
        return false;
      }
      trace->child.push_back(std::move(p));
    } else if (f.size() == 6 && f[0] == "Z") {
      ZygotePhase z{std::string(f[1])};
      if (!absl::SimpleAtoi(f[2], &z.start_wall_ns) || !absl::SimpleAtoi(f[3], &z.end_wall_ns) ||
          !absl::SimpleAtoi(f[4], &z.cpu_ns) || !absl::SimpleAtoi(f[5], &z.minflt)) {
        return false;
      }
      trace->zygote.push_back(std::move(z));
    } else {
      return false;
    }
  }
  return true;
}

bool ParseReport(absl::string_view msg, Report* r) {
  if (absl::StartsWith(msg, "E ")) {
    r->ok = false;
    r->error = std::string(msg.substr(2));
    return true;
  }
  if (size_t eol = msg.find('\n'); eol != absl::string_view::npos) {
    if (!ParseTrace(msg.substr(eol + 1), &r->trace)) return false;
    msg = msg.substr(0, eol);
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

// The request body: read by the child after the fork, never by the zygote. `first_arg`:
// where the script starts in spec.argv; `filter`: the one the child installs (null: none).
std::string RequestBody(const RunSpec& spec, size_t first_arg, const LayerSet& layers,
                        bool has_cgroup, const SeccompFilter* filter, bool notify) {
  std::string body;
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
  AppendRecord(&body, 't', absl::StrCat("size=", spec.limits.tmpfs_bytes, ",mode=1777"));
  if (layers.Has(Layer::kRlimits)) {
    // The same rlimits as a fresh run. (RLIMIT_NPROC also counts the zygote, which
    // shares the program's uid: a thread bomb stops one thread earlier.)
    RlimitPlan plan = BuildRlimitPlan(spec.limits, /*per_run_nproc=*/true, !has_cgroup);
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
  if (filter != nullptr) {
    AppendRecord(&body, 'b', notify ? filter->notify_bpf_bytes() : filter->bpf_bytes());
  }
  if (spec.trace_phases) AppendRecord(&body, 'T', "");
  return body;
}

// One request's descriptors: ours, and the child's ends that go with the request.
struct RequestPipes {
  UniqueFd out_r, out_w, err_r, err_w, body_r, body_w, in_r, in_w;

  absl::Status Make(bool has_stdin) {
    if (absl::Status s = MakePipe(&out_r, &out_w); !s.ok()) return s;
    if (absl::Status s = MakePipe(&err_r, &err_w); !s.ok()) return s;
    if (absl::Status s = MakePipe(&body_r, &body_w); !s.ok()) return s;
    if (absl::Status s = MakePipe(&in_r, &in_w); !s.ok()) return s;
    if (!has_stdin) in_w.reset();  // no stdin: end of file at once (RunSpec)
    return absl::OkStatus();
  }
  // Sends the request with the child's ends (false with errno set), then closes ours of
  // them. "N" instead of "R" asks for the child's seccomp listener, which the zygote
  // then sends back as "L" ahead of the report (sandbox/seccomp_notify.h).
  bool Send(int control, bool notify) {
    const int fds[4] = {in_r.get(), out_w.get(), err_w.get(), body_r.get()};
    if (fathom_send_fds(control, notify ? 'N' : 'R', fds, 4) != 0) return false;
    in_r.reset();
    out_w.reset();
    err_w.reset();
    body_r.reset();
    return true;
  }
};

// A zygote's program as the supervision loop sees it: the loop also writes the request
// body; the run is over when the zygote reports on the control socket, and lost when
// the zygote dies or breaks the protocol. The zygote kills its child on request (it has
// not reaped it, so the pid is still that child's).
class ZygoteRun final : public SupervisedRun {
 public:
  ZygoteRun(int control, int zygote_pidfd, const std::string& body, UniqueFd body_w,
            ViolationWatch* violations, bool* lost)
      : control_(control),
        zygote_pidfd_(zygote_pidfd),
        body_(body),
        body_w_(std::move(body_w)),
        violations_(violations),
        lost_(lost) {
    SetNonBlocking(body_w_.get());
  }
  void AddPollFds(pollfd* fds, int* n) override {
    fds[(*n)++] = {control_, POLLIN, 0};
    if (body_w_.get() >= 0) fds[(*n)++] = {body_w_.get(), POLLOUT, 0};
  }
  bool AfterPoll(const pollfd* own) override {
    if (body_w_.get() >= 0 && WriteSome(body_w_.get(), body_, &body_done_)) body_w_.reset();
    if (own[0].revents != 0) {
      char buf[8192];  // zygote_child.c's largest report
      UniqueFd fd;
      ssize_t m = RecvWithFd(control_, buf, sizeof(buf), &fd, MSG_DONTWAIT);
      if (m < 0 && (errno == EAGAIN || errno == EINTR)) return false;
      if (m == 1 && buf[0] == 'L') {
        violations_->Adopt(std::move(fd));  // the listener, ahead of the report
      } else if (m <= 0 || !ParseReport(absl::string_view(buf, m), &report_)) {
        *lost_ = true;
        return true;
      } else {
        have_report_ = true;
      }
    }
    pollfd dead = {zygote_pidfd_, POLLIN, 0};
    if (!have_report_ && poll(&dead, 1, 0) == 1) *lost_ = true;
    return have_report_ || *lost_;
  }
  void Kill() override {
    if (fathom_send_fds(control_, 'K', nullptr, 0) != 0) *lost_ = true;
  }
  bool Lost() const override { return *lost_; }
  int64_t KilledPollMs() const override { return 1000; }  // the report follows
  const Report& report() const { return report_; }

 private:
  const int control_;
  const int zygote_pidfd_;
  const std::string& body_;
  UniqueFd body_w_;
  size_t body_done_ = 0;
  ViolationWatch* const violations_;
  bool* const lost_;
  Report report_;
  bool have_report_ = false;
};

// The program is gone: its pipes end as soon as we have read what it left in them.
void DrainAfterReport(const Limits& limits, StdioPump* pump, Supervision* sup) {
  for (auto& s : pump->streams) {
    while (s.fd >= 0) {
      pollfd p = {s.fd, POLLIN, 0};
      if (poll(&p, 1, 1000) != 1) break;
      if (s.Drain(limits.max_output_bytes) && sup->reason == KillReason::kNone) {
        sup->reason = KillReason::kOutput;
      }
    }
  }
}

// The result of a run the zygote reported.
absl::StatusOr<RunResult> Decide(const Report& report, const Limits& limits,
                                 const Supervision& sup, RunCounters* counters,
                                 RunResult result) {
  if (!report.ok) {
    return absl::InternalError(
        absl::StrCat("the zygote's child failed its setup while ", report.error));
  }
  Observation obs = sup.Observe(limits);
  obs.have_program_status = true;
  obs.program_status = report.status;
  result.cpu_ms = report.cpu_us / 1000;
  if (sup.reason == KillReason::kCpu) result.cpu_ms = std::max(result.cpu_ms, counters->CpuMs());
  result.max_rss_kb = report.maxrss_kb;
  result.trace = report.trace;
  obs.cpu_ms = result.cpu_ms;
  obs.oom_kills = counters->OomKills();
  DecideStatus(obs, &result);
  return result;
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
  const std::vector<int> pins =
      runner->options_.pin_slots ? CpusToPin(runner->options_.slots) : std::vector<int>();
  // Every slot's zygote imports its modules at the same time: started one after the
  // other, N slots took N start-ups (about 0.1 s each) before the first program.
  for (int i = 0; i < runner->options_.slots; ++i) {
    runner->slots_.push_back(std::make_unique<Slot>());
    if (!pins.empty()) runner->slots_.back()->cpu = pins[i];
    if (absl::Status s = runner->LaunchSlot(*runner->slots_.back()); !s.ok()) return s;
  }
  for (auto& slot : runner->slots_) {
    if (absl::Status s = runner->AwaitSlot(*slot); !s.ok()) return s;
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

ServiceSpec ZygoteRunner::ServiceSpecFor(int control_fd, int cpu) const {
  ServiceSpec svc;
  svc.run.argv = options_.command;
  svc.run.argv.push_back("-c");
  svc.run.argv.push_back(kPythonZygoteSource);
  svc.run.argv.push_back(options_.per_program_ipc_namespace ? "ipc=own" : "ipc=shared");
  if (cpu >= 0) svc.run.argv.push_back(absl::StrCat("cpu=", cpu));
  svc.run.argv.insert(svc.run.argv.end(), options_.preload.begin(), options_.preload.end());
  if (!options_.usual_script.empty()) {
    svc.run.argv.push_back(absl::StrCat("script=", options_.usual_script));
  }
  for (const File& source : options_.preload_sources) {
    // Read from the zygote's work dir before its scratch tmpfs covers it.
    svc.run.argv.push_back(absl::StrCat("source=", source.name));
    svc.run.files.push_back(
        {absl::StrCat(kZygotePreloadPrefix, source.name, ".py"), source.content});
  }
  svc.run.env = options_.env;
  // The zygote's interpreter preloads the children's library: before CPython allocates
  // anything it aligns the heap and takes the arenas into one region, so that the zygote's
  // memory can be put in huge pages before its first fork (sandbox/zygote_memory.c). Ours
  // goes last in LD_PRELOAD, and the zygote takes it out of its environment at once
  // (python_zygote.py), so no program sees it.
  const std::string ours = absl::StrCat(kSandboxWorkDir, "/", kZygoteChildSoName);
  auto preload = std::find_if(svc.run.env.begin(), svc.run.env.end(), [](const std::string& e) {
    return absl::StartsWith(e, "LD_PRELOAD=");
  });
  if (preload == svc.run.env.end()) {
    svc.run.env.push_back(absl::StrCat("LD_PRELOAD=", ours));
  } else {
    absl::StrAppend(&*preload, preload->size() > strlen("LD_PRELOAD=") ? ":" : "", ours);
  }
  svc.run.ro_binds = options_.ro_binds;
  // The slot's cgroup starts with the default limits (and the zygote); every run sets
  // its own.
  svc.run.limits.max_processes += 1;
  svc.run.limits.tmpfs_bytes = 4 << 20;  // the zygote's own /tmp: the children mount theirs
  svc.run.files.push_back(
      {kZygoteChildSoName,
       std::string(reinterpret_cast<const char*>(kZygoteChildSo), kZygoteChildSoSize)});
  if (!options_.zygote_filter_bpf.empty() && sandbox_->active_layers().Has(Layer::kSeccomp)) {
    // The zygote's part of the split filter: it installs it after its imports.
    svc.run.files.push_back({kZygoteFilterName, options_.zygote_filter_bpf});
  }
  svc.control_fd = control_fd;
  svc.keep_sys_admin = true;
  return svc;
}

absl::Status ZygoteRunner::Slot::AwaitReady() {
  // READY comes after the imports, which take a moment; a zygote that dies says why on
  // stderr.
  pollfd pfd = {control.get(), POLLIN, 0};
  char buf[64];
  ssize_t n = -1;
  if (poll(&pfd, 1, 60000) == 1) n = recv(control.get(), buf, sizeof(buf), 0);
  if (n != 5 || memcmp(buf, "READY", 5) != 0) {
    std::string why = process->StderrTail();
    process.reset();
    return absl::InternalError(absl::StrCat("the Python zygote did not start",
                                            why.empty() ? "" : ": ", why));
  }
  // Shield the zygote from the OOM killer: under memory pressure in its cgroup the
  // program is the one to go (its oom_score_adj is reset to 0 after the fork).
  (void)WriteControlFile(absl::StrCat("/proc/", process->pid(), "/oom_score_adj"), "-1000");
  if (RunCgroup* cg = process->cgroup()) baseline_memory_bytes = cg->MemoryUsageBytes();
  return absl::OkStatus();
}

absl::Status ZygoteRunner::StartSlot(Slot& slot) {
  if (absl::Status s = LaunchSlot(slot); !s.ok()) return s;
  return AwaitSlot(slot);
}

absl::Status ZygoteRunner::LaunchSlot(Slot& slot) {
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
  const ServiceSpec svc = ServiceSpecFor(theirs.get(), slot.cpu);
  slot.cgroup_limits = {svc.run.limits.memory_bytes, svc.run.limits.max_processes};
  absl::StatusOr<std::unique_ptr<ServiceProcess>> proc = sandbox_->StartService(svc);
  if (!proc.ok()) return proc.status();
  slot.process = std::move(*proc);
  return absl::OkStatus();
}

absl::Status ZygoteRunner::AwaitSlot(Slot& slot) {
  if (absl::Status s = slot.AwaitReady(); !s.ok()) return s;
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
  Slot* slot = AcquireSlot();
  absl::StatusOr<RunResult> result = RunWithRetry(*slot, spec);
  ReleaseSlot(slot);
  return result;
}

ZygoteRunner::Slot* ZygoteRunner::AcquireSlot() {
  Slot* slot = nullptr;
  const int here = sched_getcpu();
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] {
    for (auto& s : slots_) {
      if (!s->busy && (slot == nullptr || s->cpu == here)) slot = s.get();
    }
    return slot != nullptr;
  });
  slot->busy = true;
  ++stats_.runs;
  return slot;
}

void ZygoteRunner::ReleaseSlot(Slot* slot) {
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
}

absl::StatusOr<RunResult> ZygoteRunner::RunWithRetry(Slot& slot, const RunSpec& spec) {
  absl::StatusOr<RunResult> result;
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool lost = false;
    if (slot.process == nullptr) {
      if (absl::Status s = StartSlot(slot); !s.ok()) return s;
    }
    {
      // The caller waits on the zygote's CPU: the request, the program's end and the
      // report then wake no other CPU (ZygoteOptions::pin_slots). Not while it starts a
      // zygote, which would inherit the pin as the CPUs its programs may use.
      ThreadOnCpu on_slot_cpu(slot.cpu);
      result = RunInSlot(slot, spec, &lost);
    }
    if (!lost) break;
    if (spec.cancel != nullptr && spec.cancel->cancelled()) {
      return absl::CancelledError("run cancelled");  // the next run restarts the slot
    }
    // The zygote died or broke the protocol: start a fresh one; run the program once more.
    std::string why = slot.process->StderrTail();
    {
      std::lock_guard<std::mutex> lock(mu_);
      slot.pid = 0;
      ++stats_.restarts;
      if (attempt == 0) ++stats_.retries;
    }
    slot.process.reset();
    if (absl::Status s = StartSlot(slot); !s.ok()) return s;
    if (attempt == 1) {
      result = absl::InternalError(absl::StrCat(
          "the zygote lost this program's run twice (", result.status().message(), ")",
          why.empty() ? "" : ": ", why));
    }
  }
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

absl::Status ZygoteRunner::Slot::FitCgroup(const Limits& limits) {
  RunCgroup* cgroup = process->cgroup();
  if (cgroup == nullptr) return absl::OkStatus();
  CgroupLimits want{limits.memory_bytes + baseline_memory_bytes, limits.max_processes + 1};
  if (want.memory_bytes != cgroup_limits.memory_bytes ||
      want.max_processes != cgroup_limits.max_processes) {
    if (absl::Status s = cgroup->SetLimits(want); !s.ok()) return s;
    cgroup_limits = want;
  }
  return absl::OkStatus();
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
  // With notification the child's listener comes back on the control socket
  // (sandbox/seccomp_notify.h).
  const SeccompFilter* filter =
      layers.Has(Layer::kSeccomp) ? options_.child_filter.get() : nullptr;
  const bool notify =
      filter != nullptr && sandbox_->seccomp_notify() && filter->notify_prog() != nullptr;
  const std::string body =
      RequestBody(spec, options_.command.size(), layers, cgroup != nullptr, filter, notify);
  if (absl::Status s = slot.FitCgroup(limits); !s.ok()) return s;

  RequestPipes pipes;
  if (absl::Status s = pipes.Make(spec.has_stdin); !s.ok()) return s;
  RunCounters counters;
  counters.cgroup = cgroup;
  counters.cpu_base_ns = cgroup != nullptr ? cgroup->CpuUsageNs() : 0;
  counters.oom_base = cgroup != nullptr ? cgroup->OomKills() : 0;
  counters.parent_pid = slot.process->pid();
  const int64_t start_ms = MonotonicMs();
  if (!pipes.Send(slot.control.get(), notify)) {
    *lost = true;
    return ErrnoStatus("send the request to the zygote");
  }

  RunResult result;
  result.layers = layers;
  StdioPump pump =
      StdioPump::For(&result, pipes.out_r.get(), pipes.err_r.get(), &pipes.in_w, spec.stdin_data);
  Supervision sup;
  if (notify) sup.violations = ViolationWatch::OnControl(slot.control.get());
  ZygoteRun run(slot.control.get(), slot.process->pidfd(), body, std::move(pipes.body_w),
                &sup.violations, lost);
  if (absl::Status s = Supervise(spec, start_ms, &pump, &counters, &run, &sup); !s.ok()) {
    return s;
  }
  if (*lost) {
    return absl::InternalError(absl::StrCat("the zygote (pid ", counters.parent_pid,
                                            ") died or broke the protocol"));
  }
  if (sup.cancelled) return absl::CancelledError("run cancelled");
  result.wall_ms = MonotonicMs() - start_ms;
  DrainAfterReport(limits, &pump, &sup);
  return Decide(run.report(), limits, sup, &counters, std::move(result));
}

}  // namespace fathom::sandbox
