# Tries to replace the interpreter: open /usr/bin/python3 (and its target) for writing,
# chmod, rename, unlink, and drop a file next to it. Full isolation: /usr is a read-only
# bind (EROFS). Without a mount namespace: host files owned by root (EACCES/EPERM). The
# test checks the interpreter's size and mtime afterwards.
# expect: ok
# expect-no-ns: ok
# stdout-not-contains: DONE
import errno, os
target = os.path.realpath("/usr/bin/python3")
def attempt(name, op):
    try:
        op()
        print(name, "DONE")
    except OSError as e:
        print(name, errno.errorcode[e.errno])
attempt("open-write python3", lambda: open("/usr/bin/python3", "r+b").close())
attempt("open-write target", lambda: open(target, "r+b").close())
attempt("chmod", lambda: os.chmod(target, 0o777))
attempt("rename", lambda: os.rename(target, target + ".bak"))
attempt("unlink", lambda: os.unlink("/usr/bin/python3"))
attempt("create in /usr/bin", lambda: open("/usr/bin/fathom-hostile-evil", "wb").close())
attempt("symlink in /usr/bin", lambda: os.symlink("/bin/sh", "/usr/bin/fathom-hostile-ln"))
