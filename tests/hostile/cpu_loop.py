# Busy loop: the CPU limit (1 s here) ends it as cpu_timeout in both modes (cgroup
# cpuacct is the precise limit; RLIMIT_CPU is the backstop).
# limits: cpu_time_ms=1000 wall_time_ms=20000
# expect: cpu_timeout
# expect-no-ns: cpu_timeout
while True:
    pass
