// execve of /bin/sh from C. The native profile execs the binary alone (kill_exec): the
// attempt is a violation, and /bin/sh is not even in the run's binds.
// expect: syscall_violation
// syscall: 59 execve
#include <unistd.h>
int main(void) {
  char* const argv[] = {(char*)"sh", (char*)"-c", (char*)"echo escaped", 0};
  execve("/bin/sh", argv, 0);
  return 0;
}
