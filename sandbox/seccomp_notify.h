// Seccomp user notification: how a run's supervisor learns which kill-list syscall the
// program made. With it the kill list is SECCOMP_RET_USER_NOTIF instead of
// SECCOMP_RET_KILL_PROCESS (which tells nobody the number).
//
// Life of one run's listener:
//   child       installs the filter with SECCOMP_FILTER_FLAG_NEW_LISTENER; the listener
//               reaches the supervisor over a unix socket (SCM_RIGHTS) and no copy of it
//               is left in the program's hands when untrusted code starts (a program
//               holding it could answer its own notifications, CONTINUE included);
//   supervisor  (ViolationWatch) polls it with the run's other descriptors, reads the
//               first notification (SECCOMP_IOCTL_NOTIF_RECV: the number is the kernel's,
//               taken from the trapped syscall, not something the program can write),
//               never answers it and kills the run at once. The calling thread stays
//               stopped in the kernel until the kill, and other threads die with it.
// The syscall never runs: it is never answered with SECCOMP_USER_NOTIF_FLAG_CONTINUE, and
// when the listener is closed (the run is over, or the supervisor died) the kernel fails
// pending and later notified calls with ENOSYS.
//
// How the listener leaves the program, on each path:
//   fresh exec  the program is started with CLONE_VM | CLONE_VFORK | CLONE_FILES
//               (VforkSharingFds): it installs the filter as its last step, so the
//               listener (close-on-exec, as the kernel makes it) lands in the descriptor
//               table it shares with its init. execve gives the program a private copy
//               of that table without close-on-exec descriptors; init, which runs only
//               our code and no filter, sends its copy to the supervisor and closes it.
//               Chosen over the alternatives because nothing runs under the filter
//               between its installation and the exec: SCM_RIGHTS from the program
//               itself needs sendmsg and close past the filter, and pidfd_getfd from the
//               supervisor needs the program to wait (read) under the filter and ptrace
//               rights over a process that may be non-dumpable.
//   zygote      the child keeps running Python after its filter, so it has to send the
//               listener itself: sendmsg and close are the only calls it makes under the
//               filter before the program starts (both allowed by every profile that can
//               run Python; a profile that refuses them fails the zygote's trial run).
//               It sends it to its zygote over the socket its request came on, and the
//               zygote forwards it to the supervisor on the control socket ("L"), ahead
//               of the run's report. No unix socket is ever in flight: a socketpair per
//               run, sent through the zygote, was, and while one is the kernel schedules
//               its unix-socket garbage collector at every unix socket's close.
//
// Thread safety: free functions are thread-safe; a ViolationWatch belongs to one run.
#ifndef FATHOM_SANDBOX_SECCOMP_NOTIFY_H_
#define FATHOM_SANDBOX_SECCOMP_NOTIFY_H_

#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "absl/status/status.h"
#include "sandbox/process_util.h"
#include "sandbox/send_fd.h"  // fathom_send_fd: the child's side of the hand-over

namespace fathom::sandbox {

// A connected SOCK_SEQPACKET pair (close-on-exec) for handing a listener over: *ours
// stays with the supervisor, *theirs goes to the child.
absl::Status MakeListenerChannel(UniqueFd* ours, UniqueFd* theirs);

// vfork() that also shares the descriptor table (CLONE_FILES) until the child execs or
// exits: the caller is suspended until then, and afterwards holds what the child opened
// (the seccomp listener). `fn(arg)` runs on `stack` (stack_bytes long, allocated before
// the fork: the child may not allocate) and must exec or _exit, never return. Returns
// the child's pid or -1 with errno set. Async-signal-safe.
pid_t VforkSharingFds(int (*fn)(void*), void* arg, char* stack, size_t stack_bytes);

// Whether this kernel delivers seccomp user notifications to us: "" when it does, else
// why not (SECCOMP_GET_NOTIF_SIZES failed). Cached after the first call.
const char* SeccompNotifyUnsupported();

// Receives one message of at most `cap` bytes from `sock` (flags: MSG_DONTWAIT, MSG_PEEK,
// ...) with at most one descriptor (close-on-exec) into *fd; a message carrying more is
// received with none (the kernel closes what did not fit). Returns recvmsg's result.
ssize_t RecvWithFd(int sock, char* buf, size_t cap, UniqueFd* fd, int flags);

// The supervisor's side of one run. The listener reaches it one of two ways:
//   on a channel of its own (the fresh path: the channel carries the listener alone), or
//   as an "L" message on the zygote's control socket, which carries the run's report too
//   (OnControl). The watch then takes it only when it is the next message there, so no
//   report is ever consumed here; the socket's reader hands in one it finds (Adopt).
// Either way the listener is never lost unread: a listener dropped unanswered would turn
// the violation into ENOSYS for the program instead of a kill.
class ViolationWatch {
 public:
  ViolationWatch() = default;
  explicit ViolationWatch(UniqueFd channel) : channel_(std::move(channel)) {}
  // `control` is not owned and must outlive the watch.
  static ViolationWatch OnControl(int control) {
    ViolationWatch w;
    w.control_ = control;
    return w;
  }

  // Adds the one descriptor worth waiting on (the channel or control socket until the
  // listener came, then the listener until its program is gone) to fds[*n]; nothing once
  // none is left.
  void AddPollFds(pollfd* fds, int* n);
  // After the poll that AddPollFds filled: what it said about that descriptor, so that the
  // next Poll() need not ask the kernel again.
  void Polled(const pollfd* fds);
  // Without blocking: takes the listener if it has arrived, then the first pending
  // notification. Returns the syscall number of the first notification received in the
  // run's life (the same number on every later call), or -1 while there was none.
  int Poll();
  // A listener the control socket's reader received (an "L" message). Taken only by a
  // watch OnControl that has none yet, and only if it is one.
  void Adopt(UniqueFd listener);
  int syscall() const { return syscall_; }
  // The notification's seccomp_data.arch (AUDIT_ARCH_*): which ABI the number belongs to.
  uint32_t arch() const { return arch_; }
  bool has_listener() const { return listener_.get() >= 0; }

 private:
  void TakeFromChannel();
  void TakeFromControl();
  void Accept(UniqueFd listener);
  // What the last Polled() said about `fd` when it covered it (once), else what a
  // poll(0) says now.
  short Events(int fd);
  UniqueFd channel_;
  int control_ = -1;
  UniqueFd listener_;
  bool listener_gone_ = false;  // its filter has no task left (POLLHUP)
  int polled_index_ = -1;       // where AddPollFds put the descriptor (-1: nowhere)
  int fresh_fd_ = -1;           // the descriptor Polled() last reported on (-1: none)
  short fresh_revents_ = 0;
  int syscall_ = -1;
  uint32_t arch_ = 0;
};

}  // namespace fathom::sandbox

#endif  // FATHOM_SANDBOX_SECCOMP_NOTIFY_H_
