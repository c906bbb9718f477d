# process_vm_readv (310) aimed at the parent, through ctypes.
# The kernel attack surface ends the run (SECCOMP_RET_USER_NOTIF: the sandbox kills it and
# reports the number the kernel gave), the same in both modes since seccomp does not
# depend on namespaces. "BEFORE" must be there, "SURVIVED" not.
# expect: syscall_violation
# expect-no-ns: syscall_violation
# syscall: 310 process_vm_readv
# stdout-contains: BEFORE process_vm_readv
# stdout-not-contains: SURVIVED
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
print("BEFORE process_vm_readv", flush=True)
r = libc.syscall(*[ctypes.c_long(a) for a in (310, __import__('os').getppid(), 0, 0, 0, 0, 0)])
print("SURVIVED process_vm_readv ->", r, ctypes.get_errno(), flush=True)
