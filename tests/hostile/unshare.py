# unshare(CLONE_NEWUSER) (272): a fresh user namespace would hand the program capabilities over new namespaces.
# The kernel attack surface ends the run (SECCOMP_RET_USER_NOTIF: the sandbox kills it and
# reports the number the kernel gave), the same in both modes since seccomp does not
# depend on namespaces. "BEFORE" must be there, "SURVIVED" not.
# expect: syscall_violation
# expect-no-ns: syscall_violation
# syscall: 272 unshare
# stdout-contains: BEFORE unshare
# stdout-not-contains: SURVIVED
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
print("BEFORE unshare", flush=True)
r = libc.syscall(*[ctypes.c_long(a) for a in (272, 0x10000000)])
print("SURVIVED unshare ->", r, ctypes.get_errno(), flush=True)
