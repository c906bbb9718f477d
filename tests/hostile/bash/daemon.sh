# A daemon that outlives its script: the backgrounded sleeper is killed with the run's
# tree (pid namespace and cgroup), so the run ends with the script and leaves nothing.
# expect: ok
# stdout-contains: parent done
nohup sleep 1000 >/dev/null 2>&1 &
setsid sleep 1000 >/dev/null 2>&1 < /dev/null &
disown -a
echo "parent done"
