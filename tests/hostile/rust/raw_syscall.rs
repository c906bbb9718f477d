// A raw bpf(2) through glibc's syscall(): on the kill list of every profile.
// expect: syscall_violation
// syscall: 321 bpf
extern "C" {
    fn syscall(number: i64, ...) -> i64;
}
fn main() {
    let r = unsafe { syscall(321, 0i64, 0i64, 0i64) };
    println!("survived {}", r);
}
