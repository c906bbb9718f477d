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
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
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

/* Phase tracing (a diagnostic, off unless a request asks for it with a 'T' record; see
 * RunTrace in sandbox/run_spec.h). A point is when (CLOCK_MONOTONIC) and how much CPU and
 * how many minor faults the calling process had used by then. Taking one costs two
 * syscalls and touches only the caller's stack, so the child takes its first point
 * always (it cannot know yet whether its request will ask) and writes the points only
 * when asked: as lines "T name wall_ns cpu_ns minflt" on its error pipe, which the zygote
 * reads after reaping it. Points before the request are kept on the stack too: writing
 * them to a static would copy a page of this library for every child. */
struct trace_point {
  long long wall_ns, cpu_ns, minflt;
};

static long long timespec_ns(const struct timespec* t) {
  return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static void trace_now(struct trace_point* p) {
  struct timespec t;
  struct rusage ru;
  clock_gettime(CLOCK_MONOTONIC, &t);
  p->wall_ns = timespec_ns(&t);
  /* The thread's clock: the process's is only brought up to date at the scheduler's
   * ticks. (The zygote and its children are single-threaded here.) */
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  p->cpu_ns = timespec_ns(&t);
  p->minflt = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : -1;
}

static void trace_write(int fd, const char* name, const struct trace_point* p) {
  char line[128];
  const int n = snprintf(line, sizeof(line), "T %s %lld %lld %lld\n", name, p->wall_ns,
                         p->cpu_ns, p->minflt);
  if (n > 0 && (size_t)n < sizeof(line)) (void)write_all(fd, line, (size_t)n);
}

/* For the Python side of the child (python_zygote.py): records the point `name` now on
 * the error pipe. */
void fathom_zygote_trace(int err_fd, const char* name) {
  struct trace_point p;
  trace_now(&p);
  trace_write(err_fd, name, &p);
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

/* The children's scratch space: the work dir (kSandboxWorkDir in sandbox/mounts.h) and
 * /dev/shm. Each program used to get them in a mount namespace of its own, made by its
 * spare; but when that namespace went, at the program's exit, the kernel unmounted its
 * tmpfs and waited for an expedited RCU grace period (namespace_unlock) before the
 * process could be reaped: a median 0.12 ms and a p90 of 1 ms, on every run's critical
 * path, idling both cores of a busy 2-core server for 14% of the time. So every child
 * now works in the zygote's mount namespace, on two tmpfs the zygote mounts once, which
 * each child resizes (a remount: no unmount) to its own limit and which the zygote empties
 * after the child is reaped and before it is reported (empty_scratch): the next program
 * never sees what the last one left, and the cost of a mess is its maker's. A program
 * cannot mount, unmount or remount anything (no capabilities, and its filter kills those
 * calls), and when the zygote cannot empty a tree (deeper than kMaxScratchDepth, or any
 * error) it replaces the mount instead (replace_scratch). */
static const char kWorkDir[] = "/tmp";
static const char kDefaultTmpfs[] = "size=67108864,mode=1777";
enum { kMaxScratchDepth = 32 };
static int have_shm = -1;  /* whether /dev/shm exists in the sandbox; -1: not yet known */

static int mount_scratch(void) {
  if (have_shm < 0) have_shm = access("/dev/shm", F_OK) == 0;
  if (mount("tmpfs", kWorkDir, "tmpfs", MS_NOSUID | MS_NODEV, kDefaultTmpfs) != 0) return -1;
  if (have_shm &&
      mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, kDefaultTmpfs) != 0) {
    return -1;
  }
  return 0;
}

/* Removes everything in the directory `dir` (not following symlinks). 0 or -1. */
static int empty_dir(int dir, int depth) {
  char buf[4096];
  for (;;) {  /* until a pass finds nothing: never read a directory while it changes */
    if (lseek(dir, 0, SEEK_SET) < 0) return -1;
    int removed = 0;
    for (;;) {
      const long n = syscall(SYS_getdents64, dir, buf, sizeof(buf));
      if (n < 0) return -1;
      if (n == 0) break;
      for (long off = 0; off < n;) {
        /* struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name */
        unsigned short reclen;
        memcpy(&reclen, buf + off + 16, sizeof(reclen));
        const char* name = buf + off + 19;
        off += reclen;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
        if (unlinkat(dir, name, 0) == 0) {
          ++removed;
          continue;
        }
        if (errno != EISDIR || depth >= kMaxScratchDepth) return -1;
        const int sub = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) return -1;
        const int rc = empty_dir(sub, depth + 1);
        close(sub);
        if (rc != 0 || unlinkat(dir, name, AT_REMOVEDIR) != 0) return -1;
        ++removed;
      }
    }
    if (removed == 0) return 0;
  }
}

