// A fork bomb in D through libc: the native profile ends the run at the first fork.
//
// expect: syscall_violation
// syscall: 56 clone
import core.sys.posix.unistd : fork;
void main() { for (;;) fork(); }
