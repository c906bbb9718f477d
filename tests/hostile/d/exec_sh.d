// std.process running a shell: Phobos forks first (a clone without CLONE_THREAD), which
// the native profile ends as syscall_violation; "escaped" is never printed.
//
// expect: syscall_violation
// syscall: 56 clone
// stdout-not-contains: escaped
import std.process, std.stdio;
void main() { writeln(executeShell("echo escaped").output); }
