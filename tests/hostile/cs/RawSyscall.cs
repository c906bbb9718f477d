// P/Invoke of libc's syscall() with ptrace's number: on the kill list, whatever the
// arguments.
//
// expect: syscall_violation
// syscall: 101 ptrace
// stdout-not-contains: survived
using System.Runtime.InteropServices;
class Problem {
  [DllImport("libc")] static extern long syscall(long number, long a, long b, long c);
  public static void Main(string[] args) {
    syscall(101, 0, 0, 0);
    System.Console.WriteLine("survived");
  }
}
