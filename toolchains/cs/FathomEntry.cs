// The entry point of every C# program the cs runtime compiles (mcs -main:FathomEntry__,
// policies/runtimes/cs.yaml). MultiPL-E's C# tests are Debug.Assert calls in Main, built
// with DEBUG defined; on Mono a failed Debug.Assert prints through the trace listeners and
// the program goes on and exits 0, so MultiPL-E reads its stderr for the listener's
// "Fail" to call the run an Exception. Fathom decides by the exit status: this entry
// installs a listener that reports the failure on stderr as Mono's listener does and
// exits 1, then runs the program's own Main.
using System;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.ExceptionServices;

static class FathomEntry__ {
  sealed class ExitOnFail : TraceListener {
    public override void Write(string message) { Console.Error.Write(message); }
    public override void WriteLine(string message) { Console.Error.WriteLine(message); }
    public override void Fail(string message, string detail) {
      Console.Error.WriteLine("Fail: " + message + (string.IsNullOrEmpty(detail) ? "" : " " + detail));
      Console.Error.WriteLine(new StackTrace(1, true).ToString());
      Console.Out.Flush();
      Console.Error.Flush();
      Environment.Exit(1);
    }
  }

  static int Main(string[] args) {
    Trace.Listeners.Clear();
    Trace.Listeners.Add(new ExitOnFail());
    MethodInfo main = null;
    foreach (Type t in Assembly.GetExecutingAssembly().GetTypes()) {
      if (t == typeof(FathomEntry__)) continue;
      MethodInfo m = t.GetMethod("Main", BindingFlags.Static | BindingFlags.Public |
                                             BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
      if (m != null) { main = m; break; }
    }
    if (main == null) {
      Console.Error.WriteLine("error: the program has no static Main method");
      return 1;
    }
    try {
      object result = main.Invoke(null, main.GetParameters().Length == 0 ? null : new object[] { args });
      return result is int ? (int)result : 0;
    } catch (TargetInvocationException e) {
      // The program's own exception, with its own stack, as if Main had been the entry.
      ExceptionDispatchInfo.Capture(e.InnerException).Throw();
      return 1;
    }
  }
}