static int empty_scratch_dir(const char* path) {
  const int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  const int rc = empty_dir(fd, 0);
  close(fd);
  return rc;
}

/* Unmounts both (lazily) and mounts them afresh: the slow way, for what empty_dir
 * refuses. 0 or -1. */
static int replace_scratch(void) {
  if (umount2(kWorkDir, MNT_DETACH) != 0) return -1;
  if (have_shm && umount2("/dev/shm", MNT_DETACH) != 0) return -1;
  return mount_scratch();
}

static int empty_scratch(void) {
  if (empty_scratch_dir(kWorkDir) == 0 && (!have_shm || empty_scratch_dir("/dev/shm") == 0)) {
    return 0;
  }
  return replace_scratch();
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

/* Installs `len` bytes of sock_filter (after PR_SET_NO_NEW_PRIVS) with seccomp(2)
 * `flags`. Returns what seccomp returns (a listener with SECCOMP_FILTER_FLAG_NEW_LISTENER,
 * else 0), or -1 with errno set. */
static long install_bpf(const char* bpf, size_t len, unsigned flags) {
  if (len == 0 || len % sizeof(struct sock_filter) != 0 ||
      len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
    errno = EINVAL;
    return -1;
  }
  /* The instructions must be aligned: copy them out of the byte stream. */
  struct sock_filter* insns = malloc(len);
  if (insns == NULL) {
    errno = ENOMEM;
    return -1;
  }
  memcpy(insns, bpf, len);
  struct sock_fprog prog = {(unsigned short)(len / sizeof(struct sock_filter)), insns};
  long rc = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (rc == 0) rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  const int err = errno;
  free(insns);
  errno = err;
  return rc;
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

/* The CPUs the zygote could run on before it pinned itself to one (fathom_zygote_pin):
 * its children's, which each takes back before its program runs, so that a program sees
 * (os.sched_getaffinity) and may use what a fresh run of it would. Set in the zygote
 * before its first fork; children only read it. */
static cpu_set_t started_cpus;
static int pinned;

/* In the zygote, before its first fork: keeps it, and so the children it forks, on
 * `cpu` (ZygoteOptions::pin_slots in sandbox/zygote.h). Returns 0 or an errno (the
 * zygote then runs unpinned). */
int fathom_zygote_pin(int cpu) {
  if (cpu < 0 || cpu >= CPU_SETSIZE) return EINVAL;
  if (sched_getaffinity(0, sizeof(started_cpus), &started_cpus) != 0) return errno;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (sched_setaffinity(0, sizeof(one), &one) != 0) return errno;
  pinned = 1;
  return 0;
}

/* The name a waiting child shows in ps (/proc/PID/comm), and the zygote's own, which
 * the child takes back before the program runs. */
static const char kSpareName[] = "fathom-spare";
static char zygote_name[16];

/* Forks the next child (the zygote wears kSpareName across the fork, so the child is
 * born with it and no observer ever sees a waiting child under the zygote's name).
 * Returns fork()'s value. */
static pid_t fork_named(void) {
  if (zygote_name[0] == '\0') prctl(PR_GET_NAME, zygote_name, 0, 0, 0);
  prctl(PR_SET_NAME, kSpareName, 0, 0, 0);
  const pid_t pid = fork();
  if (pid != 0) prctl(PR_SET_NAME, zygote_name, 0, 0, 0);
  return pid;
}

/* One message of up to `cap` bytes from `sock` with its descriptors (SCM_RIGHTS): the
 * first `max` go to fds[] and *nfds; any beyond them are closed and counted in *extra.
 * Retries EINTR. Returns the message's length (0: the peer closed), or -1. */
static ssize_t recv_with_fds(int sock, char* data, size_t cap, int* fds, int max, int* nfds,
                             int* extra) {
  struct iovec iov = {data, cap};
  union {
    char buf[CMSG_SPACE(sizeof(int) * 8)];
    struct cmsghdr align;
  } u;
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof(u.buf);
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  *nfds = 0;
  *extra = (msg.msg_flags & MSG_CTRUNC) ? 1 : 0;
  if (n < 0) return -1;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    for (int i = 0; i < k; ++i) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (*nfds < max) {
        fds[(*nfds)++] = fd;
      } else {
        close(fd);
        ++*extra;
      }
    }
  }
  return n;
}

