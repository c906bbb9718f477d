# Concurrent pair, second half: started while victim.py sleeps, it looks for the victim
# (by the marker in its environment, {{VICTIM_MARKER}}) for up to 1.5 s and, once found,
# tries every same-uid channel into it: its environment, memory, work dir (through
# /proc/<pid>/cwd) and signals (probe only: signal 0). "REACHED <channel>" for each that
# works.
# Full isolation: the victim lives in another pid namespace; it is never found.
# Without namespaces both runs are uid 65534 on one host, but each program is in its own
# Landlock domain (sandbox/landlock.h), and a domain cannot ptrace-access a process
# outside it: the victim's /proc/<pid>/environ does not open, so it is not found either
# (and its mem and cwd would not open; signals are scoped too from Landlock ABI 6). A
# kernel without Landlock skips the no-ns case: there every channel is open (README
# "no-ns: cross-run access").
# expect: ok
# expect-no-ns: ok
# no-ns-needs: landlock
# stdout-contains: victim not found
# stdout-not-contains: REACHED
import errno, os, time
marker = b"FATHOM_MARKER={{VICTIM_MARKER}}"
def find():
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != os.getpid():
            try:
                with open("/proc/%s/environ" % d, "rb") as f:
                    if marker in f.read():
                        return int(d)
            except OSError:
                pass
    return None
deadline = time.time() + 1.5
pid = find()
while pid is None and time.time() < deadline:
    time.sleep(0.05)
    pid = find()
if pid is None:
    print("victim not found")
else:
    print("REACHED environ of pid", pid)
    try:
        os.kill(pid, 0)
        print("REACHED signal (kill 0)")
    except OSError as e:
        print("signal:", errno.errorcode[e.errno])
    try:
        data = open("/proc/%d/cwd/victim-data.txt" % pid).read()
        print("REACHED work dir:", data)
    except OSError as e:
        print("work dir:", errno.errorcode[e.errno])
    try:
        with open("/proc/%d/maps" % pid) as f:
            heap = [l for l in f if "[heap]" in l][0].split()[0].split("-")
        fd = os.open("/proc/%d/mem" % pid, os.O_RDONLY)
        lo, hi = int(heap[0], 16), int(heap[1], 16)
        found = b"VICTIM-SECRET" in os.pread(fd, min(hi - lo, 64 << 20), lo)
        print("REACHED memory" + (" (secret seen)" if found else ""))
    except (OSError, IndexError) as e:
        print("memory:", e)
