# Devices: raw memory, kernel log, disks, the console and tty. Full isolation: a private
# /dev with only the harmless nodes (null, zero, random, urandom...). Without a mount
# namespace it is the host's /dev, whose modes udev decides (Debian leaves /dev/fuse and
# /dev/net/tun open to all), so Landlock keeps the program to those same nodes there
# (sandbox/landlock.h). "LEAK" for anything that opens.
# /dev/null, /dev/zero and /dev/urandom must work in both modes.
# expect: ok
# expect-no-ns: ok
# no-ns-needs: landlock
# stdout-not-contains: LEAK
# stdout-contains: /dev/null: ok
# stdout-contains: /dev/urandom: ok
import errno, glob, os
for p in ["/dev/mem", "/dev/kmem", "/dev/port", "/dev/kmsg", "/dev/vda", "/dev/sda",
          "/dev/nvme0n1", "/dev/console", "/dev/tty0", "/dev/fuse", "/dev/net/tun",
          "/dev/kvm", "/dev/loop-control"]:
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
        os.close(fd)
        print("LEAK opened", p)
    except OSError as e:
        print("%s: %s" % (p, errno.errorcode[e.errno]))
for p in ["/dev/null", "/dev/zero", "/dev/urandom"]:
    with open(p, "rb") as f:
        f.read(16)
    print("%s: ok" % p)
