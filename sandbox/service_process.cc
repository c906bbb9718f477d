// Long-lived services started inside the run layers (the zygote): Sandbox::StartService
// and ServiceProcess (sandbox.h).
#include <signal.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "sandbox/launch.h"
#include "sandbox/sandbox.h"

namespace fathom::sandbox {

struct ServiceProcess::State {
  std::unique_ptr<LaunchedRun> launched;
};

ServiceProcess::ServiceProcess(std::unique_ptr<State> state) : state_(std::move(state)) {}

ServiceProcess::~ServiceProcess() {
  LaunchedRun& l = *state_->launched;
  if (l.pid > 0 && !l.reaped) {
    kill(l.pid, SIGKILL);
    l.Reap();
  }
  if (l.cgroup) l.cgroup->KillAll();
}

pid_t ServiceProcess::pid() const { return static_cast<pid_t>(state_->launched->pid); }
int ServiceProcess::pidfd() const { return state_->launched->pidfd.get(); }
RunCgroup* ServiceProcess::cgroup() const { return state_->launched->cgroup.get(); }
LayerSet ServiceProcess::layers() const { return state_->launched->layers; }

std::string ServiceProcess::StderrTail() {
  constexpr size_t kKeep = 4096;
  int fd = state_->launched->err_r.get();
  char buf[4096];
  ssize_t n;
  while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
    stderr_tail_.append(buf, n);
    if (stderr_tail_.size() > kKeep) stderr_tail_.erase(0, stderr_tail_.size() - kKeep);
  }
  return stderr_tail_;
}

absl::StatusOr<std::unique_ptr<ServiceProcess>> Sandbox::StartService(const ServiceSpec& spec) {
  for (Layer need : {Layer::kUserNs, Layer::kPidNs, Layer::kMountNs}) {
    if (!active_.Has(need)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "a sandboxed service needs the ", LayerName(need), " layer, which is not active"));
    }
  }
  if (spec.run.seccomp != nullptr) {
    return absl::InvalidArgumentError("a service runs without its own seccomp filter");
  }
  auto state = std::make_unique<ServiceProcess::State>();
  LaunchOptions how;
  how.service = true;
  how.keep_sys_admin = spec.keep_sys_admin;
  how.stdin_fd = spec.control_fd;
  absl::StatusOr<std::unique_ptr<LaunchedRun>> launched = Launch(spec.run, how);
  if (!launched.ok()) return launched.status();
  state->launched = std::move(*launched);
  LaunchedRun& l = *state->launched;
  // The status pipe closes on exec (close-on-exec); a failed setup step reports first.
  for (ChildMessage m;;) {
    const StatusRead got = NextStatusMessage(l.status_r.get(), 30000, &m);
    if (got == StatusRead::kTimeout) {
      return absl::DeadlineExceededError("the service did not start in 30 s");
    }
    if (got == StatusRead::kClosed) break;  // exec'd
    if (m.type == ChildMessage::kSetupError) return SetupErrorStatus(m.a, m.b);
  }
  SetNonBlocking(l.err_r.get());
  SetNonBlocking(l.out_r.get());
  return std::make_unique<ServiceProcess>(std::move(state));
}

}  // namespace fathom::sandbox
