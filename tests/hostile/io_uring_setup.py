# io_uring_setup (425) with a NULL params pointer: killed before the kernel looks at it.
# The kernel attack surface ends the run (SECCOMP_RET_USER_NOTIF: the sandbox kills it and
# reports the number the kernel gave), the same in both modes since seccomp does not
# depend on namespaces. "BEFORE" must be there, "SURVIVED" not.
# expect: syscall_violation
# expect-no-ns: syscall_violation
# syscall: 425 io_uring_setup
# stdout-contains: BEFORE io_uring_setup
# stdout-not-contains: SURVIVED
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
print("BEFORE io_uring_setup", flush=True)
r = libc.syscall(*[ctypes.c_long(a) for a in (425, 8, 0)])
print("SURVIVED io_uring_setup ->", r, ctypes.get_errno(), flush=True)
