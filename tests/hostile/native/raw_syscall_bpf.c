// Another raw syscall on the kill list: bpf(2), the kernel's programmable attack surface.
// expect: syscall_violation
// syscall: 321 bpf
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  syscall(SYS_bpf, 0, 0, 0);
  return 0;
}
