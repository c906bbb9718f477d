# exec of the runtime itself (/usr/bin/python3, the one path execve is allowed for) from
# the program: the filter matches the sandbox's own path pointer, not the string, so a
# program-supplied "/usr/bin/python3" is still EPERM (it could otherwise re-exec with new
# flags, e.g. without -I).
# expect: ok
# expect-no-ns: ok
# stdout-contains: execv python3: EPERM
# stdout-contains: execveat: EPERM
import ctypes, errno, os, sys
try:
    os.execv(sys.executable or "/usr/bin/python3", ["python3", "-c", "print('REEXEC')"])
except OSError as e:
    print("execv python3:", errno.errorcode[e.errno])
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
argv = (ctypes.c_char_p * 2)(b"python3", None)
AT_FDCWD = -100
r = libc.syscall(ctypes.c_long(322), ctypes.c_long(AT_FDCWD), b"/usr/bin/python3", argv,
                 ctypes.c_void_p(0), ctypes.c_long(0))
print("execveat:", errno.errorcode.get(ctypes.get_errno(), r))
