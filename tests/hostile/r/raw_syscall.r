# R reaching a kill-list syscall through libc with .C(): ptrace(2) ends the run as
# syscall_violation, whatever its arguments.
# expect: syscall_violation
# syscall: 101 ptrace
dyn.load("/lib/x86_64-linux-gnu/libc.so.6")
.C("ptrace", 0L, 0L, 0L, 0L)
cat("survived\n")
