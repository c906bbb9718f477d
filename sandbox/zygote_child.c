/* The per-program layers of a zygote's child, in C (see sandbox/zygote.h).
 *
 * The Python zygote loads this library once (ctypes) and its freshly forked child calls
 * fathom_zygote_child_setup() before anything else. Doing these steps in Python made the
 * child write to hundreds of pages it shares with the zygote; each such write is a
 * copy-on-write fault, and on machines where faults are costly (nested virtualisation)
 * that was most of a program's cost. Here they touch a few pages of stack and one buffer.
 *
 * Plain C and libc only: it is loaded into the interpreter inside the sandbox.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/send_fd.h"

/* Writes "stage: strerror" to err_fd; returns -1. */
static int fail(int err_fd, const char* stage, int err) {
  char msg[256];
  int n = snprintf(msg, sizeof(msg), "%s: %s", stage, strerror(err));
  if (n > 0) (void)!write(err_fd, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
  return -1;
}

static int write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Closes every descriptor from 3 up except the `n` in keep[] (ascending, -1s first). */
static void close_all_but(const int* keep, int n) {
  unsigned lo = 3;
  for (int i = 0; i < n; ++i) {
    if (keep[i] < (int)lo) continue;
    if ((unsigned)keep[i] > lo) syscall(SYS_close_range, lo, (unsigned)keep[i] - 1, 0U);
    lo = (unsigned)keep[i] + 1;
  }
  syscall(SYS_close_range, lo, ~0U, 0U);
}

struct record {
  char tag;
  const char* value;
  uint32_t len;
};

/* Iterates the request's records (1-byte tag, 4-byte little-endian length, payload). */
static int next_record(const char* body, size_t len, size_t* pos, struct record* r) {
  if (*pos + 5 > len) return 0;
  uint32_t n;
  memcpy(&n, body + *pos + 1, 4);
  if (*pos + 5 + n > len) return 0;
  r->tag = body[*pos];
  r->value = body + *pos + 5;
  r->len = n;
  *pos += 5 + (size_t)n;
  return 1;
}

/* NUL-terminated copy of a record's value into buf (truncated to cap - 1). */
static const char* cstr(const struct record* r, char* buf, size_t cap) {
  size_t n = r->len < cap - 1 ? r->len : cap - 1;
  memcpy(buf, r->value, n);
  buf[n] = '\0';
  return buf;
}

/* Reads all of fd into a malloc'd buffer. */
static char* read_all(int fd, size_t* len) {
  size_t cap = 1 << 16, n = 0;
  char* buf = malloc(cap);
  while (buf != NULL) {
    if (n == cap) {
      char* bigger = realloc(buf, cap * 2);
      if (bigger == NULL) break;
      buf = bigger;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    if (r == 0) {
      *len = n;
      return buf;
    }
    n += (size_t)r;
  }
  free(buf);
  return NULL;
}

/* In the child, right after the fork: fds = {stdin, stdout, stderr, body, listener
 * channel or -1}; err_fd reports a failed step. Moves the stdio to 0..2, closes every
 * other descriptor but err_fd, reads the request, gives the process a fresh mount and IPC
 * namespace with its own tmpfs work dir and /dev/shm, writes the program files, drops
 * every capability, applies the rlimits and finally the seccomp filter; with a listener
 * channel the filter notifies the grader of kill-list syscalls, and its listener is sent
 * over the channel and closed here, before any program code runs (see
 * sandbox/seccomp_notify.h). On success *body / *body_len hold the request (malloc'd;
 * the caller reads argv, env and the program from it) and 0 is returned; on failure the
 * reason is on err_fd and -1 is returned. */
int fathom_zygote_child_setup(const int* fds, int err_fd, char** body_out, size_t* body_len) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  for (int i = 0; i < 3; ++i) {
    if (dup2(fds[i], i) < 0) return fail(err_fd, "arranging descriptors", errno);
  }
  const int body_fd = fds[3];
  const int channel_fd = fds[4];
  int keep[3] = {body_fd, err_fd, channel_fd};
  for (int i = 0; i < 3; ++i) {  /* ascending */
    for (int j = i + 1; j < 3; ++j) {
      if (keep[j] < keep[i]) {
        int t = keep[i];
        keep[i] = keep[j];
        keep[j] = t;
      }
    }
  }
  close_all_but(keep, 3);

  size_t len = 0;
  char* body = read_all(body_fd, &len);
  close(body_fd);
  if (body == NULL) return fail(err_fd, "reading the request", errno ? errno : ENOMEM);

  char work[256] = "/tmp", tmpfs[128] = "size=67108864,mode=1777", path[512];
  const char* bpf = NULL;
  uint32_t bpf_len = 0;
  struct record r;
  size_t pos = 0;
  while (next_record(body, len, &pos, &r)) {
    if (r.tag == 'w') cstr(&r, work, sizeof(work));
    if (r.tag == 't') cstr(&r, tmpfs, sizeof(tmpfs));
    if (r.tag == 'b') {
      bpf = r.value;
      bpf_len = r.len;
    }
  }

  /* A fresh mount and IPC namespace: this program's /tmp, /dev/shm and SysV/POSIX IPC
   * objects are its own and vanish with it. */
  if (unshare(CLONE_NEWNS | CLONE_NEWIPC) != 0) {
    return fail(err_fd, "unsharing the mount and IPC namespaces", errno);
  }
  if (mount("tmpfs", work, "tmpfs", MS_NOSUID | MS_NODEV, tmpfs) != 0) {
    return fail(err_fd, "mounting the work dir", errno);
  }
  if (access("/dev/shm", F_OK) == 0 &&
      mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, tmpfs) != 0) {
    return fail(err_fd, "mounting /dev/shm", errno);
  }
  pos = 0;
  const char* name = NULL;
  char name_buf[256];
  while (next_record(body, len, &pos, &r)) {
    if (r.tag == 'f') name = cstr(&r, name_buf, sizeof(name_buf));
    if (r.tag == 'c' && name != NULL) {
      snprintf(path, sizeof(path), "%s/%s", work, name);
      int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0 || write_all(fd, r.value, r.len) != 0) {
        return fail(err_fd, "writing the program files", errno);
      }
      close(fd);
    }
  }
  if (chdir(work) != 0) return fail(err_fd, "entering the work dir", errno);
  /* The zygote is shielded from the OOM killer; the program is not. */
  int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (oom >= 0) {
    (void)!write(oom, "0", 1);
    close(oom);
  }

  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    return fail(err_fd, "dropping capabilities", errno);
  }
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct caps[2];
  memset(caps, 0, sizeof(caps));
  if (syscall(SYS_capset, &hdr, caps) != 0) return fail(err_fd, "dropping capabilities", errno);

  pos = 0;
  while (next_record(body, len, &pos, &r)) {
    if (r.tag != 'r' || r.len != 20) continue;
    int32_t res;
    uint64_t soft, hard;
    memcpy(&res, r.value, 4);
    memcpy(&soft, r.value + 4, 8);
    memcpy(&hard, r.value + 12, 8);
    struct rlimit lim = {(rlim_t)soft, (rlim_t)hard};
    if (setrlimit(res, &lim) != 0) return fail(err_fd, "setting rlimits", errno);
  }

  if (bpf != NULL) {
    /* The filter's instructions must be aligned: copy them out of the byte stream. */
    struct sock_filter* insns = malloc(bpf_len);
    if (insns == NULL) return fail(err_fd, "installing the seccomp filter", ENOMEM);
    memcpy(insns, bpf, bpf_len);
    struct sock_fprog prog = {(unsigned short)(bpf_len / sizeof(struct sock_filter)), insns};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
      return fail(err_fd, "installing the seccomp filter", errno);
    }
    if (channel_fd < 0) {
      if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        return fail(err_fd, "installing the seccomp filter", errno);
      }
    } else {
      const long listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                                    SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
      if (listener < 0) return fail(err_fd, "installing the seccomp filter", errno);
      /* Under the filter now: sendmsg and close are the only calls before the program. */
      if (fathom_send_fd(channel_fd, (int)listener) != 0) {
        return fail(err_fd, "handing the seccomp listener to the grader", errno);
      }
      close((int)listener);
      close(channel_fd);
    }
    free(insns);
  } else if (channel_fd >= 0) {
    close(channel_fd);
  }
  *body_out = body;
  *body_len = len;
  return 0;
}

/* In the zygote, once, after its imports: installs the zygote's part of a split seccomp
 * filter (`len` bytes of sock_filter; see sandbox/seccomp.h), which every child inherits.
 * Returns 0 or an errno. */
int fathom_zygote_install_filter(const char* bpf, size_t len) {
  if (len == 0 || len % sizeof(struct sock_filter) != 0 ||
      len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
    return EINVAL;
  }
  struct sock_filter* insns = malloc(len);
  if (insns == NULL) return ENOMEM;
  memcpy(insns, bpf, len);
  struct sock_fprog prog = {(unsigned short)(len / sizeof(struct sock_filter)), insns};
  int err = 0;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    err = errno;
  }
  free(insns);
  return err;
}

/* Frees a body returned by fathom_zygote_child_setup. */
void fathom_zygote_child_free(char* body) { free(body); }
