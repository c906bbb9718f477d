# Second half of the persistence pair: the test runs persist_write.py first, then this.
# Full isolation: nothing persists (fresh /tmp, /dev/shm, $HOME, no host /var/tmp).
# Without a mount namespace: the private work dir ($HOME, cwd) is new and empty, but the
# host's /tmp, /dev/shm and /var/tmp still hold the writer's files - one run can pass
# data to a later run (README: "no-ns: shared /tmp"). Encoded as what happens, flagged.
# run-first: persist_write.py
# expect: ok
# expect-no-ns: ok
# stdout-not-contains-full: PERSISTED
# stdout-contains: absent $HOME
# stdout-contains-no-ns: PERSISTED /tmp/fathom-hostile-persist-{{TEST_PID}}
# no-ns-leaves: /tmp/fathom-hostile-persist-{{TEST_PID}} /dev/shm/fathom-hostile-persist-{{TEST_PID}} /var/tmp/fathom-hostile-persist-{{TEST_PID}}
import os
home = os.environ.get("HOME", "/tmp")
for label, d in (("/tmp", "/tmp"), ("/dev/shm", "/dev/shm"), ("/var/tmp", "/var/tmp"),
                 ("$HOME", home), ("cwd", os.getcwd())):
    p = os.path.join(d, "fathom-hostile-persist-{{TEST_PID}}")
    if os.path.exists(p):
        print("PERSISTED", p)
    else:
        print("absent", label)
