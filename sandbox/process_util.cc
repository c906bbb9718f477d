// Process plumbing shared by the sandbox's runners (see process_util.h).
#include "sandbox/process_util.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <string.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace fathom::sandbox {

absl::Status ErrnoStatus(absl::string_view what, int err) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(err)));
}


absl::Status MakePipe(UniqueFd* r, UniqueFd* w) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return ErrnoStatus("pipe2");
  r->reset(p[0]);
  w->reset(p[1]);
  return absl::OkStatus();
}

namespace {

// Filled before main (a constructor function, while the process has one thread): a
// function-local static would be read on first use, perhaps by a thread pinned by then.
cpu_set_t start_cpus;
bool have_start_cpus = false;

__attribute__((constructor)) void ReadStartCpus() {
  CPU_ZERO(&start_cpus);
  have_start_cpus = sched_getaffinity(0, sizeof(start_cpus), &start_cpus) == 0;
}

// The CPU this thread's innermost ThreadOnCpu keeps it on, -1: none.
thread_local int pinned_cpu = -1;

}  // namespace

const cpu_set_t* StartCpus() { return have_start_cpus ? &start_cpus : nullptr; }

bool ThreadIsPinned() { return pinned_cpu >= 0; }

std::vector<int> AllowedCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (have_start_cpus) {
    set = start_cpus;
  } else if (sched_getaffinity(0, sizeof(set), &set) != 0) {
    return cpus;
  }
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

std::vector<int> CpusToPin(int count) {
  const std::vector<int> cpus = AllowedCpus();
  std::vector<int> pins;
  if (cpus.size() < 2 || count < static_cast<int>(cpus.size())) return pins;
  for (int k = 0; k < count; ++k) pins.push_back(cpus[k % cpus.size()]);
  return pins;
}

ThreadOnCpu::ThreadOnCpu(int cpu) : outer_cpu_(pinned_cpu) {
  CPU_ZERO(&saved_);
  if (cpu < 0 || cpu >= CPU_SETSIZE || cpu == outer_cpu_ ||
      sched_getaffinity(0, sizeof(saved_), &saved_) != 0) {
    return;
  }
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  pinned_ = sched_setaffinity(0, sizeof(one), &one) == 0;
  if (pinned_) pinned_cpu = cpu;
}

ThreadOnCpu::~ThreadOnCpu() {
  if (!pinned_) return;
  (void)sched_setaffinity(0, sizeof(saved_), &saved_);
  pinned_cpu = outer_cpu_;
}

int64_t MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

pid_t ProgramPid(pid_t init_pid, pid_t* cached) {
  if (*cached <= 0) {
    std::ifstream in(absl::StrCat("/proc/", init_pid, "/task/", init_pid, "/children"));
    int pid = 0;
    if (in >> pid) *cached = pid;
  }
  return *cached;
}

int64_t ProcCpuMs(pid_t init_pid, pid_t* program_pid) {
  if (ProgramPid(init_pid, program_pid) <= 0) return 0;
  std::ifstream in(absl::StrCat("/proc/", *program_pid, "/stat"));
  std::string line;
  std::getline(in, line);
  auto close_paren = line.rfind(')');
  if (close_paren == std::string::npos) return 0;
  std::vector<absl::string_view> f =
      absl::StrSplit(absl::string_view(line).substr(close_paren + 2), ' ');
  // Fields after "pid (comm) ": state is f[0]; utime and stime are fields 14 and 15.
  int64_t ut = 0, stime = 0;
  if (f.size() < 13 || !absl::SimpleAtoi(f[11], &ut) || !absl::SimpleAtoi(f[12], &stime)) {
    return 0;
  }
  static const long ticks = sysconf(_SC_CLK_TCK);
  return (ut + stime) * 1000 / ticks;
}

int64_t RunQueueWaitMs(pid_t init_pid, pid_t* program_pid) {
  int64_t total_ns = 0;
  for (pid_t pid : {init_pid, ProgramPid(init_pid, program_pid)}) {
    if (pid <= 0) continue;
    std::error_code ec;
    for (const auto& e :
         std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"), ec)) {
      std::ifstream in(e.path() / "schedstat");
      int64_t on_cpu = 0, waiting = 0;
      if (in >> on_cpu >> waiting) total_ns += waiting;
    }
  }
  return total_ns / 1000000;
}

