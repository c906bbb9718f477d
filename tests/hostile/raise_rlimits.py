# Raising rlimits: lifting a hard limit above its current value needs CAP_SYS_RESOURCE in
# the initial namespace, which the program never has: Python raises ValueError ("not
# allowed to raise maximum limit") for CPU, FSIZE, NOFILE and NPROC. Lowering and raising
# a soft limit up to the hard one are allowed. Exit 0: ok.
# expect: ok
# expect-no-ns: ok
# stdout-contains: RLIMIT_CPU: refused
# stdout-contains: RLIMIT_FSIZE: refused
# stdout-contains: RLIMIT_NOFILE: refused
# stdout-not-contains: RAISED
import resource
for name in ("RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_AS",
             "RLIMIT_STACK"):
    res = getattr(resource, name)
    soft, hard = resource.getrlimit(res)
    if hard == resource.RLIM_INFINITY:
        print("%s: hard limit is unlimited" % name)
        continue
    try:
        resource.setrlimit(res, (soft, hard + 1000))
        print("%s: RAISED to %d" % (name, resource.getrlimit(res)[1]))
    except (ValueError, OSError) as e:
        print("%s: refused (%s)" % (name, e))
