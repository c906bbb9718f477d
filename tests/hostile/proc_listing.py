# Lists /proc. Full isolation: a fresh procfs of the run's own pid namespace shows exactly
# PID 1 (the run's init, or the zygote) and this program (PID 2 on the fresh path; under
# the zygote the next pid of the zygote's namespace). Without a pid namespace /proc is the
# host's and shows every host process (README: "no-ns: host processes visible"); the
# program only counts them.
# expect: ok
# expect-no-ns: ok
# stdout-contains-full: pids=[1, self]
# stdout-contains: mypid=
import os
pids = sorted(int(d) for d in os.listdir("/proc") if d.isdigit())
print("mypid=%d" % os.getpid())
if pids == [1, os.getpid()]:
    print("pids=[1, self]")
elif len(pids) <= 10:
    print("pids=%s" % pids)
else:
    print("host processes visible: %d" % len(pids))
