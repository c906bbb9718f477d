# Sleeps forever: uses no CPU, so only the wall backstop ends it (1.5 s here).
# limits: cpu_time_ms=500 wall_time_ms=1500
# expect: wall_timeout
# expect-no-ns: wall_timeout
import time
print("sleeping", flush=True)
time.sleep(10**8)
