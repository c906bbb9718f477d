<?php
// A fork bomb with pcntl (built into Debian's PHP CLI): the first fork ends the run.
//
// expect: syscall_violation
// syscall: 56 clone
while (true) { pcntl_fork(); }
