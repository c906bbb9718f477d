# Exactly max_output_bytes (1 MiB = 1048576 bytes) on stdout, then exit 0: reaching the cap
# is not exceeding it, so `ok`, all bytes kept, not truncated.
# expect: ok
# expect-no-ns: ok
# stdout-size: 1048576
# stdout-truncated: false
# stdout-pattern: mod256
import os
data = bytes(i % 256 for i in range(1 << 20))
view = memoryview(data)
while view:
    view = view[os.write(1, view):]
