# A TCP connection from Ruby to the test's loopback server: socket() fails with EACCES,
# the uncaught Errno::EACCES exits 1.
# expect: nonzero_exit
# exit-code: 1
# stderr-contains: Permission denied
# stdout-not-contains: connected
require 'socket'
TCPSocket.new("127.0.0.1", {{PORT}})
puts "connected"
