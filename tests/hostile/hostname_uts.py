# UTS namespace: in full isolation the hostname is "fathom"; without a UTS namespace the
# program sees the host's name (harmless). Then it tries sethostname(), which the python
# profile lists as kernel attack surface: the process is killed, syscall_violation in both
# modes (in full isolation it would only have renamed its own namespace, but the filter
# does not know which mode it runs in).
# expect: syscall_violation
# expect-no-ns: syscall_violation
# syscall: 170 sethostname
# stdout-contains-full: hostname=fathom
# stdout-contains: hostname=
# stdout-not-contains: sethostname:
import ctypes, errno, socket
print("hostname=%s" % socket.gethostname(), flush=True)
libc = ctypes.CDLL(None, use_errno=True)
r = libc.sethostname(b"evil", 4)
print("sethostname:", "done" if r == 0 else errno.errorcode.get(ctypes.get_errno(), r))
