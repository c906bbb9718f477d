# One huge allocation that is touched at once (b"x" * 2 GiB: malloc + memset) against a
# 128 MiB memory limit. The host allows overcommit, so malloc succeeds and the cgroup OOM
# killer ends the run while memset touches the pages: memory_limit.
# limits: memory_bytes=134217728 wall_time_ms=20000
# expect: memory_limit
# expect-no-ns: memory_limit
print("allocating", flush=True)
big = b"x" * (2 << 30)
print("allocated", len(big))
