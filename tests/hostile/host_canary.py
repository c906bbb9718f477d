# A world-readable (0644) root-owned canary file the test puts in the host's /tmp
# ({{CANARY_PATH}}). Full isolation: the sandbox's /tmp is its own tmpfs, the canary does
# not exist there. Without a mount namespace the host filesystem is visible and a 0644
# file is readable (README: "no-ns: host files"); writing, renaming or deleting it must
# still fail (EACCES/EPERM), and the test checks its checksum afterwards.
# expect: ok
# expect-no-ns: ok
# stdout-contains-full: read: ENOENT
# stdout-contains-no-ns: read: READABLE
# stdout-not-contains: write: WROTE
# stdout-not-contains: unlink: DONE
# stdout-not-contains: chmod: DONE
import errno, os
p = "{{CANARY_PATH}}"
def attempt(name, op):
    try:
        op()
        return "DONE"
    except OSError as e:
        return errno.errorcode[e.errno]
try:
    open(p, "rb").read()
    print("read: READABLE")
except OSError as e:
    print("read:", errno.errorcode[e.errno])
try:
    fd = os.open(p, os.O_WRONLY | os.O_APPEND)  # no O_CREAT: the host's file or nothing
    os.write(fd, b"tampered")
    print("write: WROTE")
except OSError as e:
    print("write:", errno.errorcode[e.errno])
print("chmod:", attempt("chmod", lambda: os.chmod(p, 0o666)))
print("rename:", attempt("rename", lambda: os.rename(p, p + ".moved")))
print("unlink:", attempt("unlink", lambda: os.unlink(p)))
