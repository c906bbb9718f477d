// A fork bomb in Rust through glibc's fork() (a clone without CLONE_THREAD): the first
// one ends the run as a violation.
// expect: syscall_violation
// syscall: 56 clone
extern "C" {
    fn fork() -> i32;
}
fn main() {
    loop {
        unsafe { fork() };
    }
}
