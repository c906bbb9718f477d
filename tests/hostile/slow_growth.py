# Slow page-by-page growth: a list of distinct 1 MiB blocks, each fully touched, grows
# until the 128 MiB memory limit's OOM killer stops it: memory_limit (not a MemoryError:
# there is no address-space limit, only the cgroup).
# limits: memory_bytes=134217728 wall_time_ms=20000
# expect: memory_limit
# expect-no-ns: memory_limit
import os
blocks = []
print("growing", flush=True)
while True:
    b = bytearray(1 << 20)
    for i in range(0, len(b), 4096):
        b[i] = 1
    blocks.append(b)
