// Node's child_process from TypeScript running /bin/sh: libuv forks (a clone without
// CLONE_THREAD) and the vm profile ends the run there as syscall_violation.
//
// expect: syscall_violation
// syscall: 56 clone
// stdout-not-contains: escaped
declare var require: any;
const { execSync } = require('child_process');
console.log(String(execSync('echo escaped')));
