# init_module (175): loading kernel modules.
# The kernel attack surface kills the whole process (SECCOMP_RET_KILL_PROCESS), the same
# in both modes since seccomp does not depend on namespaces. "BEFORE" must be there, "SURVIVED" not.
# expect: syscall_violation
# expect-no-ns: syscall_violation
# stdout-contains: BEFORE init_module
# stdout-not-contains: SURVIVED
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
print("BEFORE init_module", flush=True)
r = libc.syscall(*[ctypes.c_long(a) for a in (175, 0, 0, 0)])
print("SURVIVED init_module ->", r, ctypes.get_errno(), flush=True)
