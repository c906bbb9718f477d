# Output flood on stdout: the sandbox drains the pipe while the program runs, keeps exactly
# max_output_bytes (1 MiB) of it, flags it truncated and kills the run: output_limit.
# expect: output_limit
# expect-no-ns: output_limit
# stdout-size: 1048576
# stdout-truncated: true
import sys
line = "flood " * 20 + "\n"
while True:
    sys.stdout.write(line)
