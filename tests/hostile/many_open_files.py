# Tries to hold 10,000 open files: RLIMIT_NOFILE (256) stops it with EMFILE; the program
# reports how many it got and exits 0. Raising the soft limit to the hard limit is allowed
# and still ends far below 10,000.
# expect: ok
# expect-no-ns: ok
# stdout-contains: EMFILE after
# stdout-not-contains: opened 10000
import errno, os, resource
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
fds = []
try:
    for i in range(10000):
        fds.append(os.open("/dev/null", os.O_RDONLY))
    print("opened 10000 files")
except OSError as e:
    print(errno.errorcode[e.errno], "after", len(fds), "files; nofile limit", hard)
