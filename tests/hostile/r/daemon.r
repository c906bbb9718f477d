# A daemon that outlives R: a backgrounded shell loop started with system(); it is
# killed with the run's tree (pid namespace and cgroup) when R exits, and nothing survives.
# expect: ok
# stdout-contains: parent done
system("while :; do :; done >/dev/null 2>&1 </dev/null &")
cat("parent done\n")
