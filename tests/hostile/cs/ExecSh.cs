// Process.Start running a shell: Mono forks (a clone without CLONE_THREAD) and the vm
// profile ends the run there as syscall_violation; "escaped" is never printed.
//
// expect: syscall_violation
// syscall: 56 clone
// stdout-not-contains: escaped
class Problem {
  public static void Main(string[] args) {
    var p = System.Diagnostics.Process.Start("/usr/bin/sh", "-c 'echo escaped'");
    p.WaitForExit();
  }
}
