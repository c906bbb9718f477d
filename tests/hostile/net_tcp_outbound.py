# Outbound TCP to a public address. socket() itself fails with EACCES under seccomp (both
# modes); in full isolation the empty network namespace would be a second wall.
# expect: ok
# expect-no-ns: ok
# stdout-contains: tcp: EACCES
# stdout-not-contains: CONNECTED
import errno, socket
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(("1.1.1.1", 80))
    print("CONNECTED")
except OSError as e:
    print("tcp:", errno.errorcode.get(e.errno, e))
