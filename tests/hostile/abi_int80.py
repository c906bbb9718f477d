# The 32-bit syscall ABI: an executable page holding `mov eax, 20 (getpid in the i386
# table); int 0x80; ret` is called through ctypes. The filter only knows native x86_64
# numbers, so any foreign-arch syscall ends the run (SCMP_FLTATR_ACT_BADARCH) before the
# kernel dispatches it: syscall_violation in both modes, with the number in the i386
# table, which the kernel reports with the i386 audit arch. (Without seccomp it returns
# our pid.) On a host whose kernel runs without IA32 emulation (ia32_emulation=0, some
# VM kernels) the CPU faults on `int 0x80` before any syscall is entered: SIGSEGV, which is
# just as safe; the test probes the host and then expects `signaled` with signal 11.
# expect: syscall_violation
# expect-no-ns: syscall_violation
# syscall: 20 i386:getpid
# host-without-ia32: signaled 11
# stdout-contains: BEFORE int80
# stdout-not-contains: SURVIVED
import ctypes, mmap
code = bytes([0xB8, 20, 0, 0, 0,   # mov eax, 20
              0xCD, 0x80,          # int 0x80
              0xC3])               # ret
page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
page.write(code)
addr = ctypes.addressof(ctypes.c_char.from_buffer(page))
func = ctypes.CFUNCTYPE(ctypes.c_int)(addr)
print("BEFORE int80", flush=True)
r = func()
print("SURVIVED int80 ->", r, flush=True)
