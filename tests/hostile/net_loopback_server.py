# Connects to a TCP server the test itself listens on at host 127.0.0.1:{{PORT}}, via
# socket.create_connection and via a raw socket(2) syscall through ctypes. socket() is
# EACCES under seccomp in both modes (and in full isolation the network namespace has no
# route to the host's loopback anyway). The test asserts afterwards that its listening
# socket never saw a connection.
# expect: ok
# expect-no-ns: ok
# stdout-contains: connect: EACCES
# stdout-contains: raw socket: -1/EACCES
# stdout-not-contains: CONNECTED
import ctypes, errno, socket
try:
    socket.create_connection(("127.0.0.1", {{PORT}}), timeout=2)
    print("CONNECTED")
except OSError as e:
    print("connect:", errno.errorcode.get(e.errno, e))
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.syscall(ctypes.c_long(41), ctypes.c_long(2), ctypes.c_long(1), ctypes.c_long(0))
print("raw socket: %d/%s" % (fd, errno.errorcode.get(ctypes.get_errno(), "0")))
