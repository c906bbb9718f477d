# Reads host secrets: /etc/shadow, /etc/gshadow, root's home, SSH host keys, /proc/1/environ
# and a root-only (0600) file the test creates ({{SECRET_PATH}}). Full isolation: they are
# not in the sandbox's root at all (or not readable). Without a mount namespace they are
# the host's files, protected only by the unprivileged uid 65534: still unreadable.
# "LEAK" is printed for anything whose content could be read.
# expect: ok
# expect-no-ns: ok
# stdout-not-contains: LEAK
# stdout-not-contains: {{SECRET_VALUE}}
# stdout-contains: checked 9 paths
import errno, glob, os
paths = ["/etc/shadow", "/etc/gshadow", "/root/.bash_history", "/root/.ssh/id_rsa",
         "/proc/1/environ", "/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_rsa_key",
         "{{SECRET_PATH}}", "/root"]
for p in paths:
    try:
        if os.path.isdir(p):
            print("LEAK listing", p, os.listdir(p))
            continue
        with open(p, "rb") as f:
            data = f.read(4096)
        print("LEAK", p, data[:200])
    except OSError as e:
        print("denied", p, errno.errorcode[e.errno])
print("checked", len(paths), "paths")
