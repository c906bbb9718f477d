# Fork once, leave the child sleeping and exit. Process creation is denied (EPERM); had it
# worked, the orphan would have to die with the run: the host-side marker scan checks that
# no process of the run survives either way.
# expect: ok
# expect-no-ns: ok
# stdout-contains: fork: EPERM
import errno, os, time
try:
    pid = os.fork()
except OSError as e:
    print("fork:", errno.errorcode[e.errno])
else:
    if pid == 0:
        time.sleep(3600)
        os._exit(0)
    print("forked", pid)
