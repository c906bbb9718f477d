# Calls ptrace(PTRACE_TRACEME) through ctypes: kernel attack surface, seccomp kills the process.
# expect: syscall_violation
import ctypes

libc = ctypes.CDLL(None, use_errno=True)
PTRACE_TRACEME = 0
result = libc.ptrace(PTRACE_TRACEME, 0, None, None)
print(f"ptrace returned {result}: the call was not blocked")
