# Who are we? The program must run as uid/gid 65534 (nobody) with no supplementary
# groups (root's group 0 must not follow) and no capabilities, in both modes.
# expect: ok
# expect-no-ns: ok
# stdout-contains: uid=65534 euid=65534 gid=65534 groups=[]
# stdout-contains: CapEff:	0000000000000000
# stdout-contains: NoNewPrivs:	1
import os
print("uid=%d euid=%d gid=%d groups=%s" % (os.getuid(), os.geteuid(), os.getgid(),
                                           os.getgroups()))
with open("/proc/self/status") as f:
    for line in f:
        if line.startswith(("Cap", "NoNewPrivs", "Seccomp")):
            print(line, end="")
