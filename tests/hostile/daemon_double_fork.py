# Classic daemon: setsid + double fork, the grandchild sleeps. setsid itself is harmless
# (we are already a group leader after the sandbox's setpgid, so it fails with EPERM or
# succeeds; either is fine); the forks are denied with EPERM. The marker scan proves that
# nothing of the run outlives it.
# expect: ok
# expect-no-ns: ok
# stdout-contains: fork: EPERM
import errno, os, time
try:
    os.setsid()
    print("setsid ok")
except OSError as e:
    print("setsid:", errno.errorcode[e.errno])
try:
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(3600)
        os._exit(0)
    print("daemonized")
except OSError as e:
    print("fork:", errno.errorcode[e.errno])
