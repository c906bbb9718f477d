# perf_event_open (298) with a NULL attr.
# The kernel attack surface ends the run (SECCOMP_RET_USER_NOTIF: the sandbox kills it and
# reports the number the kernel gave), the same in both modes since seccomp does not
# depend on namespaces. "BEFORE" must be there, "SURVIVED" not.
# expect: syscall_violation
# expect-no-ns: syscall_violation
# syscall: 298 perf_event_open
# stdout-contains: BEFORE perf_event_open
# stdout-not-contains: SURVIVED
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
print("BEFORE perf_event_open", flush=True)
r = libc.syscall(*[ctypes.c_long(a) for a in (298, 0, 0, -1, -1, 0)])
print("SURVIVED perf_event_open ->", r, ctypes.get_errno(), flush=True)
