# A read from address 8 (the NULL page) through ctypes: SIGSEGV, `signaled` with signal 11 (no core file).
# expect: signaled
# expect-no-ns: signaled
# signal: 11
import ctypes
print("dereferencing NULL", flush=True)
print(ctypes.c_long.from_address(8).value)
