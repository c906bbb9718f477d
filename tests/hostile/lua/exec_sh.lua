-- os.execute runs /bin/sh through glibc's system(): its clone ends the run as a
-- violation before a shell exists.
-- expect: syscall_violation
-- syscall: 56 clone
print(os.execute("echo escaped"))
