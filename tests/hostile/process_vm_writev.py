# process_vm_writev (311) aimed at the parent, through ctypes.
# The kernel attack surface ends the run (SECCOMP_RET_USER_NOTIF: the sandbox kills it and
# reports the number the kernel gave), the same in both modes since seccomp does not
# depend on namespaces. "BEFORE" must be there, "SURVIVED" not.
# expect: syscall_violation
# expect-no-ns: syscall_violation
# syscall: 311 process_vm_writev
# stdout-contains: BEFORE process_vm_writev
# stdout-not-contains: SURVIVED
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
print("BEFORE process_vm_writev", flush=True)
r = libc.syscall(*[ctypes.c_long(a) for a in (311, __import__('os').getppid(), 0, 0, 0, 0, 0)])
print("SURVIVED process_vm_writev ->", r, ctypes.get_errno(), flush=True)
