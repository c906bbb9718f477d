// Node's child_process running /bin/sh: libuv forks (a clone without CLONE_THREAD) and
// the vm profile ends the run there as syscall_violation; "escaped" is never printed.
//
// expect: syscall_violation
// syscall: 56 clone
// stdout-not-contains: escaped
const { execSync } = require('child_process');
console.log(String(execSync('echo escaped')));