/* What a child returns to Python with (python_zygote.py's ChildRequest). */
struct child_request {
  char* body;  /* the request (malloc'd): argv, env and the program files */
  size_t body_len;
  int err_fd;  /* the error pipe: closed by Python just before the program runs */
  /* A usual request (below): the script's text, in body; else NULL. */
  const char* script;
  size_t script_len;
  int trace;  /* the request asks for phase tracing */
};

/* The usual request, as the zygote expects most of them (fathom_zygote_expect): its
 * argv, original argv and environment records, and the script's path. For such a
 * request with pipes as stdin, stdout and stderr, the zygote has sys.argv, sys.orig_argv,
 * the environment, the std streams and a fresh __main__ ready before it forks, and the
 * child only runs the script: every Python object a child touches is a page it copies.
 * Set in the zygote before its first fork; children only read it. */
static char* usual_prefix;
static size_t usual_prefix_len;
static char usual_script[256];
enum { kUsualErrFd = 3 };  /* a usual child's error pipe (python_zygote.py: USUAL_ERR_FD) */

/* In the zygote, before serving: `prefix` holds the records ('a', 'o', 'e') a usual
 * request starts with, `script` the path its 's' record names. 0 or an errno. */
int fathom_zygote_expect(const char* prefix, size_t len, const char* script) {
  if (strlen(script) >= sizeof(usual_script)) return ENAMETOOLONG;
  char* copy = malloc(len);
  if (copy == NULL) return ENOMEM;
  memcpy(copy, prefix, len);
  free(usual_prefix);
  usual_prefix = copy;
  usual_prefix_len = len;
  strcpy(usual_script, script);
  return 0;
}

