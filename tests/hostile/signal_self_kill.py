# The program SIGKILLs itself well under its CPU limit: `signaled` with signal 9, not a
# timeout (the verdict only calls a SIGKILL a cpu_timeout when the CPU limit was reached).
# expect: signaled
# expect-no-ns: signaled
# signal: 9
import os, signal
print("bye", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
