// Rust's std::process::Command: spawning /bin/sh starts with a clone (posix_spawn's
// CLONE_VFORK) that the native profile kills: the run ends before a child exists.
// expect: syscall_violation
// syscall: 56 clone
fn main() {
    let out = std::process::Command::new("/bin/sh").arg("-c").arg("echo escaped").output();
    println!("{:?}", out);
}
