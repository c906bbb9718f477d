# Fork bomb. fork/clone-without-CLONE_THREAD fail with EPERM under seccomp (both modes), so
# the very first os.fork() raises PermissionError and the uncaught exception exits 1. The
# cgroup pids.max (and RLIMIT_NPROC) would be the second line if seccomp let it through.
# expect: nonzero_exit
# expect-no-ns: nonzero_exit
# exit-code: 1
# stderr-contains: PermissionError
import os
while True:
    os.fork()
