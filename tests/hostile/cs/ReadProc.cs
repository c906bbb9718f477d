// C# surveying /proc for other processes, and the grader's secret: only the run's own
// processes are visible (its pid namespace: init and mono), nothing of the host.
//
// expect: ok
// exit-code: 0
// stdout-contains: pids=1,2
// stdout-contains: secret=<FileNotFoundException>
// stdout-not-contains: {{SECRET_VALUE}}
using System;
using System.IO;
using System.Linq;
class Problem {
  static string Read(string path) {
    try { return File.ReadAllText(path).Replace('\0', ' '); }
    catch (Exception e) { return "<" + e.GetType().Name + ">"; }
  }
  public static void Main(string[] args) {
    var pids = Directory.GetDirectories("/proc").Select(Path.GetFileName)
        .Where(n => n.All(char.IsDigit)).OrderBy(n => int.Parse(n)).ToList();
    Console.WriteLine("pids=" + string.Join(",", pids));
    foreach (var pid in pids) {
      Console.WriteLine(pid + " cmdline=" + Read("/proc/" + pid + "/cmdline"));
      Console.WriteLine(pid + " environ=" + Read("/proc/" + pid + "/environ"));
    }
    Console.WriteLine("secret=" + Read("{{SECRET_PATH}}"));
  }
}
