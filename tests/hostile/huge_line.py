# One huge line (100 MB, no newline until the end) in a single write: output_limit with
# exactly the cap kept.
# limits: wall_time_ms=20000
# expect: output_limit
# expect-no-ns: output_limit
# stdout-size: 1048576
# stdout-truncated: true
import sys
sys.stdout.write("x" * 100_000_000 + "\n")
