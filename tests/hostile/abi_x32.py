# The x32 ABI: native x86_64 `syscall` instruction with bit 30 set in the number
# (getpid = 39 | 0x40000000). libseccomp treats x32 as a foreign architecture for an
# x86_64 filter, so the bad-arch action applies: syscall_violation in both modes, with
# the number as the kernel reports it (bit 30 included) and its x32 name.
# (This kernel has no CONFIG_X86_X32_ABI, so without seccomp it would return ENOSYS.)
# expect: syscall_violation
# expect-no-ns: syscall_violation
# syscall: 1073741863 x32:getpid
# stdout-contains: BEFORE x32
# stdout-not-contains: SURVIVED
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
print("BEFORE x32", flush=True)
r = libc.syscall(ctypes.c_long(39 | 0x40000000))
print("SURVIVED x32 ->", r, ctypes.get_errno(), flush=True)
