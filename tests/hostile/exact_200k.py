# Exactly 200 KiB (204800 bytes) of output, then exit 0: far under the 1 MiB cap, must end
# `ok` with every byte kept and nothing flagged.
# expect: ok
# expect-no-ns: ok
# stdout-size: 204800
# stdout-truncated: false
# stdout-pattern: mod256
import os
data = bytes(i % 256 for i in range(204800))
view = memoryview(data)
while view:
    view = view[os.write(1, view):]
