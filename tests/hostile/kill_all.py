# kill(-1): signal every process we are allowed to. In full isolation the pid namespace
# holds only the run's init (PID 1, exempt from kill(-1) and immune to SIGKILL from
# inside) and the program itself, so kill(-1, SIGKILL) finds no target: ESRCH, and the
# program goes on. Under the zygote PID 1 is the zygote (the same uid, also exempt) and
# the program is its child: the same ESRCH.
# Without a pid namespace kill(-1) reaches every process of uid 65534 on the host (other
# runs and the run's own init). Sending SIGKILL there would kill other engineers' and
# other samples' runs, so the program stays harmless when its parent is not PID 1 (its
# own namespace's init or zygote): it sends
# signal 0 (a permission probe) and reports whether anything outside its own tree could
# have been hit. See README: "no-ns: cross-run signals".
# expect: ok
# expect-no-ns: ok
# stdout-contains-full: kill(-1, SIGKILL): ESRCH
# stdout-contains-full: still alive
# stdout-contains-no-ns: kill(-1, 0):
import errno, os, signal
if os.getppid() == 1:
    try:
        os.kill(-1, signal.SIGKILL)
        print("kill(-1, SIGKILL): delivered")
    except OSError as e:
        print("kill(-1, SIGKILL):", errno.errorcode[e.errno])
else:
    try:
        os.kill(-1, 0)
        print("kill(-1, 0): other processes are reachable")
    except OSError as e:
        print("kill(-1, 0):", errno.errorcode[e.errno])
print("still alive")
