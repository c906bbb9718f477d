# Thread bomb. Threads are allowed (clone with CLONE_THREAD) but counted: the cgroup's
# pids.max (max_processes, 64 by default) and, in a user namespace, RLIMIT_NPROC stop it
# well before the host feels it. Thread creation then fails with EAGAIN, which Python
# reports as RuntimeError("can't start new thread"); the program reports the count and
# exits cleanly.
# expect: ok
# expect-no-ns: ok
# stdout-contains: thread creation refused after
import os, threading
stop = threading.Event()
n = 0
try:
    while n < 100000:
        t = threading.Thread(target=stop.wait, daemon=True)
        t.start()
        n += 1
except RuntimeError as e:
    print("thread creation refused after", n, "threads:", e, flush=True)
else:
    print("created", n, "threads: no limit", flush=True)
os._exit(0)
