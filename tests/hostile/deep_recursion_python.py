# Deep pure-Python recursion with the recursion limit raised to a billion. CPython 3.11
# keeps Python frames on a heap-allocated data stack, so the growth is memory, not C stack:
# the memory limit (128 MiB here) ends it as memory_limit.
# limits: memory_bytes=134217728 wall_time_ms=20000
# expect: memory_limit
# expect-no-ns: memory_limit
import sys
sys.setrecursionlimit(10**9)
def f(n):
    return f(n + 1) + 1
print("recursing", flush=True)
f(0)
