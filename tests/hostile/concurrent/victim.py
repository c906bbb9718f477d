# Concurrent pair, first half (see README "Concurrent runs"): an innocent run that keeps
# a secret in memory and in its work dir and sleeps, while attacker.py runs at the same
# time as the same outside uid. Must end `ok` whatever the attacker tries.
# expect: ok
# expect-no-ns: ok
# stdout-contains: victim done
import time
secret = "VICTIM-SECRET-{{VICTIM_TOKEN}}"
with open("victim-data.txt", "w") as f:
    f.write(secret)
print("victim started", flush=True)
time.sleep(2.5)
print("victim done")
