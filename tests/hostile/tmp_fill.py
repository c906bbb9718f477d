# Fills the work dir ($TMPDIR) with 16 MiB files, up to 256 MiB in total. Full isolation:
# the work dir is a 64 MiB tmpfs, so it stops with ENOSPC well before (the per-file
# limit is not the one that bites). Without a mount namespace the work dir is a plain
# directory on the host's /tmp: only RLIMIT_FSIZE (per file) and the CPU limit bound the
# total, so the program writes all 256 MiB (README: "no-ns: no disk quota"). The memory
# limit is raised so the tmpfs pages (charged to the run) are not what stops it.
# limits: memory_bytes=536870912 wall_time_ms=20000
# expect: ok
# expect-no-ns: ok
# stdout-contains-full: STOPPED ENOSPC
# stdout-contains-no-ns: NO_TOTAL_LIMIT
import errno, os
chunk = b"\1" * (1 << 20)
total = 0
try:
    for i in range(16):
        with open("fill-%d.bin" % i, "wb") as f:
            for _ in range(16):
                f.write(chunk)
                total += len(chunk)
    print("NO_TOTAL_LIMIT wrote", total >> 20, "MiB")
except OSError as e:
    print("STOPPED", errno.errorcode[e.errno], "after", total >> 20, "MiB")
