// Threads until the VM cannot start one: the pids limit (64 tasks) refuses the clone,
// Mono throws ExecutionEngineException ("Couldn't create thread"), uncaught: exit 1.
//
// expect: nonzero_exit
// exit-code: 1
// stderr-contains: Couldn't create thread
using System.Threading;
class Problem {
  public static void Main(string[] args) {
    for (;;) {
      var t = new Thread(() => Thread.Sleep(-1));
      t.IsBackground = true;
      t.Start();
    }
  }
}
