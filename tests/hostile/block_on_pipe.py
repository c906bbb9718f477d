# Blocks forever without using CPU: reads stdin (/dev/null: EOF at once, so it must print
# an empty string) and then reads a pipe whose write end it holds itself. Only the wall
# backstop ends it.
# limits: cpu_time_ms=500 wall_time_ms=1500
# expect: wall_timeout
# expect-no-ns: wall_timeout
# stdout-contains: stdin: ''
import os, sys
print("stdin:", repr(sys.stdin.read()), flush=True)
r, w = os.pipe()
os.read(r, 1)
