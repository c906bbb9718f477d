// A TCP connection to the test's loopback server: socket() fails with EACCES under the
// vm profile, TcpClient throws a SocketException, and the uncaught exception exits 1.
//
// expect: nonzero_exit
// exit-code: 1
// stderr-contains: SocketException
// stdout-not-contains: connected
class Problem {
  public static void Main(string[] args) {
    var c = new System.Net.Sockets.TcpClient();
    c.Connect("127.0.0.1", {{PORT}});
    System.Console.WriteLine("connected");
  }
}
