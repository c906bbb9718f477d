// A TCP connection to the test's loopback server: socket() fails with EACCES under the
// run profile (native; the net namespace is empty anyway), so java.net throws and main
// exits 1.
//
// expect: nonzero_exit
// exit-code: 1
// stderr-contains: java.net.SocketException: Permission denied
// stdout-not-contains: connected
object Problem {
  def main(args: Array[String]) = {
    val s = new java.net.Socket("127.0.0.1", {{PORT}})
    println("connected")
    s.close()
  }
}