static int is_fifo(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

/* Whether `body` is a usual request; if so, *script / *script_len are its script's
 * text. After the prefix only records other than argv, original argv and environment
 * may follow (no extra argument, no extra variable). */
static int usual_request(const char* body, size_t len, const char** script, size_t* script_len) {
  if (usual_prefix == NULL || len < usual_prefix_len ||
      memcmp(body, usual_prefix, usual_prefix_len) != 0) {
    return 0;
  }
  char name_buf[256], path[512];
  const char* name = NULL;
  const char* text = NULL;
  size_t text_len = 0;
  int script_ok = 0;
  struct record r;
  size_t pos = usual_prefix_len;
  while (next_record(body, len, &pos, &r)) {
    if (r.tag == 'a' || r.tag == 'o' || r.tag == 'e') return 0;
    if (r.tag == 's') {
      script_ok = r.len == strlen(usual_script) && memcmp(r.value, usual_script, r.len) == 0;
    }
    if (r.tag == 'f') name = cstr(&r, name_buf, sizeof(name_buf));
    if (r.tag == 'c' && name != NULL && text == NULL) {
      snprintf(path, sizeof(path), "%s/%s", kWorkDir, name);
      if (strcmp(path, usual_script) == 0 || strcmp(name, usual_script) == 0) {
        text = r.value;
        text_len = r.len;
      }
    }
  }
  if (!script_ok || text == NULL || !is_fifo(0) || !is_fifo(1) || !is_fifo(2)) return 0;
  *script = text;
  *script_len = text_len;
  return 1;
}

/* In a child forked by fork_named, right away. Before its request comes:
 * closes every descriptor but `sock` and err_fd and, unless share_ipc, gives itself a
 * fresh IPC namespace. Then it waits on `sock` for the request's descriptors {stdin,
 * stdout, stderr, body} (tag "R", or "N" for notification), takes the zygote's name
 * back, moves the stdio to 0..2, reads the request, sizes the (empty) work dir and
 * /dev/shm to its limit, writes the program files, drops every capability, applies the
 * rlimits and finally the seccomp filter (the zygote's part of a split filter is
 * inherited; this adds the rest); with "N" the filter notifies the grader of kill-list
 * syscalls, and its listener is sent back over `sock` (the zygote forwards it) and closed
 * here with `sock`, before any program code runs (see sandbox/seccomp_notify.h). On
 * success *out holds the request (the caller reads argv, env and the program from it, or
 * only the script when it is a usual one) and 0 is returned; on failure the reason is on
 * err_fd and -1 is returned. `born`: the child's first trace point. */
static int child_setup(int sock, int err_fd, int share_ipc, const struct trace_point* born,
                       struct child_request* out) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  int keep[2] = {sock < err_fd ? sock : err_fd, sock < err_fd ? err_fd : sock};
  close_all_but(keep, 2);
  /* A fresh IPC namespace: this program's SysV/POSIX IPC objects are its own and vanish
   * with it. (With share_ipc the filter lets the program create no IPC object, and the
   * zygote's empty IPC namespace serves every program.) Its /tmp and /dev/shm are the
   * zygote's scratch tmpfs, empty (see empty_scratch). */
  if (!share_ipc && unshare(CLONE_NEWIPC) != 0) {
    return fail(err_fd, "unsharing the IPC namespace", errno);
  }

  int fds[4] = {-1, -1, -1, -1};
  char tag;
  int nfds, extra;
  const ssize_t got = recv_with_fds(sock, &tag, 1, fds, 4, &nfds, &extra);
  struct trace_point requested;
  trace_now(&requested);
  if (got < 0) return fail(err_fd, "receiving the request", errno);
  if (got == 0) return fail(err_fd, "receiving the request", ECONNRESET);
  if (extra != 0 || nfds != 4 || (tag != 'R' && tag != 'N')) {
    return fail(err_fd, "receiving the request", EPROTO);
  }
  /* "N": the listener goes back over this socket to the zygote, which forwards it. */
  int channel_fd = -1;
  if (tag == 'N') {
    channel_fd = sock >= 3 ? sock : fcntl(sock, F_DUPFD_CLOEXEC, 3);  /* clear of the stdio */
    if (channel_fd < 0) return fail(err_fd, "arranging descriptors", errno);
  }
  if (channel_fd != sock) close(sock);
  if (zygote_name[0] != '\0') prctl(PR_SET_NAME, zygote_name, 0, 0, 0);
  for (int i = 0; i < 3; ++i) {
    if (dup2(fds[i], i) < 0) return fail(err_fd, "arranging descriptors", errno);
  }
  const int body_fd = fds[3];
  int keep3[3] = {body_fd, err_fd, channel_fd};
  for (int i = 0; i < 3; ++i) {  /* ascending */
    for (int j = i + 1; j < 3; ++j) {
      if (keep3[j] < keep3[i]) {
        int t = keep3[i];
        keep3[i] = keep3[j];
        keep3[j] = t;
      }
    }
  }
  close_all_but(keep3, 3);

  size_t len = 0;
  char* body = read_all(body_fd, &len);
  close(body_fd);
  if (body == NULL) return fail(err_fd, "reading the request", errno ? errno : ENOMEM);

  char work[256] = "/tmp", tmpfs[128] = "", path[512];
  const char* bpf = NULL;
  uint32_t bpf_len = 0;
  int trace = 0;
  struct record r;
  size_t pos = 0;
  while (next_record(body, len, &pos, &r)) {
    if (r.tag == 'T') trace = 1;
    if (r.tag == 'w') cstr(&r, work, sizeof(work));
    if (r.tag == 't') cstr(&r, tmpfs, sizeof(tmpfs));
    if (r.tag == 'b') {
      bpf = r.value;
      bpf_len = r.len;
    }
  }

  if (strcmp(work, kWorkDir) != 0) return fail(err_fd, "the work dir is not /tmp", EINVAL);
  if (tmpfs[0] != '\0') {  /* this program's size limit */
    if (mount(NULL, kWorkDir, NULL, MS_REMOUNT | MS_NOSUID | MS_NODEV, tmpfs) != 0) {
      return fail(err_fd, "sizing the work dir", errno);
    }
    if (have_shm &&
        mount(NULL, "/dev/shm", NULL, MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC, tmpfs) != 0) {
      return fail(err_fd, "sizing /dev/shm", errno);
    }
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
  /* It was forked, and has set up, on its zygote's CPU; the program may use them all. */
  if (pinned && sched_setaffinity(0, sizeof(started_cpus), &started_cpus) != 0) {
    return fail(err_fd, "restoring the CPU affinity", errno);
  }

  if (bpf != NULL) {
    const long listener =
        install_bpf(bpf, bpf_len, channel_fd < 0 ? 0 : SECCOMP_FILTER_FLAG_NEW_LISTENER);
    if (listener < 0) return fail(err_fd, "installing the seccomp filter", errno);
    if (channel_fd >= 0) {
      /* Under the filter now: sendmsg and close are the only calls before the program. */
      if (fathom_send_fd(channel_fd, (int)listener) != 0) {
        return fail(err_fd, "handing the seccomp listener to the grader", errno);
      }
      close((int)listener);
      close(channel_fd);
    }
  } else if (channel_fd >= 0) {
    close(channel_fd);
  }
  out->body = body;
  out->body_len = len;
  out->err_fd = err_fd;
  out->trace = trace;
  out->script = NULL;
  out->script_len = 0;
  if (usual_request(body, len, &out->script, &out->script_len) && err_fd != kUsualErrFd) {
    /* Python finds the error pipe here without asking (every other descriptor but the
     * stdio is closed by now). */
    if (dup2(err_fd, kUsualErrFd) < 0) return fail(err_fd, "arranging descriptors", errno);
    close(err_fd);
    out->err_fd = err_fd = kUsualErrFd;
  }
  if (trace) {
    struct trace_point done;
    trace_now(&done);
    trace_write(err_fd, "born", born);
    trace_write(err_fd, "spare", &requested);
    trace_write(err_fd, "layers", &done);
  }
  return 0;
}

/* In the zygote, once, after its imports: installs the zygote's part of a split seccomp
 * filter (`len` bytes of sock_filter; see sandbox/seccomp.h), which every child inherits.
 * Returns 0 or an errno. */
int fathom_zygote_install_filter(const char* bpf, size_t len) {
  return install_bpf(bpf, len, 0) < 0 ? errno : 0;
}

/* The spare: the child forked ahead of its request. */
struct spare {
  pid_t pid;
  int sock;   /* ours of the socketpair the request's descriptors go over (and with "N"
               * its listener comes back on); -1 once closed */
  int err_r;  /* the read end of its error pipe */
  struct trace_point fork_start, fork_end;  /* the zygote's, around the fork */
};

/* Forks a spare. In the child this does not return unless its setup succeeded: it then
 * returns 0 with its request in *req. In the zygote it returns 1, or -1 with errno set. */
static int spawn(struct spare* sp, int share_ipc, struct child_request* req) {
  int sv[2], ep[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return -1;
  if (pipe2(ep, O_CLOEXEC) != 0) {
    close(sv[0]);
    close(sv[1]);
    return -1;
  }
  fcntl(ep[0], F_SETFL, O_NONBLOCK);  /* read once the child is reaped: never wait */
  struct trace_point before, after;
  trace_now(&before);
  const pid_t pid = fork_named();
  if (pid == 0) {
    struct trace_point born;
    trace_now(&born);
    if (child_setup(sv[1], ep[1], share_ipc, &born, req) != 0) _exit(127);
    return 0;
  }
  trace_now(&after);
  if (pid < 0) {
    const int err = errno;
    close(sv[0]);
    close(sv[1]);
    close(ep[0]);
    close(ep[1]);
    errno = err;
    return -1;
  }
  close(sv[1]);
  close(ep[1]);
  sp->fork_start = before;
  sp->fork_end = after;
  sp->pid = pid;
  sp->sock = sv[0];
  sp->err_r = ep[0];
  return 1;
}

static int send_msg(int ctl, const char* text, size_t n) {
  ssize_t w;
  do {
    w = send(ctl, text, n, MSG_NOSIGNAL);
  } while (w < 0 && errno == EINTR);
  return w == (ssize_t)n ? 0 : -1;
}

/* Sends the listener the child sent on `sock` (if that is what came) to the grader as
 * "L", ahead of the report; closes `sock` (one listener per run) and sets it to -1. The
 * grader takes it only if it is a seccomp listener. Returns 0, or -1 when ctl failed. */
static int forward_listener(int ctl, int* sock) {
  char tag = 0;
  int fd = -1, nfds, extra;
  const ssize_t n = recv_with_fds(*sock, &tag, 1, &fd, 1, &nfds, &extra);
  close(*sock);
  *sock = -1;
  if (n != 1 || nfds != 1) {  /* its setup failed first: the report will say why */
    if (nfds == 1) close(fd);
    return 0;
  }
  const int r = fathom_send_fds(ctl, 'L', &fd, 1);
  close(fd);
  return r;
}

/* Waits for the running child `pid` to end, killing it on "K" and forwarding its seccomp
 * listener when it sends one on *sock (-1: none asked). Returns 0 once it can be reaped,
 * 1 when the grader closed the control socket, -1 on error. Closes *sock. */
static int await_child(int ctl, pid_t pid, int* sock) {
  const int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) return -1;
  int rc = -1;
  for (;;) {
    struct pollfd p[3] = {{ctl, POLLIN, 0}, {pidfd, POLLIN, 0}, {*sock, POLLIN, 0}};
    if (poll(p, *sock >= 0 ? 3 : 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (*sock >= 0 && p[2].revents != 0 && forward_listener(ctl, sock) != 0) break;
    if (p[1].revents != 0) {
      /* A listener not forwarded by now has no task left to notify about. */
      rc = 0;
      break;
    }
    if (p[0].revents != 0) {
      char m[64];
      const ssize_t n = recv(ctl, m, sizeof(m), MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) {
        rc = 1;
        break;
      }
      if (m[0] == 'K') kill(pid, SIGKILL); /* not reaped yet: the pid is still the child's */
    }
  }
  close(pidfd);
  if (*sock >= 0) close(*sock);
  *sock = -1;
  return rc;
}

/* What fathom_zygote_serve returns in a child: 0, or for a usual request 2 (3 when the
 * request asks for phase tracing), so that Python need not read *req for it. */
static int child_code(const struct child_request* req) {
  return req->script == NULL ? 0 : req->trace ? 3 : 2;
}

/* The zygote's loop (the protocol is in sandbox/python_zygote.py). In C, not Python: the
 * zygote works while its spare is alive, and every page it wrote would be copied for
 * one of the two; this loop writes a few words of stack and nothing of the interpreter's
 * heap. Forks the first spare, sends READY, then serves requests until the grader closes
 * `ctl` (returns 1) or something fails (-1 with errno set). In a child it returns
 * child_code() with its request in *req, whose error pipe the caller closes once nothing
 * more can fail before the program runs (for a usual request, descriptor kUsualErrFd).
 * With `share_ipc` the children keep the zygote's IPC namespace instead of making their
 * own. */
int fathom_zygote_serve(int ctl, int share_ipc, struct child_request* req) {
  if (mount_scratch() != 0) return -1;
  struct spare sp;
  int r = spawn(&sp, share_ipc, req);
  if (r <= 0) return r < 0 ? r : child_code(req);
  if (send_msg(ctl, "READY", 5) != 0) return -1;
  for (;;) {
    char m[64];
    int fds[4];
    int nfds, extra;
    const ssize_t n = recv_with_fds(ctl, m, sizeof(m), fds, 4, &nfds, &extra);
    if (n < 0) return -1;
    if (n == 0) return 1;  /* the grader closed its end: leave (our pid namespace goes too) */
    if ((m[0] != 'R' && m[0] != 'N') || extra != 0 || nfds != 4) {
      for (int i = 0; i < nfds; ++i) close(fds[i]);
      if (m[0] != 'K') {  /* a stale kill is expected; anything else is a bug */
        char e[128];
        const int len = snprintf(e, sizeof(e), "E protocol: unexpected message '%c' with %d fds",
                                 m[0], nfds + extra);
        if (send_msg(ctl, e, (size_t)len) != 0) return -1;
      }
      continue;
    }
    /* A spare that died getting ready makes this fail; its reason is on its error pipe. */
    (void)fathom_send_fds(sp.sock, m[0], fds, nfds);
    for (int i = 0; i < nfds; ++i) close(fds[i]);
    if (m[0] != 'N') {  /* "N": its listener comes back on it */
      close(sp.sock);
      sp.sock = -1;
    }
    r = await_child(ctl, sp.pid, &sp.sock);
    if (r != 0) return r;
    struct trace_point exited;
    trace_now(&exited);
    int status = 0;
    struct rusage ru;
    while (wait4(sp.pid, &status, 0, &ru) < 0) {
      if (errno != EINTR) return -1;
    }
    char err[4096];
    ssize_t got = 0, n_read;
    do {  /* a traced child writes its points first: read to the end */
      n_read = read(sp.err_r, err + got, sizeof(err) - 1 - (size_t)got);
      if (n_read > 0) got += n_read;
    } while ((n_read > 0 && (size_t)got < sizeof(err) - 1) || (n_read < 0 && errno == EINTR));
    close(sp.err_r);
    err[got] = '\0';
    /* The child's trace points (lines "T ..."), then what it said when a step failed. */
    size_t trace_len = 0;
    while (trace_len < (size_t)got && strncmp(err + trace_len, "T ", 2) == 0) {
      const char* eol = strchr(err + trace_len, '\n');
      if (eol == NULL) break;
      trace_len = (size_t)(eol - err) + 1;
    }
    /* Before the report: the next program may be sent as soon as it is out. */
    if (empty_scratch() != 0) return -1;
    char out[8192];
    int len;
    const long long cpu_us = (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
                             (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
    if ((size_t)got > trace_len) {
      len = snprintf(out, sizeof(out), "E %s", err + trace_len);
    } else {
      len = snprintf(out, sizeof(out), "X %d %lld %lld %ld", status,
                     (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
                     (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec,
                     ru.ru_maxrss);
      if (trace_len > 0 && len > 0 && (size_t)len < sizeof(out)) {
        struct trace_point reported;
        trace_now(&reported);
        len += snprintf(out + len, sizeof(out) - (size_t)len,
                        "\n%.*sT exit %lld %lld %ld\nZ fork %lld %lld %lld %lld"
                        "\nZ reap %lld %lld %lld %lld",
                        (int)trace_len, err, exited.wall_ns, cpu_us * 1000, ru.ru_minflt,
                        sp.fork_start.wall_ns, sp.fork_end.wall_ns,
                        sp.fork_end.cpu_ns - sp.fork_start.cpu_ns,
                        sp.fork_end.minflt - sp.fork_start.minflt, exited.wall_ns,
                        reported.wall_ns, reported.cpu_ns - exited.cpu_ns,
                        reported.minflt - exited.minflt);
      }
    }
    if (len < 0 || (size_t)len >= sizeof(out)) len = (int)strlen(out);
    if (send_msg(ctl, out, (size_t)len) != 0) return -1;
    r = spawn(&sp, share_ipc, req);
    if (r <= 0) return r < 0 ? r : child_code(req);
  }
}
