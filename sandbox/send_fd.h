/* Hands descriptors to another process over a unix socket (SCM_RIGHTS), from a child
 * between fork and exec or from the zygote's loop: shared by the fresh path's init (C++)
 * and the zygote (zygote_child.c, a C library loaded into Python), so it is plain C. */
#ifndef FATHOM_SANDBOX_SEND_FD_H_
#define FATHOM_SANDBOX_SEND_FD_H_

#ifdef __cplusplus
extern "C" {
#endif

/* Sends `fd` and one byte over `sock` (MSG_NOSIGNAL: a closed peer is EPIPE, not a
 * signal). Async-signal-safe. Returns 0, or -1 with errno set. */
int fathom_send_fd(int sock, int fd);

/* The same for `n` descriptors (0..FATHOM_SEND_FDS_MAX; 0: the byte alone) and the byte
 * `tag`. */
#define FATHOM_SEND_FDS_MAX 8
int fathom_send_fds(int sock, char tag, const int* fds, int n);

#ifdef __cplusplus
}
#endif

#endif /* FATHOM_SANDBOX_SEND_FD_H_ */
