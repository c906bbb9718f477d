// Process plumbing shared by the sandbox's runners (sandbox.cc, zygote.cc): owned
// descriptors, pipes, clocks and what /proc says about a run's processes.
// Thread safety: free functions are thread-safe; objects are owned by one run.
#ifndef FATHOM_SANDBOX_PROCESS_UTIL_H_
#define FATHOM_SANDBOX_PROCESS_UTIL_H_

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "sandbox/run_spec.h"
#include "sandbox/verdict.h"

namespace fathom::sandbox {

// Internal error "what: strerror(err)".
absl::Status ErrnoStatus(absl::string_view what, int err = errno);

// An owned file descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// pipe2(O_CLOEXEC) into *r, *w.
absl::Status MakePipe(UniqueFd* r, UniqueFd* w);

int64_t MonotonicMs();
// Makes a pipe end we made (pipe2 with O_CLOEXEC only) non-blocking.
void SetNonBlocking(int fd);

// The CPUs this process may run on (sched_getaffinity), ascending: those it was started
// with (StartCpus), so that a thread pinned for a while does not shrink what long-lived
// workers are spread over.
std::vector<int> AllowedCpus();
// The CPU set the process had when it started (read before main, while it had one
// thread), or null when the kernel would not say. Every process a pinned thread starts
// for a program gets this set back (child_init.cc), so a program sees and may use what it
// would have seen without pinning.
const cpu_set_t* StartCpus();
// Whether the calling thread is kept on one CPU by a ThreadOnCpu now.
bool ThreadIsPinned();
// Where `count` long-lived workers of this process (a zygote runner's slots) should each
// stay: worker k on the k-th allowed CPU (round-robin past the last). Empty,
// pin nothing, unless the workers are at least as many as the CPUs, i.e. they take the
// whole machine (or cgroup cpuset) as serve and grade do by default: fewer workers than
// CPUs leave the scheduler free to place them around whatever else runs there. Pinned,
// a worker's wake-ups stay on one CPU: on the development VM a wake-up across CPUs costs
// about ten times one on the same CPU (bench/fork_floor: 77 against 8.6 us per round trip).
std::vector<int> CpusToPin(int count);
// Keeps the calling thread on `cpu` (-1: anywhere, nothing done) for the object's life,
// then gives it back the CPUs it had. Where the kernel refuses, the thread stays as it was.
// Nests: inside another ThreadOnCpu for the same CPU it costs no system call. Destroy on
// the thread that made it, innermost first.
class ThreadOnCpu {
 public:
  explicit ThreadOnCpu(int cpu);
  ~ThreadOnCpu();
  ThreadOnCpu(const ThreadOnCpu&) = delete;
  ThreadOnCpu& operator=(const ThreadOnCpu&) = delete;

 private:
  bool pinned_ = false;  // this object changed the thread's CPUs
  int outer_cpu_ = -1;   // the CPU the thread was pinned to before, -1: none
  cpu_set_t saved_;
};

// The host pid of `parent_pid`'s first child (a run's program), looked up once.
pid_t ProgramPid(pid_t parent_pid, pid_t* cached);
// CPU time (ms) of that child when no cgroup counts it: its utime + stime.
int64_t ProcCpuMs(pid_t parent_pid, pid_t* program_pid);
// Milliseconds the parent and that child spent runnable but waiting for a CPU (the
// run_delay of /proc/<pid>/task/*/schedstat): time a busy machine took from the run, not
// time it slept.
int64_t RunQueueWaitMs(pid_t parent_pid, pid_t* program_pid);

// The limits a run's monitor enforces while it waits: CPU time is the limit; wall time
// is a backstop that does not count time the run spent runnable but waiting for a CPU (on
// an overloaded machine a program that wants to run is not a sleeper; the allowance is
// bounded at 3 x the backstop, so every run still ends). One per run; not thread-safe.
class RunClock {
 public:
  RunClock(int64_t start_ms, int64_t cpu_limit_ms, int64_t wall_limit_ms)
      : start_ms_(start_ms), cpu_limit_ms_(cpu_limit_ms), wall_limit_ms_(wall_limit_ms) {}
  // The limit reached now (kNone: none), given the run's CPU so far and, when asked, the
  // time it waited for a CPU. Otherwise *sleep_ms is how long the monitor may wait before
  // asking again (CPU accrues at most one ms per core per wall ms). The CPU is asked for
  // only when the run could have reached its limit since it was last asked (or since
  // start_ms, when the caller read its CPU base): reading a cgroup's cpu.stat flushes its
  // statistics, and a short run would pay that at every wake-up for nothing.
  KillReason Check(const std::function<int64_t()>& cpu_ms,
                   const std::function<int64_t()>& queue_wait_ms, int64_t* sleep_ms);

 private:
  int64_t start_ms_, cpu_limit_ms_, wall_limit_ms_;
  int64_t wall_allowance_ms_ = 0;
  int64_t cpu_known_ms_ = 0;   // the run's CPU when last asked (0 at start)
  int64_t cpu_known_at_ = -1;  // when that was (-1: start_ms_)
};

// One output pipe of a run, read into `*data` up to a cap.
struct OutputStream {
  int fd = -1;
  std::string* data = nullptr;
  bool* truncated = nullptr;
  // Reads what is available. Returns true when the stream went over `cap`.
  bool Drain(int64_t cap);
};

// Writes what `fd` takes of data[*done..] without blocking; true when the writer is
// finished (all written, or the reader is gone).
bool WriteSome(int fd, const std::string& data, size_t* done);

// A run's stdio seen from its monitor: drains stdout and stderr, feeds stdin. The fds
// are not owned; stdin_fd is closed (through *stdin_owner) once all is written.
struct StdioPump {
  // Reads out_fd/err_fd into result's stdout/stderr, feeds *in (when open) with
  // stdin_data; makes the fds non-blocking and closes *in at once when there is no data.
  static StdioPump For(RunResult* result, int out_fd, int err_fd, UniqueFd* in,
                       const std::string& stdin_data);

  OutputStream streams[2];
  UniqueFd* stdin_owner = nullptr;  // null: no stdin to feed
  const std::string* stdin_data = nullptr;
  size_t stdin_done = 0;

  // Appends the fds to poll to fds[*n...] (at most 3).
  void AddPollFds(pollfd* fds, int* n) const;
  // One round after poll(): reads what is there, writes what fits. True when a stream
  // went over `cap` this round.
  bool Pump(int64_t cap);
};

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_PROCESS_UTIL_H_
