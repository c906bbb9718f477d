# Writes to stdout forever: stopped when the output cap is reached (output kept up to the cap).
# expect: output_limit
import sys

line = "fathom flood " * 80 + "\n"
while True:
    sys.stdout.write(line)
