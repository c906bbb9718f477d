# A command that makes a kill-list syscall: unshare(2), from util-linux's unshare. Any
# process of the tree that calls it ends the whole run as a violation.
# expect: syscall_violation
# syscall: 272 unshare
unshare -U true
echo survived
