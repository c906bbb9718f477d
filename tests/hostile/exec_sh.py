# os.execv of /bin/sh replaces the interpreter in place (no new process): the filter lets
# execve through only for the sandbox's own exec of the runtime, so this fails with EPERM.
# expect: ok
# expect-no-ns: ok
# stdout-contains: execv /bin/sh: EPERM
# stdout-contains: execve via ctypes: EPERM
import ctypes, errno, os
try:
    os.execv("/bin/sh", ["/bin/sh", "-c", "echo SHELL RAN"])
except OSError as e:
    print("execv /bin/sh:", errno.errorcode[e.errno])
libc = ctypes.CDLL(None, use_errno=True)
argv = (ctypes.c_char_p * 2)(b"/bin/sh", None)
r = libc.execve(b"/bin/sh", argv, None)
print("execve via ctypes:", errno.errorcode.get(ctypes.get_errno(), r))
