# Lists /proc. Full isolation: a fresh procfs of the run's own pid namespace shows exactly
# PID 1 (the run's init) and PID 2 (this program). Without a pid namespace /proc is the
# host's and shows every host process (README: "no-ns: host processes visible"); the
# program only counts them.
# expect: ok
# expect-no-ns: ok
# stdout-contains-full: pids=[1, 2]
# stdout-contains: mypid=
import os
pids = sorted(int(d) for d in os.listdir("/proc") if d.isdigit())
print("mypid=%d" % os.getpid())
if len(pids) <= 10:
    print("pids=%s" % pids)
else:
    print("host processes visible: %d" % len(pids))
