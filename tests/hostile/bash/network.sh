# Network through bash's /dev/tcp: socket() fails with EACCES under the shell profile (and
# the network namespace is empty), so the redirection fails and the script exits 1.
# expect: nonzero_exit
# exit-code: 1
# stderr-contains: Permission denied
exec 3<>/dev/tcp/127.0.0.1/{{PORT}} || exit 1
echo connected >&3
