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

  // Makes `listener` the only trace listener without reading any configuration. The
  // public way, Trace.Listeners, makes Mono 6.8 read the application's and the machine's
  // config files first (System.Configuration and an XML parse: ~50 ms of CPU, five times
  // a MultiPL-E program's whole run), which no program here has a use for. So the
  // listener collection is set through TraceInternal's own fields, marked as initialised;
  // on a Mono whose internals differ this returns false and the public way is taken.
  static bool InstallWithoutConfig(TraceListener listener) {
    const BindingFlags kStatic = BindingFlags.Static | BindingFlags.NonPublic;
    Type inner = typeof(Trace).Assembly.GetType("System.Diagnostics.TraceInternal");
    FieldInfo listeners = inner == null ? null : inner.GetField("listeners", kStatic);
    FieldInfo initialized = inner == null ? null : inner.GetField("settingsInitialized", kStatic);
    ConstructorInfo make = typeof(TraceListenerCollection).GetConstructor(
        BindingFlags.Instance | BindingFlags.NonPublic, null, Type.EmptyTypes, null);
    if (listeners == null || initialized == null || make == null ||
        listeners.FieldType != typeof(TraceListenerCollection) ||
        initialized.FieldType != typeof(bool)) {
      return false;
    }
    initialized.SetValue(null, true);
    var all = (TraceListenerCollection)make.Invoke(null);
    all.Add(listener);
    listeners.SetValue(null, all);
    return true;
  }

  static int Main(string[] args) {
    var exitOnFail = new ExitOnFail();
    if (!InstallWithoutConfig(exitOnFail)) {
      Trace.Listeners.Clear();
      Trace.Listeners.Add(exitOnFail);
    }
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
