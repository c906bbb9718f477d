# Reads address 0 through ctypes: the process dies from SIGSEGV.
# expect: signaled
import ctypes

ctypes.string_at(0)
print("read address 0 without crashing")
