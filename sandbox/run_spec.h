// What one sandboxed run is asked to do (RunSpec) and what happened (RunResult).
//
// Plain value types: copyable, no hidden state, safe to share read-only between threads.
#ifndef FATHOM_SANDBOX_RUN_SPEC_H_
#define FATHOM_SANDBOX_RUN_SPEC_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sandbox/layers.h"

namespace fathom::sandbox {

class SeccompFilter;  // sandbox/seccomp.h

// Resource limits of one run. Every default is a named constant with its reason.
struct Limits {
  // human-eval's per-sample timeout is 3 s; CPU time (not wall time) is what we limit so a
  // busy machine does not turn into false timeouts.
  static constexpr int64_t kDefaultCpuTimeMs = 3000;
  // 0 means "derived": a generous wall backstop of 2 x CPU + 2 s, which only sleepers,
  // stopped and blocked programs ever reach.
  static constexpr int64_t kDefaultWallTimeMs = 0;
  // 1 GiB: numpy plus HumanEval+'s largest inputs fit with a wide margin; 2 workers on a
  // small CI machine stay far from its RAM.
  static constexpr int64_t kDefaultMemoryBytes = int64_t{1} << 30;
  // 1 MiB per stream: test harnesses print little; a flood is cut here. A program that
  // prints exactly this much is not over the limit.
  static constexpr int64_t kDefaultMaxOutputBytes = int64_t{1} << 20;
  // Counts threads too (RLIMIT_NPROC and pids.max are per task): OpenBLAS and friends start
  // one thread per core; a thread bomb stops here.
  static constexpr int64_t kDefaultMaxProcesses = 64;
  // 64 MiB per file written (RLIMIT_FSIZE); the work dir tmpfs is capped separately.
  static constexpr int64_t kDefaultMaxFileBytes = int64_t{64} << 20;
  // Python with numpy opens well under 100 files.
  static constexpr int64_t kDefaultMaxOpenFiles = 256;
  // Size of the fresh RW tmpfs work dir (and of /dev/shm), counted in the memory cgroup.
  static constexpr int64_t kDefaultTmpfsBytes = int64_t{64} << 20;
  // Stack size: deep recursion ends in SIGSEGV, not in the host's unlimited stack.
  static constexpr int64_t kDefaultStackBytes = int64_t{64} << 20;

  int64_t cpu_time_ms = kDefaultCpuTimeMs;
  int64_t wall_time_ms = kDefaultWallTimeMs;
  int64_t memory_bytes = kDefaultMemoryBytes;
  int64_t max_output_bytes = kDefaultMaxOutputBytes;
  int64_t max_processes = kDefaultMaxProcesses;
  int64_t max_file_bytes = kDefaultMaxFileBytes;
  int64_t max_open_files = kDefaultMaxOpenFiles;
  int64_t tmpfs_bytes = kDefaultTmpfsBytes;
  int64_t stack_bytes = kDefaultStackBytes;

  // The wall backstop in force: wall_time_ms, or 2 x cpu_time_ms + 2000 when it is 0.
  int64_t EffectiveWallTimeMs() const {
    return wall_time_ms > 0 ? wall_time_ms : 2 * cpu_time_ms + 2000;
  }
  bool operator==(const Limits&) const = default;
};

// Sets one field of `limits` from "key=value" text (keys are the field names above;
// values are integers). Returns InvalidArgument naming the key on unknown keys or bad values.
absl::Status SetLimit(Limits& limits, absl::string_view key, absl::string_view value);

// A file placed in the run's work dir before the program starts.
struct File {
  std::string name;  // relative to the work dir, no "..", no leading '/'
  std::string content;
  // Mode 0755 instead of 0644: a compiled program's binary, run from the work dir
  // (grader/pipeline/language.h says why it lives there).
  bool executable = false;
};

// Ends runs early from another thread: a cancelled RPC, a client that went away, a server
// shutting down. Cancel() is sticky; every Run() whose spec carries the token notices it at
// once (the token's eventfd wakes its poll), kills the run's whole tree, reaps it and
// returns absl::CancelledError: a cancelled run has no program outcome. A Run() that
// starts with the token already cancelled returns CancelledError without starting anything.
// One token may be shared by many runs (all the runs of one call).
// Thread safety: every member may be called from any thread.
class CancelToken {
 public:
  // Internal naming the errno when no eventfd can be made.
  static absl::StatusOr<std::shared_ptr<CancelToken>> Create();
  ~CancelToken();
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  // Idempotent.
  void Cancel();
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  // Readable (POLLIN) once Cancel() was called; owned by the token.
  int fd() const { return fd_; }

