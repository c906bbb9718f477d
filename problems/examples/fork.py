# Tries os.fork(): seccomp denies process creation with EPERM, the program reports it and exits 0.
# expect: ok
import os
import sys

try:
    pid = os.fork()
except OSError as err:
    print(f"fork denied as expected: {err}")
    sys.exit(0)
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
print("fork was allowed: process creation is not restricted")
sys.exit(1)
