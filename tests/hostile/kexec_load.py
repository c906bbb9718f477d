# kexec_load (246).
# The kernel attack surface ends the run (SECCOMP_RET_USER_NOTIF: the sandbox kills it and
# reports the number the kernel gave), the same in both modes since seccomp does not
# depend on namespaces. "BEFORE" must be there, "SURVIVED" not.
# expect: syscall_violation
# expect-no-ns: syscall_violation
# syscall: 246 kexec_load
# stdout-contains: BEFORE kexec_load
# stdout-not-contains: SURVIVED
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
print("BEFORE kexec_load", flush=True)
r = libc.syscall(*[ctypes.c_long(a) for a in (246, 0, 0, 0, 0)])
print("SURVIVED kexec_load ->", r, ctypes.get_errno(), flush=True)
