// The supervision loop both runners use (supervise.h).
#include "sandbox/supervise.h"

#include <errno.h>

#include <algorithm>

namespace fathom::sandbox {
namespace {

// One run's loop: the state its steps share.
class Supervisor {
 public:
  Supervisor(const RunSpec& spec, int64_t start_ms, StdioPump* pump, RunCounters* counters,
             SupervisedRun* run, Supervision* out)
      : spec_(spec),
        limits_(spec.limits),
        clock_(start_ms, limits_.cpu_time_ms, limits_.EffectiveWallTimeMs()),
        pump_(*pump),
        counters_(*counters),
        run_(*run),
        out_(*out) {}

  absl::Status Loop() {
    while (!run_.Lost()) {
      if (!out_.cancelled && spec_.cancel != nullptr && spec_.cancel->cancelled()) {
        out_.cancelled = true;
        run_.Kill();
        continue;
      }
      int64_t timeout = run_.KilledPollMs();
      if (out_.reason == KillReason::kNone && !out_.cancelled) {
        KillReason due = clock_.Check([&] { return counters_.CpuMs(); },
                                      [&] { return counters_.QueueWaitMs(); }, &timeout);
        if (due != KillReason::kNone) {
          // A notified kill-list syscall still wins over the limit (verdict.cc). Asked here
          // only when a limit is due: the poll below covers the listener otherwise.
          if (!Violated()) KillRun(due);
          continue;
        }
      }
      absl::StatusOr<bool> over = PollOnce(timeout);
      if (!over.ok()) return over.status();
      if (*over) break;
    }
    return absl::OkStatus();
  }

 private:
  // One poll of everything the run may need; true when the run is over.
  absl::StatusOr<bool> PollOnce(int64_t timeout_ms) {
    pollfd fds[8];
    int n = 0;
    run_.AddPollFds(fds, &n);
    if (spec_.cancel != nullptr && !out_.cancelled) fds[n++] = {spec_.cancel->fd(), POLLIN, 0};
    pump_.AddPollFds(fds, &n);
    if (out_.reason == KillReason::kNone) out_.violations.AddPollFds(fds, &n);
    int pr = poll(fds, n, static_cast<int>(std::min<int64_t>(timeout_ms, 1000)));
    if (pr < 0 && errno != EINTR) return ErrnoStatus("poll");
    if (pr >= 0) out_.violations.Polled(fds);
    if (pump_.Pump(limits_.max_output_bytes) && out_.reason == KillReason::kNone &&
        !Violated()) {
      KillRun(KillReason::kOutput);
    }
    Violated();
    MaybeStop();
    return run_.AfterPoll(fds);
  }

  // RunSpec::stop_when, asked each time stdout grew while nothing else is killing the run.
  void MaybeStop() {
    const std::string* out = pump_.streams[0].data;
    if (!spec_.stop_when || out == nullptr || out->size() == stdout_seen_ ||
        out_.reason != KillReason::kNone || out_.cancelled) {
      return;
    }
    stdout_seen_ = out->size();
    if (spec_.stop_when(*out)) KillRun(KillReason::kStopped);
  }

  void KillRun(KillReason why) {
    if (out_.reason == KillReason::kNone) out_.reason = why;
    run_.Kill();
  }

  // Takes a notified kill-list syscall before any limit kill is decided (verdict.cc).
  bool Violated() {
    if (out_.reason != KillReason::kNone || out_.cancelled || out_.violations.Poll() < 0) {
      return false;
    }
    out_.oom_kills_at_violation = counters_.OomKills();
    KillRun(KillReason::kSyscall);
    return true;
  }

  const RunSpec& spec_;
  const Limits& limits_;
  RunClock clock_;
  StdioPump& pump_;
  RunCounters& counters_;
  SupervisedRun& run_;
  Supervision& out_;
  size_t stdout_seen_ = 0;  // stdout's size when stop_when was last asked
};

}  // namespace

int64_t RunCounters::CpuMs() {
  if (cgroup != nullptr) return (cgroup->CpuUsageNs() - cpu_base_ns) / 1000000;
  return ProcCpuMs(parent_pid, &program_pid);
}

int64_t RunCounters::QueueWaitMs() { return RunQueueWaitMs(parent_pid, &program_pid); }

int64_t RunCounters::OomKills() {
  return cgroup != nullptr ? cgroup->OomKills() - oom_base : 0;
}

Observation Supervision::Observe(const Limits& limits) const {
  Observation obs;
  obs.kill_reason = reason;
  obs.cpu_limit_ms = limits.cpu_time_ms;
  obs.violation_syscall = violations.syscall();
  obs.violation_arch = violations.arch();
  obs.oom_kills_at_violation = oom_kills_at_violation;
  return obs;
}

absl::Status Supervise(const RunSpec& spec, int64_t start_ms, StdioPump* pump,
                       RunCounters* counters, SupervisedRun* run, Supervision* out) {
  return Supervisor(spec, start_ms, pump, counters, run, out).Loop();
}

}  // namespace fathom::sandbox
