# SIGKILL to our parent. In full isolation the parent is the run's init, PID 1 of the pid
# namespace, and the kernel drops SIGKILL sent to a namespace init from inside it, so the
# program carries on and exits 0.
# Without a pid namespace the parent is the run's init on the host. It must not be
# killable by the program: if it were, the run would end without a report and become a
# sandbox_error, a status that "never counts as a model failure" - a program could turn
# its own failure into "not counted". So `ok` is the promise in both modes.
# expect: ok
# expect-no-ns: ok
# stdout-contains: parent still there
import errno, os, signal, time
ppid = os.getppid()
try:
    os.kill(ppid, signal.SIGKILL)
    print("kill(parent): delivered", flush=True)
except OSError as e:
    print("kill(parent):", errno.errorcode[e.errno], flush=True)
time.sleep(0.2)
print("parent still there" if os.getppid() == ppid else "parent gone", flush=True)
