// Runs ONE program under isolation and says exactly what happened.
//
// Usage:
//   auto sb = Sandbox::Create(options);          // probes the host once
//   absl::StatusOr<RunResult> r = (*sb)->Run(spec);
//
// Thread safety: Run() may be called concurrently from many threads; each call owns its
// child processes, cgroup and pipes and releases all of them before returning.
#ifndef FATHOM_SANDBOX_SANDBOX_H_
#define FATHOM_SANDBOX_SANDBOX_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sandbox/host_probe.h"
#include "sandbox/layers.h"
#include "sandbox/run_spec.h"

namespace fathom::sandbox {

// Anything that runs a RunSpec. The grader depends on this interface so that its logic
// is tested with a fake (ninja's CommandRunner habit).
class Runner {
 public:
  virtual ~Runner() = default;
  // Non-OK only when the runner itself failed (setup error); everything the program did
  // is a RunResult.
  virtual absl::StatusOr<RunResult> Run(const RunSpec& spec) = 0;
  // The layers every run of this runner gets.
  virtual LayerSet active_layers() const = 0;
};

class RunCgroup;  // sandbox/cgroup.h
struct LaunchedRun;  // sandbox/launch.h
struct PlanSource;  // sandbox/child_plan.h

// A long-lived process started inside the run layers: the zygote (sandbox/zygote.h).
// It gets the namespaces, the mount plan (ro_binds, files, fresh /tmp...) and its own
// cgroup sized by run.limits; no rlimits and no seccomp filter (it runs only our code,
// and the filters of the children it forks would stack on top of one). Init execs it in
// place, so it is PID 1 of its pid namespace: nothing inside can signal it.
struct ServiceSpec {
  RunSpec run;          // run.seccomp must be null
  int control_fd = -1;  // becomes the service's stdin; the caller keeps its own copy
  // Keep CAP_SYS_ADMIN (ambient, in the service's own user namespace only).
  bool keep_sys_admin = false;
};

// A running service. Thread safety: const methods may be called from any thread;
// StderrTail() from one thread at a time.
class ServiceProcess {
 public:
  struct State;
  explicit ServiceProcess(std::unique_ptr<State> state);
  // SIGKILLs the service (its pid namespace dies with it), reaps it, removes its cgroup.
  ~ServiceProcess();
  pid_t pid() const;  // host pid
  int pidfd() const;  // readable once it has exited
  // The service's cgroup; null without the cgroup layer.
  RunCgroup* cgroup() const;
  LayerSet layers() const;
  // The last 4 KiB it wrote to stderr (reads what is pending without blocking).
  std::string StderrTail();

 private:
  std::unique_ptr<State> state_;
  std::string stderr_tail_;
};

struct SandboxOptions {
  // Layers wanted. Unavailable ones are skipped (and reported) unless also in `required`.
  LayerSet wanted = LayerSet::All();
  // Layers that must be active: Create() fails closed when one is unavailable.
  LayerSet required;
  // Outside uid/gid the sandbox user maps to. -1: 65534 (nobody) when we are root, else
  // our own uid (the only one an unprivileged user may map).
  int outside_uid = -1;
  int outside_gid = -1;
  // Inits started ahead of time, each waiting in its own fresh namespaces and cgroup for
  // the run that takes it: a run then skips the clone and the cgroup move, most of its
  // cost beyond the program's own (bench/sandbox_bench). One background thread keeps
  // this many ready; each serves one run. 0: every run starts its own init.
  int prestarted_inits = 1;
  // Report the number of a seccomp violation (the kill list notifies the supervisor,
  // sandbox/seccomp_notify.h) when the host supports it. false: the kill list kills
  // (SECCOMP_RET_KILL_PROCESS) and RunResult.syscall stays -1, as on hosts without it.
  bool seccomp_notify = true;
};

class Sandbox final : public Runner {
 public:
  // Probes the host, decides the active layers (wanted minus unavailable), confirms them
  // with one trial run of /bin/true (a layer whose setup fails there is switched off with
  // the reason), and fails with FailedPrecondition naming the layer and the reason when a
  // required one is missing.
  static absl::StatusOr<std::unique_ptr<Sandbox>> Create(const SandboxOptions& options);
  ~Sandbox() override;

  absl::StatusOr<RunResult> Run(const RunSpec& spec) override;
  LayerSet active_layers() const override { return active_; }

  // Starts `spec`'s service and waits until it has been exec'd. FailedPrecondition when
  // the user, pid or mount namespace is not active (a service shares them between the
  // programs it runs, which is only safe with all three); Internal with the setup stage
  // when the child's setup failed.
  absl::StatusOr<std::unique_ptr<ServiceProcess>> StartService(const ServiceSpec& spec);
  const HostProbe& probe() const { return probe_; }
  // Host pids of the pre-started inits waiting for a run, once the one being started (if
  // any) is ready: our children that belong to no run (for tests that look for what a
  // run left behind).
  std::vector<pid_t> PrestartedInitPids();
  // Whether runs with a seccomp filter report violations' syscall numbers (wanted in
  // the options and supported by the host).
  bool seccomp_notify() const {
    return options_.seccomp_notify && probe_.seccomp_notify.available;
  }

 private:
  Sandbox(const SandboxOptions& options, HostProbe probe, LayerSet active);
  // Runs /bin/true once and switches off layers whose setup this host refuses.
  absl::Status TrialRun();

  class PrestartPool;  // sandbox/prestart_pool.h
  struct LaunchOptions {
    bool service = false;
    bool keep_sys_admin = false;
    int stdin_fd = -1;  // given to the child as stdin instead of spec's
  };
  // Gives the run an init (a pre-started one, or one cloned now), hands it the run's
  // plan and releases it (sandbox/launch.cc).
  absl::StatusOr<std::unique_ptr<LaunchedRun>> Launch(const RunSpec& spec,
                                                      const LaunchOptions& how);
  // A pre-started init holding `src`'s plan (its mounts reduced to the files when the
  // init has built the root already), in a cgroup set to spec's limits; null when the
  // pool has none that fits.
  absl::StatusOr<std::unique_ptr<LaunchedRun>> TakePrestarted(const RunSpec& spec,
                                                              PlanSource* src);
  // Clones init into the active layers with out->plan_buf as its plan buffer, and puts
  // it in a cgroup with `limits`; init waits on out->sync_w. `stdin_pipe`: stdin is a
  // pipe fed through out->in_w, else a pipe at end of file (unless how.stdin_fd is
  // given). A `prestarted` init's cgroup is named idle-N until a run takes it.
  absl::Status StartInit(const LaunchOptions& how, const Limits& limits, bool stdin_pipe,
                         bool prestarted, LaunchedRun* out);
  SandboxOptions options_;
  HostProbe probe_;
  LayerSet active_;
  std::unique_ptr<PrestartPool> pool_;
};

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_SANDBOX_H_
