// Threads started until the JVM cannot start another: the run's task limit
// (max_processes, pids.max in its cgroup) stops pthread_create with EAGAIN, the JVM throws
// OutOfMemoryError("unable to create native thread") and main dies with it (exit 1).
// The threads are daemons that sleep: they neither keep the JVM alive nor spin.
//
// expect: nonzero_exit
// exit-code: 1
// stderr-contains: unable to create native thread
public class Main {
  public static void main(String[] args) {
    int started = 0;
    for (;;) {
      Thread t = new Thread(() -> {
        try { Thread.sleep(Long.MAX_VALUE); } catch (InterruptedException e) { }
      });
      t.setDaemon(true);
      t.start();
      if (++started % 10 == 0) System.out.println("started " + started);
    }
  }
}
