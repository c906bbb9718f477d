# Ruby's system() vforks before it execs /bin/sh: the native profile kills process
# creation, so the run ends there.
# expect: syscall_violation
# syscall: 58 vfork
puts system("/bin/sh", "-c", "echo escaped")
