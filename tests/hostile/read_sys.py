# /sys: in full isolation it is not mounted (the sandbox root is a fresh tmpfs); without a
# mount namespace the host's sysfs is readable (kernel/hardware details, README: "no-ns:
# host files") but every write must fail: uevent triggers and a CPU frequency knob get the
# value they already have.
# expect: ok
# expect-no-ns: ok
# stdout-contains-full: /sys: absent
# stdout-not-contains: WROTE
import errno, os
if not os.path.exists("/sys/kernel"):
    print("/sys: absent")
else:
    print("/sys: present,", len(os.listdir("/sys/class")), "classes")
    for path in ("/sys/kernel/uevent_helper", "/sys/power/state", "/sys/kernel/mm/transparent_hugepage/enabled"):
        try:
            with open(path) as f:
                cur = f.read()
            with open(path, "w") as f:
                f.write(cur.split()[0] if cur.split() else "")
            print("WROTE", path)
        except OSError as e:
            print("denied", path, errno.errorcode[e.errno])
