# A TCP connection to the test's loopback server: socket() fails with EACCES, R's
# socketConnection raises an error, and R halts with status 1.
# expect: nonzero_exit
# exit-code: 1
# stdout-not-contains: connected
con <- socketConnection("127.0.0.1", port = {{PORT}}, blocking = TRUE, timeout = 5)
cat("connected\n")
