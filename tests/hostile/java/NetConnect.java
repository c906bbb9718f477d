// A TCP connection to the test's loopback server: socket() fails with EACCES under the
// vm profile (and the net namespace is empty anyway), so java.net throws and main exits 1.
//
// expect: nonzero_exit
// exit-code: 1
// stderr-contains: java.net.SocketException: Permission denied
// stdout-not-contains: connected
import java.net.Socket;

public class Main {
  public static void main(String[] args) throws Exception {
    try (Socket s = new Socket("127.0.0.1", {{PORT}})) {
      System.out.println("connected");
    }
  }
}
