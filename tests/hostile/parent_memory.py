# The run's init is a copy of the grader's address space (clone without exec), so its
# memory and environment hold the grader's secrets (FATHOM_TEST_SECRET among them). It is
# non-dumpable and runs without capabilities: /proc/<ppid>/environ, /mem and /cmdline of
# the parent and of PID 1 must be unreadable (and must never contain the secret).
# expect: ok
# expect-no-ns: ok
# stdout-not-contains: LEAK
# stdout-not-contains: {{SECRET_VALUE}}
import errno, os
for pid in sorted({os.getppid(), 1}):
    for what in ("environ", "mem", "maps", "stack", "root/", "cwd/"):
        p = "/proc/%d/%s" % (pid, what)
        try:
            if p.endswith("/"):
                print("LEAK listing", p, os.listdir(p)[:20])
                continue
            with open(p, "rb") as f:
                data = f.read(65536)
            if what == "environ" or b"{{SECRET_VALUE}}" in data:
                print("LEAK", p, data[:300])
            else:
                print("readable", p, len(data), "bytes")
        except OSError as e:
            print("denied", p, errno.errorcode[e.errno])
