# ptrace(PTRACE_TRACEME) through ctypes (syscall 101).
# The kernel attack surface ends the run (SECCOMP_RET_USER_NOTIF: the sandbox kills it and
# reports the number the kernel gave), the same in both modes since seccomp does not
# depend on namespaces. "BEFORE" must be there, "SURVIVED" not.
# expect: syscall_violation
# expect-no-ns: syscall_violation
# syscall: 101 ptrace
# stdout-contains: BEFORE ptrace
# stdout-not-contains: SURVIVED
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
print("BEFORE ptrace", flush=True)
r = libc.syscall(*[ctypes.c_long(a) for a in (101, 0, 0, 0, 0)])
print("SURVIVED ptrace ->", r, ctypes.get_errno(), flush=True)
