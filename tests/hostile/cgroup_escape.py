# Cgroup escapes: read our cgroup from /proc/self/cgroup, then try to raise our own memory
# and pids limits and to move ourselves to the root of each hierarchy. Full isolation: no
# /sys at all. Without a mount namespace the host cgroupfs is visible, but the per-run
# cgroup belongs to root: EACCES. "ESCAPED" for any successful write.
# expect: ok
# expect-no-ns: ok
# stdout-not-contains: ESCAPED
# stdout-contains: done
import errno, os
try:
    with open("/proc/self/cgroup") as f:
        lines = f.read().split()
except OSError as e:
    lines = []
    print("/proc/self/cgroup:", errno.errorcode[e.errno])
def write(path, value):
    try:
        with open(path, "w") as f:
            f.write(value)
        print("ESCAPED", path, value)
    except OSError as e:
        print("denied", path, errno.errorcode[e.errno])
for line in lines:
    _, ctrls, path = line.split(":", 2)
    for ctrl in ctrls.split(",") or [""]:
        base = "/sys/fs/cgroup/" + ctrl if ctrl else "/sys/fs/cgroup"
        if not os.path.isdir(base):
            continue
        write(base + "/cgroup.procs", str(os.getpid()))
        own = base + path
        for knob, value in (("memory.limit_in_bytes", "-1"), ("memory.max", "max"),
                            ("pids.max", "max")):
            if os.path.exists(own + "/" + knob):
                write(own + "/" + knob, value)
print("done")
