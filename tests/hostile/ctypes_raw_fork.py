# Raw process creation through libc syscall(), bypassing os.fork: clone(SIGCHLD) (56),
# fork (57), vfork (58) and clone(CLONE_VM|CLONE_VFORK|SIGCHLD) must all fail with EPERM
# (the filter sees clone's flags: no CLONE_THREAD means a new process). clone3 (435) gets
# ENOSYS because its flags live in memory the filter cannot read.
# expect: ok
# expect-no-ns: ok
# stdout-contains: clone=-1/EPERM fork=-1/EPERM vfork=-1/EPERM clone_vfork=-1/EPERM clone3=-1/ENOSYS
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
SIGCHLD, CLONE_VM, CLONE_VFORK = 17, 0x100, 0x4000
me = os.getpid()
def call(*args):
    ctypes.set_errno(0)
    r = libc.syscall(*[ctypes.c_long(a) for a in args])
    if r == 0:
        os._exit(0)  # we are a child that should never exist
    return "%d/%s" % (r, errno.errorcode.get(ctypes.get_errno(), "0"))
class CloneArgs(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in
                ("flags", "pidfd", "child_tid", "parent_tid", "exit_signal", "stack",
                 "stack_size", "tls")]
args = CloneArgs(exit_signal=SIGCHLD)
res = {
    "clone": call(56, SIGCHLD, 0, 0, 0, 0),
    "fork": call(57),
    "vfork": call(58),
    # no stack given: a child (if one were created) would share ours; it calls _exit at once
    "clone_vfork": call(56, CLONE_VFORK | SIGCHLD, 0, 0, 0, 0),
}
ctypes.set_errno(0)
r = libc.syscall(ctypes.c_long(435), ctypes.byref(args), ctypes.c_long(ctypes.sizeof(args)))
if r == 0:
    os._exit(0)
res["clone3"] = "%d/%s" % (r, errno.errorcode.get(ctypes.get_errno(), "0"))
print(" ".join("%s=%s" % kv for kv in res.items()))
