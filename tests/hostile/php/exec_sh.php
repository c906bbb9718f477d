<?php
// shell_exec runs /bin/sh through popen: glibc's posix_spawn clones without CLONE_THREAD,
// which the native profile ends as syscall_violation; "escaped" is never printed.
//
// expect: syscall_violation
// syscall: 56 clone
// stdout-not-contains: escaped
echo shell_exec("echo escaped");
