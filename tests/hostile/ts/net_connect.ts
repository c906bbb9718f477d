// A TCP connection to the test's loopback server: socket() fails with EACCES under the
// vm profile, net emits the error, and with no handler node exits 1.
//
// expect: nonzero_exit
// exit-code: 1
// stderr-contains: connect EACCES
// stdout-not-contains: connected
declare var require: any;
const net = require('net');
net.connect({ host: '127.0.0.1', port: {{PORT}} }, () => console.log('connected'));
