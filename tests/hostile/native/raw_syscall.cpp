// A raw syscall() to the kill list, bypassing every libc wrapper: ptrace(PTRACE_TRACEME).
// expect: syscall_violation
// syscall: 101 ptrace
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cstdio>
int main() {
  long r = syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0);
  std::printf("ptrace returned %ld\n", r);
}
