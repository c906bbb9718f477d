# Deep recursion through C frames (repr() calling __repr__ calling repr() ...) with the
# recursion limit raised to a billion: the C stack (RLIMIT_STACK, 64 MiB) overflows and
# the interpreter dies of SIGSEGV: `signaled`, signal 11. (Python 3.11 runs plain
# Python-to-Python calls without C stack, see deep_recursion_python.py.)
# limits: wall_time_ms=20000
# expect: signaled
# expect-no-ns: signaled
# signal: 11
import sys
sys.setrecursionlimit(10**9)
class R:
    def __repr__(self):
        return repr(R())
print("recursing", flush=True)
repr(R())
