// Fork bomb in C. The native profile kills process creation (kill_process_creation): the
// first fork() (glibc's clone without CLONE_THREAD) ends the run as a violation before a
// second process exists. The pids limit would be the second line.
// expect: syscall_violation
// syscall: 56 clone
#include <unistd.h>
int main(void) {
  for (;;) fork();
}
