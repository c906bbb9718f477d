/* SCM_RIGHTS from a child between fork and exec (see send_fd.h). */
#define _GNU_SOURCE
#include "sandbox/send_fd.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

int fathom_send_fds(int sock, char tag, const int* fds, int n) {
  if (n < 0 || n > FATHOM_SEND_FDS_MAX || (n > 0 && fds == NULL)) {
    errno = EINVAL;
    return -1;
  }
  struct iovec iov = {&tag, 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * FATHOM_SEND_FDS_MAX)];
  } control;
  memset(&control, 0, sizeof(control));
  struct msghdr mh;
  memset(&mh, 0, sizeof(mh));
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  if (n > 0) {
    mh.msg_control = control.buf;
    mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
    struct cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
  }
  ssize_t sent;
  do {
    sent = sendmsg(sock, &mh, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent == 1) return 0;
  if (sent >= 0) errno = EIO;
  return -1;
}

int fathom_send_fd(int sock, int fd) { return fathom_send_fds(sock, 'L', &fd, 1); }
