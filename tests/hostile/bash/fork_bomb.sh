# The recursive shell fork bomb. Bash may fork (scripts are process trees), so what stops
# it is the pids limit: at max_processes every fork fails with EAGAIN, bash waits and
# retries ("fork: retry"), and the tree, stuck at the limit and nearly idle, is ended by
# the wall backstop. Never a hang, and nothing of the tree survives the run.
# expect: wall_timeout
# limits: cpu_time_ms=2000 wall_time_ms=5000
# stderr-contains: fork: retry: Resource temporarily unavailable
bomb() { bomb | bomb; }
bomb
