# os.abort(): SIGABRT, `signaled` with signal 6 (no core file: RLIMIT_CORE is 0).
# expect: signaled
# expect-no-ns: signaled
# signal: 6
import os
os.abort()
