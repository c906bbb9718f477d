// For tests: a handle on one process that pid reuse cannot fool. kill(pid, 0) may find a
// newcomer that got the same number (pid_max is 32768 on many machines, and a loaded
// machine goes through that many pids quickly); a pidfd names the very process it was
// opened on.
#ifndef FATHOM_SANDBOX_TEST_PROCESS_HANDLE_H_
#define FATHOM_SANDBOX_TEST_PROCESS_HANDLE_H_

#include <poll.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

namespace fathom::sandbox {

class TestProcessHandle {
 public:
  // Opens a pidfd on `pid`, which must be alive (or a zombie) now.
  explicit TestProcessHandle(pid_t pid)
      : fd_(static_cast<int>(syscall(SYS_pidfd_open, pid, 0))) {}
  ~TestProcessHandle() {
    if (fd_ >= 0) close(fd_);
  }
  TestProcessHandle(const TestProcessHandle&) = delete;
  TestProcessHandle& operator=(const TestProcessHandle&) = delete;

  bool opened() const { return fd_ >= 0; }

  // Whether that process still exists: running, or dead but not yet reaped.
  bool Exists() const {
    return fd_ >= 0 && syscall(SYS_pidfd_send_signal, fd_, 0, nullptr, 0) == 0;
  }

  // Waits up to `timeout_ms` for that process to have exited (a zombie counts); whether it
  // has.
  bool WaitExited(int timeout_ms) const {
    pollfd exited = {fd_, POLLIN, 0};
    return fd_ >= 0 && poll(&exited, 1, timeout_ms) == 1;
  }

 private:
  int fd_;
};

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_TEST_PROCESS_HANDLE_H_
