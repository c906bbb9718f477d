# First half of the persistence pair (persist_read.py runs this first, then looks for what
# it left). Writes a marker file into /tmp, /dev/shm, /var/tmp, $HOME and the cwd.
# Full isolation: all of those are fresh per-run tmpfs (or absent/read-only), so nothing
# of this survives the run.
# Without a mount namespace the cwd, $HOME and $TMPDIR are a private host dir that is
# removed after the run, but the literal paths /tmp, /dev/shm and /var/tmp are the HOST's
# world-writable dirs: the files land there and outlive the run (README: "no-ns: shared
# /tmp"). The test checks that they exist in that mode and removes them itself.
# expect: ok
# expect-no-ns: ok
# stdout-contains: wrote
# no-ns-leaves: /tmp/fathom-hostile-persist-{{TEST_PID}} /dev/shm/fathom-hostile-persist-{{TEST_PID}} /var/tmp/fathom-hostile-persist-{{TEST_PID}}
import errno, os
home = os.environ.get("HOME", "/tmp")
for d in ("/tmp", "/dev/shm", "/var/tmp", home, os.getcwd()):
    p = os.path.join(d, "fathom-hostile-persist-{{TEST_PID}}")
    try:
        with open(p, "w") as f:
            f.write("left behind by persist_write.py\n")
        print("wrote", p)
    except OSError as e:
        print("could not write", p, errno.errorcode[e.errno])
