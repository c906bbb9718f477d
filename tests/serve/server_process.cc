// The `fathom serve` child process.
#include "tests/serve/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace fathom::testing {

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::string& binary, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {binary, "serve", "--listen", "127.0.0.1:0",
                                   "--metrics-listen", "127.0.0.1:0"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (std::string& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return absl::InternalError("pipe2");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The server blocks SIGTERM itself; start it with nothing blocked.
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  auto server = std::unique_ptr<ServerProcess>(new ServerProcess());
  int rc = posix_spawn(&server->pid_, binary.c_str(), &fa, &attr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(p[1]);
  if (rc != 0) {
    close(p[0]);
    return absl::InternalError(absl::StrCat("posix_spawn ", binary, ": ", strerror(rc)));
  }
  server->reader_ = std::thread([s = server.get(), fd = p[0]] { s->ReadLoop(fd); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    for (const std::string& line : server->LogLines()) {
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.value("event", "") == "listening") {
        absl::SimpleAtoi(j.value("port", "0"), &server->port_);
        absl::SimpleAtoi(j.value("metrics_port", "0"), &server->metrics_port_);
        return server;
      }
    }
    int status = 0;
    if (waitpid(server->pid_, &status, WNOHANG) == server->pid_) {
      server->reaped_ = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::InternalError(absl::StrCat("fathom serve did not start:\n",
                                          absl::StrJoin(server->LogLines(), "\n")));
}

ServerProcess::~ServerProcess() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (reader_.joinable()) reader_.join();
}

void ServerProcess::ReadLoop(int fd) {
  std::string pending;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
    if (n < 0) continue;
    pending.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::lock_guard<std::mutex> lock(mu_);
      lines_.push_back(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
  }
  close(fd);
  std::lock_guard<std::mutex> lock(mu_);
  log_closed_ = true;
}

bool ServerProcess::LogClosed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_closed_;
}

int ServerProcess::Stop(int signal, std::chrono::milliseconds timeout) {
  if (reaped_) return -1;
  kill(pid_, signal);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::vector<std::string> ServerProcess::LogLines() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lines_;
}

int64_t ServerProcess::RssKb() const {
  std::ifstream in(absl::StrCat("/proc/", pid_, "/status"));
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      int64_t kb = -1;
      in >> kb;
      return kb;
    }
    std::string rest;
    std::getline(in, rest);
  }
  return -1;
}

std::vector<pid_t> ServerProcess::Children() const { return ChildrenOf(pid_, "fathom-idle"); }

std::vector<pid_t> ServerProcess::Grandchildren() const {
  std::vector<pid_t> out;
  for (pid_t c : Children()) {
    for (pid_t g : ChildrenOf(c, "fathom-spare")) out.push_back(g);
  }
  return out;
}

std::shared_ptr<grpc::Channel> ConnectedChannel(const std::string& address,
                                               const grpc::ChannelArguments& args,
                                               std::chrono::seconds timeout) {
  return ConnectedChannel(address, grpc::InsecureChannelCredentials(), args, timeout);
}

std::shared_ptr<grpc::Channel> ConnectedChannel(
    const std::string& address, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    const grpc::ChannelArguments& args, std::chrono::seconds timeout) {
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(address, credentials, args);
  channel->WaitForConnected(std::chrono::system_clock::now() + timeout);
  return channel;
}

std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& t :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"), ec)) {
    std::ifstream in(t.path() / "children");
    pid_t c;
    while (in >> c) out.push_back(c);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<pid_t> ChildrenOf(pid_t pid, const std::string& skip_comm) {
  std::vector<pid_t> out;
  for (pid_t c : ChildrenOf(pid)) {
    std::ifstream comm(absl::StrCat("/proc/", c, "/comm"));
    std::string name;
    std::getline(comm, name);
    if (name != skip_comm) out.push_back(c);
  }
  return out;
}

std::string HttpExchange(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  (void)!write(fd, request.data(), request.size());
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

std::string HttpGet(int port, const std::string& path) {
  const std::string out =
      HttpExchange(port, absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  size_t body = out.find("\r\n\r\n");
  return body == std::string::npos ? "" : out.substr(body + 4);
}

double MetricValue(const std::string& metrics, const std::string& series) {
  std::istringstream in(metrics);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) {
      double v = -1;
      if (absl::SimpleAtod(line.substr(series.size() + 1), &v)) return v;
    }
  }
  return -1;
}

double MetricSum(const std::string& metrics, const std::string& prefix) {
  std::istringstream in(metrics);
  std::string line;
  double sum = 0;
  while (std::getline(in, line)) {
    size_t space = line.rfind(' ');
    double v = 0;
    if (line.rfind(prefix, 0) == 0 && space != std::string::npos &&
        absl::SimpleAtod(line.substr(space + 1), &v)) {
      sum += v;
    }
  }
  return sum;
}

}  // namespace fathom::testing
