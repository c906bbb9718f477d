# Writes through /proc: lowering our own oom_score_adj (needs CAP_SYS_RESOURCE), and
# writing back the CURRENT values of host-wide knobs (core_pattern, hostname,
# sysrq-trigger is skipped: no harmless value exists) so that even a broken sandbox would
# change nothing. Every write must fail; raising our own oom_score_adj is allowed.
# expect: ok
# expect-no-ns: ok
# stdout-not-contains: WROTE /proc/sys
# stdout-not-contains: WROTE /proc/self/oom_score_adj -1000
# stdout-contains: checked
import errno
def write(path, value):
    try:
        with open(path, "w") as f:
            f.write(value)
        print("WROTE", path, value.strip())
    except OSError as e:
        print("denied", path, errno.errorcode[e.errno])
def current(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        print("unreadable", path, errno.errorcode[e.errno])
        return None
write("/proc/self/oom_score_adj", "-1000")
write("/proc/self/oom_score_adj", "500")
for knob in ("/proc/sys/kernel/core_pattern", "/proc/sys/kernel/hostname",
             "/proc/sys/vm/overcommit_memory", "/proc/sys/kernel/pid_max"):
    value = current(knob)
    if value is not None:
        write(knob, value)
print("checked")
