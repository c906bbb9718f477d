// Java's ProcessBuilder starting /bin/sh: the JDK spawns through posix_spawn (a clone
// without CLONE_THREAD, then an exec of jspawnhelper), and the vm profile ends the run
// at that clone as syscall_violation. Nothing after it runs; "escaped" is never printed.
//
// expect: syscall_violation
// syscall: 56 clone
// stdout-not-contains: escaped
public class Main {
  public static void main(String[] args) throws Exception {
    Process p = new ProcessBuilder("/bin/sh", "-c", "echo escaped").inheritIO().start();
    System.out.println("started " + p.pid());
    p.waitFor();
  }
}
