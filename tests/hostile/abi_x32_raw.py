# The x32 ABI from machine code, no libc wrapper: `syscall` (0F 05) with
# rax = 39 | 0x40000000 (x32 getpid). Same verdict as abi_x32.py: killed as a foreign-arch
# call in both modes.
# expect: syscall_violation
# expect-no-ns: syscall_violation
# syscall: 1073741863 x32:getpid
# stdout-contains: BEFORE raw-x32
# stdout-not-contains: SURVIVED
import ctypes, mmap
code = bytes([0xB8, 0x27, 0x00, 0x00, 0x40,   # mov eax, 0x40000027 (x32 getpid)
              0x0F, 0x05,                     # syscall
              0xC3])                          # ret
page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
page.write(code)
func = ctypes.CFUNCTYPE(ctypes.c_long)(ctypes.addressof(ctypes.c_char.from_buffer(page)))
print("BEFORE raw-x32", flush=True)
r = func()
print("SURVIVED raw-x32 ->", r, flush=True)