KillReason RunClock::Check(const std::function<int64_t()>& cpu_ms,
                           const std::function<int64_t()>& queue_wait_ms, int64_t* sleep_ms) {
  static const int64_t ncpu = std::max<long>(1, sysconf(_SC_NPROCESSORS_ONLN));
  const int64_t max_allowance_ms = 3 * wall_limit_ms_;
  int64_t timeout = 0;
  for (;;) {
    timeout = wall_limit_ms_ + wall_allowance_ms_ - (MonotonicMs() - start_ms_);
    if (timeout > 0 || wall_allowance_ms_ >= max_allowance_ms) break;
    const int64_t waited = std::min(queue_wait_ms(), max_allowance_ms);
    if (waited <= wall_allowance_ms_) break;
    wall_allowance_ms_ = waited;
  }
  // The most CPU the run can have used by now: what it had when last asked, plus every
  // core for the whole time since, plus a millisecond each side for the clocks'
  // truncation (MonotonicMs) and for the caller's base read just before start_ms.
  const int64_t now = MonotonicMs();
  const int64_t since = cpu_known_at_ < 0 ? start_ms_ : cpu_known_at_;
  int64_t cpu_at_most = cpu_known_ms_ + (now - since + 2) * ncpu;
  if (cpu_at_most >= cpu_limit_ms_) {
    cpu_known_ms_ = cpu_ms();
    cpu_known_at_ = now;
    cpu_at_most = cpu_known_ms_;
  }
  const int64_t cpu_left = cpu_limit_ms_ - cpu_at_most;
  if (cpu_left <= 0) return KillReason::kCpu;
  timeout = std::min(timeout, std::max<int64_t>(1, cpu_left / ncpu));
  if (timeout <= 0) return KillReason::kWall;
  *sleep_ms = timeout;
  return KillReason::kNone;
}

// One fcntl, not F_GETFL then F_SETFL: F_SETFL ignores the access mode, and the pipe ends
// this is for have no other status flag to keep.
void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, O_NONBLOCK); }

bool OutputStream::Drain(int64_t cap) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) fd = -1;  // EOF
      return false;
    }
    const int64_t room = cap - static_cast<int64_t>(data->size());
    if (n > room) {
      data->append(buf, room > 0 ? room : 0);
      *truncated = true;
      return true;
    }
    data->append(buf, n);
  }
}

bool WriteSome(int fd, const std::string& data, size_t* done) {
  ssize_t n = write(fd, data.data() + *done, data.size() - *done);
  if (n > 0) *done += n;
  return (n < 0 && errno != EAGAIN && errno != EINTR) || *done == data.size();
}

StdioPump StdioPump::For(RunResult* result, int out_fd, int err_fd, UniqueFd* in,
                         const std::string& stdin_data) {
  StdioPump pump;
  pump.streams[0] = {out_fd, &result->stdout_data, &result->stdout_truncated};
  pump.streams[1] = {err_fd, &result->stderr_data, &result->stderr_truncated};
  SetNonBlocking(out_fd);
  SetNonBlocking(err_fd);
  if (in->get() >= 0) {
    SetNonBlocking(in->get());
    if (stdin_data.empty()) in->reset();
  }
  pump.stdin_owner = in;
  pump.stdin_data = &stdin_data;
  return pump;
}

void StdioPump::AddPollFds(pollfd* fds, int* n) const {
  for (const OutputStream& s : streams) {
    if (s.fd >= 0) fds[(*n)++] = {s.fd, POLLIN, 0};
  }
  if (stdin_owner != nullptr && stdin_owner->get() >= 0) {
    fds[(*n)++] = {stdin_owner->get(), POLLOUT, 0};
  }
}

bool StdioPump::Pump(int64_t cap) {
  bool over = false;
  for (OutputStream& s : streams) {
    if (s.fd >= 0 && s.Drain(cap)) over = true;
  }
  if (stdin_owner != nullptr && stdin_owner->get() >= 0 &&
      WriteSome(stdin_owner->get(), *stdin_data, &stdin_done)) {
    stdin_owner->reset();
  }
  return over;
}

}  // namespace fathom::sandbox
