# The program stops itself with SIGSTOP: it uses no CPU and never exits; the wall
# backstop kills it (SIGKILL works on stopped processes) as wall_timeout.
# limits: cpu_time_ms=500 wall_time_ms=1500
# expect: wall_timeout
# expect-no-ns: wall_timeout
import os, signal
print("stopping", flush=True)
os.kill(os.getpid(), signal.SIGSTOP)
print("continued?!", flush=True)
