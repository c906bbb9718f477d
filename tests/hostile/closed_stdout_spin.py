# Closes stdout and stderr, then spins: the sandbox must not hang on the pipes (EOF
# arrives early) and must still enforce the CPU limit: cpu_timeout.
# limits: cpu_time_ms=1000 wall_time_ms=20000
# expect: cpu_timeout
# expect-no-ns: cpu_timeout
# stdout-size: 6
import os
os.write(1, b"start\n")
os.close(1)
os.close(2)
while True:
    pass
