# One byte over the cap (1 MiB + 1), then exit 0: output_limit, exactly 1 MiB kept,
# truncated. (The boundary twin of exact_cap.py.)
# expect: output_limit
# expect-no-ns: output_limit
# stdout-size: 1048576
# stdout-truncated: true
# stdout-pattern: mod256
import os
data = bytes(i % 256 for i in range((1 << 20) + 1))
view = memoryview(data)
while view:
    view = view[os.write(1, view):]
