# Binary flood: byte i of the stream is i % 256 (NULs and invalid UTF-8 throughout),
# forever. output_limit, and the kept 1 MiB must be the exact prefix of the stream
# (checked byte by byte: stdout-pattern mod256).
# expect: output_limit
# expect-no-ns: output_limit
# stdout-size: 1048576
# stdout-truncated: true
# stdout-pattern: mod256
import os
block = bytes(i % 256 for i in range(65536))
while True:
    os.write(1, block)
