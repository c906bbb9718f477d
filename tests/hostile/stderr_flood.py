# Output flood on stderr (the cap is per stream): output_limit, stderr kept up to 1 MiB.
# expect: output_limit
# expect-no-ns: output_limit
# stderr-size: 1048576
# stderr-truncated: true
import os
block = b"E" * 65536
while True:
    os.write(2, block)
