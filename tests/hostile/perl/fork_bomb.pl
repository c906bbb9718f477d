# A fork bomb in Perl: the first fork (glibc's clone without CLONE_THREAD) ends the run.
# expect: syscall_violation
# syscall: 56 clone
fork while 1;
