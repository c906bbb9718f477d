// Seccomp user notification: listener hand-over and the supervisor's watch (see the header).
#include "sandbox/seccomp_notify.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace fathom::sandbox {
namespace {

// What the kernel's SECCOMP_IOCTL_NOTIF_RECV writes: at least our struct seccomp_notif,
// more on a kernel whose struct grew (it copies its own size).
struct NotifSizes {
  size_t notif = 0;
  std::string unsupported;  // why not, or ""
};

const NotifSizes& Sizes() {
  static const NotifSizes* sizes = [] {
    auto* s = new NotifSizes;
    seccomp_notif_sizes k{};
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &k) != 0) {
      s->unsupported = absl::StrCat("seccomp(SECCOMP_GET_NOTIF_SIZES): ", strerror(errno));
    } else {
      s->notif = std::max<size_t>(k.seccomp_notif, sizeof(seccomp_notif));
    }
    return s;
  }();
  return *sizes;
}

// Only a seccomp listener may be adopted: the channel is ours and the child's code, but
// a wrong descriptor would silently turn every violation into a hang.
// Asked without a path walk (readlink of /proc/self/fd/N was one a run): a listener
// answers whether a notification id is pending (ENOENT for one it never issued), and any
// other descriptor refuses the request itself (ENOTTY, EINVAL).
bool IsSeccompListener(int fd) {
  uint64_t id = 0;
  return ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0 || errno == ENOENT;
}

}  // namespace

absl::Status MakeListenerChannel(UniqueFd* ours, UniqueFd* theirs) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return ErrnoStatus("socketpair for the seccomp listener");
  }
  ours->reset(sv[0]);
  theirs->reset(sv[1]);
  return absl::OkStatus();
}

pid_t VforkSharingFds(int (*fn)(void*), void* arg, char* stack, size_t stack_bytes) {
  // glibc's clone() runs fn on the given stack: the child must not return through the
  // caller's frames, which it shares (CLONE_VM), as a raw clone syscall would.
  return clone(fn, stack + stack_bytes, CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, arg);
}

const char* SeccompNotifyUnsupported() { return Sizes().unsupported.c_str(); }

ssize_t RecvWithFd(int sock, char* buf, size_t cap, UniqueFd* fd, int flags) {
  iovec iov = {buf, cap};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr mh = {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof(control);
  const ssize_t n = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
  for (cmsghdr* c = CMSG_FIRSTHDR(&mh); n >= 0 && c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len == CMSG_LEN(sizeof(int))) {
      int got;
      memcpy(&got, CMSG_DATA(c), sizeof(int));
      fd->reset(got);
    }
  }
  return n;
}

void ViolationWatch::AddPollFds(pollfd* fds, int* n) {
  int fd = -1;
  if (listener_.get() >= 0) {
    if (!listener_gone_) fd = listener_.get();
  } else if (channel_.get() >= 0) {
    fd = channel_.get();
  } else {
    fd = control_;  // its reader polls it too; this answer spares a peek
  }
  polled_index_ = fd >= 0 ? *n : -1;
  if (fd >= 0) fds[(*n)++] = {fd, POLLIN, 0};
}

void ViolationWatch::Polled(const pollfd* fds) {
  fresh_fd_ = polled_index_ >= 0 ? fds[polled_index_].fd : -1;
  fresh_revents_ = polled_index_ >= 0 ? fds[polled_index_].revents : 0;
  polled_index_ = -1;
}

void ViolationWatch::TakeFromChannel() {
  char byte;
  UniqueFd fd;
  const ssize_t n = RecvWithFd(channel_.get(), &byte, 1, &fd, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  // One listener per run, sent once: whatever happened, the channel is done.
  channel_.reset();
  if (n > 0) Accept(std::move(fd));  // none: the child ended before sending (setup failed)
}

void ViolationWatch::TakeFromControl() {
  char tag;
  if (recv(control_, &tag, 1, MSG_DONTWAIT | MSG_PEEK) != 1 || tag != 'L') return;
  UniqueFd fd;
  if (RecvWithFd(control_, &tag, 1, &fd, MSG_DONTWAIT) == 1) Accept(std::move(fd));
}

void ViolationWatch::Adopt(UniqueFd listener) {
  if (control_ >= 0) Accept(std::move(listener));
}

void ViolationWatch::Accept(UniqueFd listener) {
  if (listener_.get() >= 0 || listener.get() < 0 || !IsSeccompListener(listener.get())) return;
  listener_ = std::move(listener);
  control_ = -1;  // one listener per run
  fresh_fd_ = -1;
}

short ViolationWatch::Events(int fd) {
  if (fresh_fd_ == fd) {
    fresh_fd_ = -1;  // once: what it reported is read by the caller
    return fresh_revents_;
  }
  pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

int ViolationWatch::Poll() {
  if (syscall_ >= 0) return syscall_;
  if (listener_.get() < 0) {
    if (channel_.get() >= 0) {
      if (Events(channel_.get()) != 0) TakeFromChannel();
    } else if (control_ >= 0) {
      // A peek costs what a poll does: it is skipped only when the last poll said there
      // was nothing to read.
      if (fresh_fd_ != control_ || (Events(control_) & POLLIN) != 0) TakeFromControl();
    }
  }
  if (listener_.get() < 0 || listener_gone_) return -1;
  const short ev = Events(listener_.get());
  if (ev == 0) return -1;
  if ((ev & POLLIN) == 0) {
    // POLLHUP: no task uses the filter any more; nothing can be notified again.
    listener_gone_ = true;
    return -1;
  }
  // The kernel requires a zeroed buffer and writes its own struct's size.
  std::vector<char> buf(Sizes().notif, 0);
  if (buf.empty()) return -1;
  if (ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_RECV, buf.data()) != 0) {
    return -1;  // ENOENT: the caller died before we read it (the run is ending anyway)
  }
  seccomp_notif n;
  memcpy(&n, buf.data(), sizeof(n));
  syscall_ = n.data.nr;
  arch_ = n.data.arch;
  return syscall_;
}

}  // namespace fathom::sandbox
