# kill(1). In full isolation PID 1 is the run's own init (or the zygote, whose child the
# program is): SIGKILL from inside its namespace is dropped, the program goes on. Without a pid namespace PID 1 is the host's
# init, so the program only probes with signal 0 (never SIGKILL a host init from a test), and
# as uid 65534 it must get EPERM.
# expect: ok
# expect-no-ns: ok
# stdout-contains-full: kill(1, SIGKILL): sent
# stdout-contains-no-ns: kill(1, 0): EPERM
# stdout-contains: still alive
import errno, os, signal
sig = signal.SIGKILL if os.getppid() == 1 else 0
name = "SIGKILL" if sig else "0"
try:
    os.kill(1, sig)
    print("kill(1, %s): sent" % name)
except OSError as e:
    print("kill(1, %s): %s" % (name, errno.errorcode[e.errno]))
print("still alive")
