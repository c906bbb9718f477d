<?php
// A TCP connection to the test's loopback server: socket() fails with EACCES, fsockopen
// returns false (PHP leaves $errno 0 when the socket itself cannot be made; its warning
// names the failure), and the script exits 1.
//
// expect: nonzero_exit
// exit-code: 1
// stderr-contains: refused: fsockopen(): Unable to connect to 127.0.0.1:{{PORT}}
// stdout-not-contains: connected
$s = @fsockopen("127.0.0.1", {{PORT}}, $errno, $errstr, 5);
if ($s === false) { fwrite(STDERR, "refused: " . error_get_last()["message"] . "\n"); exit(1); }
echo "connected\n";
