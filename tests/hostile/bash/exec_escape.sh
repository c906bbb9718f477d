# Writing outside the work dir, and reading the host's secrets: everything but the run's
# own tmpfs is read-only, and nothing of the host's /tmp is visible.
# expect: ok
# stdout-contains: usr: not writable
# stdout-contains: secret: not visible
# stdout-contains: canary: not visible
# stdout-not-contains: {{SECRET_VALUE}}
(echo x > /usr/bin/fathom-escape) 2>/dev/null && echo "usr: WRITTEN" || echo "usr: not writable"
cat {{SECRET_PATH}} 2>/dev/null && echo "secret: READ" || echo "secret: not visible"
[ -e {{CANARY_PATH}} ] && echo "canary: VISIBLE" || echo "canary: not visible"
