# A sparse 1 TiB file through truncate() (no data written): RLIMIT_FSIZE applies to
# truncate too, so it fails with EFBIG; so does a 1-byte write at offset 1 TiB - 1.
# Both reported, exit 0: ok.
# expect: ok
# expect-no-ns: ok
# stdout-contains: truncate: EFBIG
# stdout-contains: pwrite: EFBIG
import errno, os
fd = os.open("sparse.bin", os.O_CREAT | os.O_WRONLY, 0o600)
for name, op in (("truncate", lambda: os.ftruncate(fd, 1 << 40)),
                 ("pwrite", lambda: os.pwrite(fd, b"x", (1 << 40) - 1))):
    try:
        op()
        print(name, ": succeeded, size", os.fstat(fd).st_size)
    except OSError as e:
        print("%s: %s" % (name, errno.errorcode[e.errno]))
