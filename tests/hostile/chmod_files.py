# Permission games in the work dir and outside it: chmod of our own file (allowed, even
# with the setuid bit: we own it, and setuid to ourselves gains nothing), chown of it to
# root, chmod and chown of system files, setuid(0) and setgid(0): all refused. The errno
# differs by mode and call (EPERM from the filter for chown, ENOSYS for setuid, EROFS on
# read-only binds, EPERM on host files), so the test only asserts none was "done".
# expect: ok
# expect-no-ns: ok
# stdout-contains: own chmod: done
# stdout-not-contains: chown to root: done
# stdout-not-contains: setuid(0): done
# stdout-not-contains: setgid(0): done
# stdout-not-contains: /etc/passwd chmod: done
# stdout-not-contains: /usr/bin/env chown: done
import errno, os
def attempt(label, op):
    try:
        op()
        print(label + ": done")
    except OSError as e:
        print("%s: %s" % (label, errno.errorcode[e.errno]))
with open("mine.txt", "w") as f:
    f.write("x")
attempt("own chmod", lambda: os.chmod("mine.txt", 0o4777))
attempt("chown to root", lambda: os.chown("mine.txt", 0, 0))
attempt("/etc/passwd chmod", lambda: os.chmod("/etc/passwd", 0o666))
attempt("/usr/bin/env chown", lambda: os.chown("/usr/bin/env", os.getuid(), os.getgid()))
attempt("setuid(0)", lambda: os.setuid(0))
attempt("setgid(0)", lambda: os.setgid(0))
print("uid", os.getuid(), "euid", os.geteuid(), "gid", os.getgid(), "groups", os.getgroups())
