# Burns CPU forever: stopped by the CPU-time limit, not the wall clock.
# expect: cpu_timeout
n = 0
while True:
    n += 1
