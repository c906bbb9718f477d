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

void ViolationWatch::AddPollFds(pollfd* fds, int* n) const {
  if (listener_.get() >= 0) {
    if (!listener_gone_) fds[(*n)++] = {listener_.get(), POLLIN, 0};
  } else if (channel_.get() >= 0) {
    fds[(*n)++] = {channel_.get(), POLLIN, 0};
  }
}

void ViolationWatch::TakeListener() {
  char byte;
  iovec iov = {&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr mh = {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof(control);
  const ssize_t n = recvmsg(channel_.get(), &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  int fd = -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&mh); n > 0 && c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len == CMSG_LEN(sizeof(int))) {
      memcpy(&fd, CMSG_DATA(c), sizeof(int));
    }
  }
  // One listener per run, sent once: whatever happened, the channel is done.
  channel_.reset();
  if (fd < 0) return;  // the child ended before sending (its setup failed)
  if (!IsSeccompListener(fd)) {
    close(fd);
    return;
  }
  listener_.reset(fd);
}

int ViolationWatch::Poll() {
  if (syscall_ >= 0) return syscall_;
  if (listener_.get() < 0 && channel_.get() >= 0) {
    pollfd p = {channel_.get(), POLLIN, 0};
    if (poll(&p, 1, 0) == 1) TakeListener();
  }
  if (listener_.get() < 0 || listener_gone_) return -1;
  pollfd p = {listener_.get(), POLLIN, 0};
  if (poll(&p, 1, 0) != 1) return -1;
  if ((p.revents & POLLIN) == 0) {
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
