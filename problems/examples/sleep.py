# Sleeps for an hour using no CPU: only the wall-clock backstop can stop it.
# expect: wall_timeout
import time

time.sleep(3600)