 private:
  explicit CancelToken(int fd) : fd_(fd) {}
  const int fd_;
  std::atomic<bool> cancelled_{false};
};

struct RunSpec {
  // argv[0] is the absolute path executed; the rest are its arguments.
  std::vector<std::string> argv;
  // The complete environment, "KEY=value". Nothing of the caller's environment is added.
  std::vector<std::string> env;
  // Files written into the work dir (which is also the cwd, $HOME and $TMPDIR).
  std::vector<File> files;
  // stdin contents. When absent the program's stdin is a pipe already at end of file, on
  // every path (a fresh init, a pre-started one, a zygote's child), so that what a
  // program sees of its stdin (fstat, seekable(), tell()) does not depend on the runner.
  // A pipe rather than /dev/null: pre-started inits get their stdin before the run is
  // known, and a pipe made per run shares no file status flags between runs.
  bool has_stdin = false;
  std::string stdin_data;
  Limits limits;
  // Host paths made visible read-only at the same place inside the mount namespace (the
  // runtime: /usr, /lib, ... ). Symlinks are recreated as symlinks.
  std::vector<std::string> ro_binds;
  // Seccomp filter compiled by CompileSeccomp for argv[0]; null runs without seccomp (and
  // the result says so).
  std::shared_ptr<const SeccompFilter> seccomp;
  // Optional: cancelling it kills the run at once (see CancelToken). Null: runs to the end.
  std::shared_ptr<CancelToken> cancel;
  // Optional: called by the supervisor with the whole stdout so far, each time it grew
  // (on the supervisor's thread, so it must be quick and must not block). Returning true
  // kills the run at once: it ends kSignaled (SIGKILL) with RunResult::stopped set and
  // keeps the output read so far. For callers that can tell from the output that the
  // rest of the run cannot change what they decide (grader/iomode/io_mode.h:
  // IoEarlyStop). Never called once the run is being killed for another reason.
  std::function<bool(absl::string_view stdout_so_far)> stop_when;
  // Record where the run's time goes (RunResult::trace): a diagnostic, off by default.
  // The zygote runner records its phases; the fresh path records none. A program that
  // takes part (the grader's harnesses) is told by its caller, not by the sandbox.
  bool trace_phases = false;
};

// A moment of a traced run (RunSpec::trace_phases): when it was (CLOCK_MONOTONIC, the
// same clock in every process of the machine) and how much CPU time (its thread's:
// CLOCK_THREAD_CPUTIME_ID, exact where the process's clock lags by up to a scheduler
// tick) and how many minor page faults the process that recorded it had used by then.
struct TracePoint {
  std::string name;     // the phase that ends here
  int64_t wall_ns = 0;
  int64_t cpu_ns = 0;
  int64_t minflt = -1;  // -1: not known
  bool operator==(const TracePoint&) const = default;
};

// A zygote run's phases (zygote.h), for finding where a run's time goes:
//   child   points of the program's process, in order: "born" (it was forked), "spare"
//           (its request arrived: the time before is its own setup and then waiting),
//           "layers" (its sandbox layers were in place), "interp" (the interpreter was
//           ready to run the program file), then whatever the program adds (the
//           grader's harnesses: grader/pipeline/program.h), then "exit" (the zygote saw
//           it end; its CPU and faults are the process's totals, teardown included);
//   zygote  the zygote's own work for this run, in the zygote's CPU: "fork" (forking
//           it) and "reap" (from seeing it end to reporting it: reaping, emptying the
//           scratch tmpfs).
struct ZygotePhase {
  std::string name;
  int64_t start_wall_ns = 0, end_wall_ns = 0;
  int64_t cpu_ns = 0;
  int64_t minflt = 0;
  bool operator==(const ZygotePhase&) const = default;
};
struct RunTrace {
  std::vector<TracePoint> child;
  std::vector<ZygotePhase> zygote;
  bool empty() const { return child.empty() && zygote.empty(); }
  bool operator==(const RunTrace&) const = default;
};

// One phase of a traced run: its wall time, and the CPU time and minor faults of the
// process it ran in (the zygote's for `in_zygote` phases, else the program's).
struct PhaseTime {
  std::string name;
  int64_t wall_us = 0;
  int64_t cpu_us = 0;
  int64_t minflt = 0;
  bool in_zygote = false;
};

// The phases of `trace`: the zygote's "fork", then one per child point after the first
// (from the point before it, in wall-clock order), then the zygote's "reap".
std::vector<PhaseTime> TracePhases(const RunTrace& trace);

// Outcome of a run, decided by the sandbox. Never folded into each other.
enum class RunStatus {
  kOk,                // exited 0
  kNonzeroExit,       // exited with a code != 0 (exit_code)
  kSignaled,          // killed by a signal it raised or received (signal)
  kCpuTimeout,        // CPU-time limit reached
  kWallTimeout,       // wall-clock backstop reached
  kMemoryLimit,       // memory limit reached (OOM kill)
  kOutputLimit,       // stdout or stderr over max_output_bytes
  kSyscallViolation,  // seccomp killed it (syscall when known)
  kSandboxError,      // we failed; never a model failure (Run() returns a non-OK status;
                      // callers that record results use this value for it)
};

// "ok", "nonzero_exit", ... (DESIGN section 2 names).
absl::string_view RunStatusName(RunStatus status);
// Inverse of RunStatusName; false for unknown names.
bool ParseRunStatus(absl::string_view name, RunStatus* status);

struct RunResult {
  RunStatus status = RunStatus::kSandboxError;
  int exit_code = -1;  // when the program exited
  int signal = 0;      // when it was killed by a signal
  // For kSyscallViolation: the syscall's number as the kernel reported it, and its name
  // (libseccomp's, "" for a number it does not know). -1 when unknown: seccomp user
  // notification is unavailable (or switched off) and the kernel killed the process, or
  // the call came from a foreign ABI (int 0x80, x32), which always kills.
  int syscall = -1;
  std::string syscall_name;
  int64_t cpu_ms = 0;
  int64_t wall_ms = 0;
  int64_t max_rss_kb = 0;
  std::string stdout_data;  // bytes, up to max_output_bytes
  std::string stderr_data;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  LayerSet layers;  // isolation layers that were active for this run
  // RunSpec::stop_when asked for the kill (the status is then kSignaled, SIGKILL).
  bool stopped = false;
  RunTrace trace;   // with RunSpec::trace_phases on a runner that records them; else empty
};

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_RUN_SPEC_H_
