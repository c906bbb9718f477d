// Network: a TCP connection to the test's loopback server. The run's network namespace
// is empty, and socket() itself fails with EACCES under the native profile; the program
// reports that and exits 1.
// expect: nonzero_exit
// exit-code: 1
// stderr-contains: socket: Permission denied
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cstdio>
int main() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    std::perror("socket");
    return 1;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons({{PORT}});
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::perror("connect");
    return 2;
  }
  std::puts("connected");
}
