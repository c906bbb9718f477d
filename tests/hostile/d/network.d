// A TCP connection to the test's loopback server with std.socket: socket() fails with
// EACCES, Phobos throws SocketOSException, uncaught: exit 1.
//
// expect: nonzero_exit
// exit-code: 1
// stderr-contains: SocketOSException
// stdout-not-contains: connected
import std.socket, std.stdio;
void main()
{
    auto s = new TcpSocket(new InternetAddress("127.0.0.1", {{PORT}}));
    writeln("connected");
}
