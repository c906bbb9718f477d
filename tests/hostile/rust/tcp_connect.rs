// Rust's TcpStream::connect to the test's loopback server: socket() fails with EACCES
// (native profile; the network namespace is empty as well). The program reports it and
// exits 1.
// expect: nonzero_exit
// exit-code: 1
// stderr-contains: Permission denied
// stdout-not-contains: connected
fn main() {
    match std::net::TcpStream::connect("127.0.0.1:{{PORT}}") {
        Ok(_) => println!("connected"),
        Err(e) => {
            eprintln!("connect: {}", e);
            std::process::exit(1);
        }
    }
}
