# A large reservation that is never touched (mmap 8 GiB, read one page) is not memory use:
# there is no address-space limit by default (it breaks threaded numerics), and the cgroup
# only counts touched pages. `ok`.
# limits: memory_bytes=134217728
# expect: ok
# expect-no-ns: ok
# stdout-contains: reserved 8 GiB
import mmap
m = mmap.mmap(-1, 8 << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_NORESERVE", 0))
m[0:1] = b"x"
print("reserved 8 GiB, touched", len(m[0:4096]), "bytes")
