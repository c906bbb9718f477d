# Perl's exec replaces the interpreter with /bin/sh: an execve the native profile kills
# (it execs the interpreter alone).
# expect: syscall_violation
# syscall: 59 execve
exec("/bin/sh", "-c", "echo escaped");
