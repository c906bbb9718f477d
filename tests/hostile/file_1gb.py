# Writes a 1 GiB file into the work dir in 1 MiB chunks. RLIMIT_FSIZE (max_file_bytes,
# 64 MiB) stops it: CPython ignores SIGXFSZ, so the write fails with EFBIG (or ENOSPC when
# the 64 MiB work-dir tmpfs fills first, since it also holds main.py). The program
# reports the error and exits 0: ok. The file dies with the work dir.
# expect: ok
# expect-no-ns: ok
# stdout-contains: WRITE_FAILED
# stdout-not-contains: WROTE 1 GiB
import errno, os
chunk = b"\0" * (1 << 20)
written = 0
try:
    with open("big.bin", "wb", buffering=0) as f:
        while written < (1 << 30):
            written += f.write(chunk)
    print("WROTE 1 GiB")
except OSError as e:
    print("WRITE_FAILED", errno.errorcode[e.errno], "after", written >> 20, "MiB")
