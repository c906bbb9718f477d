# Other socket families: AF_UNIX (abstract names reach the host's daemons when there is no
# network namespace), AF_NETLINK (the kernel's routing/audit interfaces), AF_PACKET (raw
# frames) and socketpair(). socket() fails with EACCES for all of them.
# expect: ok
# expect-no-ns: ok
# stdout-contains: AF_UNIX: EACCES
# stdout-contains: AF_NETLINK: EACCES
# stdout-contains: AF_PACKET: EACCES
# stdout-not-contains: CREATED
import errno, socket
for name, fam, typ in (("AF_UNIX", socket.AF_UNIX, socket.SOCK_STREAM),
                       ("AF_NETLINK", socket.AF_NETLINK, socket.SOCK_RAW),
                       ("AF_PACKET", socket.AF_PACKET, socket.SOCK_RAW)):
    try:
        socket.socket(fam, typ)
        print(name, "CREATED")
    except OSError as e:
        print("%s: %s" % (name, errno.errorcode.get(e.errno, e)))
try:
    socket.socketpair()
    print("socketpair: allowed")
except OSError as e:
    print("socketpair:", errno.errorcode.get(e.errno, e))
