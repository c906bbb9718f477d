# Symlink escapes from the work dir: links to /etc/shadow, to the test's root-only secret
# ({{SECRET_PATH}}), to /proc/1/root/etc/shadow and to ../../.. are followed with the
# program's own rights, so they reach nothing a direct path would not; a hard link to a
# file the program cannot read is refused (protected_hardlinks) or absent. "LEAK" for any
# content read.
# expect: ok
# expect-no-ns: ok
# stdout-not-contains: LEAK
# stdout-not-contains: {{SECRET_VALUE}}
# stdout-contains: done
import errno, os
targets = {"shadow": "/etc/shadow", "secret": "{{SECRET_PATH}}",
           "proc1root": "/proc/1/root/etc/shadow", "up": "../../../../etc/shadow",
           "proc1cwd": "/proc/1/cwd"}
for name, target in targets.items():
    link = "link-" + name
    try:
        os.symlink(target, link)
    except OSError as e:
        print("symlink", name, errno.errorcode[e.errno])
        continue
    try:
        if os.path.isdir(link):
            print("LEAK listing", name, os.listdir(link)[:10])
        else:
            with open(link, "rb") as f:
                print("LEAK", name, f.read(100))
    except OSError as e:
        print("denied", name, errno.errorcode[e.errno])
for name, target in (("shadow", "/etc/shadow"), ("secret", "{{SECRET_PATH}}")):
    try:
        os.link(target, "hard-" + name)
        with open("hard-" + name, "rb") as f:
            print("LEAK hard", name, f.read(100))
    except OSError as e:
        print("hardlink", name, errno.errorcode[e.errno])
print("done")
