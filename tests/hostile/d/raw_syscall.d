// A raw syscall on the kill list (bpf) through libc's syscall().
//
// expect: syscall_violation
// syscall: 321 bpf
// stdout-not-contains: survived
import std.stdio;
extern (C) long syscall(long number, ...);
void main() { syscall(321, 0, 0, 0); writeln("survived"); }
