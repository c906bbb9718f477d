# add_key (248) with NULL arguments.
# The kernel attack surface ends the run (SECCOMP_RET_USER_NOTIF: the sandbox kills it and
# reports the number the kernel gave), the same in both modes since seccomp does not
# depend on namespaces. "BEFORE" must be there, "SURVIVED" not.
# expect: syscall_violation
# expect-no-ns: syscall_violation
# syscall: 248 add_key
# stdout-contains: BEFORE add_key
# stdout-not-contains: SURVIVED
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
print("BEFORE add_key", flush=True)
r = libc.syscall(*[ctypes.c_long(a) for a in (248, 0, 0, 0, 0, 0)])
print("SURVIVED add_key ->", r, ctypes.get_errno(), flush=True)
