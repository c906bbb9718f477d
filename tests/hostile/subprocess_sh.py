# subprocess.run of /bin/sh and os.posix_spawn: both need a new process (vfork/clone
# without CLONE_THREAD), which fails with EPERM; Python raises PermissionError.
# expect: ok
# expect-no-ns: ok
# stdout-contains: subprocess: EPERM
# stdout-contains: posix_spawn: EPERM
# stdout-not-contains: uid=
import errno, os, subprocess
try:
    out = subprocess.run(["/bin/sh", "-c", "id"], capture_output=True)
    print("subprocess ran:", out.stdout)
except OSError as e:
    print("subprocess:", errno.errorcode[e.errno])
try:
    pid = os.posix_spawn("/bin/sh", ["/bin/sh", "-c", "id"], {})
    print("posix_spawn ran", pid)
except OSError as e:
    print("posix_spawn:", errno.errorcode[e.errno])
