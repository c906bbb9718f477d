# Ignores SIGTERM, SIGXCPU, SIGINT, SIGHUP and blocks what it can, then spins: the sandbox
# ends it with SIGKILL through the cgroup/monitor, so it is still cpu_timeout.
# limits: cpu_time_ms=1000 wall_time_ms=20000
# expect: cpu_timeout
# expect-no-ns: cpu_timeout
import signal
for s in (signal.SIGTERM, signal.SIGXCPU, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1,
          signal.SIGALRM, signal.SIGVTALRM, signal.SIGPROF):
    signal.signal(s, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals) - {signal.SIGKILL, signal.SIGSTOP})
print("spinning", flush=True)
while True:
    pass
