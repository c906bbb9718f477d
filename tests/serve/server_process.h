// A real `fathom serve` child process for the service's end-to-end and load tests and its
// benchmark: starts the binary on free loopback ports, reads its JSON log lines, and
// stops it with SIGTERM (or SIGKILL when the object goes).
//
// Thread safety: LogLines may be called from any thread; the rest from the owner's.
#ifndef FATHOM_TESTS_SERVE_SERVER_PROCESS_H_
#define FATHOM_TESTS_SERVE_SERVER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/status/statusor.h"

namespace fathom::testing {

class ServerProcess {
 public:
  // Runs `binary serve --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 <args>` and
  // waits (up to 60 s) for its "listening" line. Internal with the server's log when it
  // exits or stays silent instead.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(const std::string& binary,
                                                             const std::vector<std::string>& args);
  // SIGKILLs the server if it still runs, and reaps it.
  ~ServerProcess();

  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }
  pid_t pid() const { return pid_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // Sends `signal` and waits up to `timeout` for the exit; returns the exit code, 128 +
  // signal when killed by one, or -1 when it is still running after `timeout`.
  int Stop(int signal, std::chrono::milliseconds timeout);
  // Every stderr line so far.
  std::vector<std::string> LogLines() const;
  // True once the log reached its end (the server and every process that shared its
  // stderr are gone): LogLines() is then complete.
  bool LogClosed() const;
  // The server's resident set (VmRSS) in KiB; -1 when unknown.
  int64_t RssKb() const;
  // Host pids of the server's child processes: the runs' inits on the fresh path, the
  // warm zygotes (one per worker, long-lived) on the zygote path. Inits waiting for a
  // run (pre-started, named "fathom-idle") are not counted.
  std::vector<pid_t> Children() const;
  // Host pids of their children: the programs running now, on either path (a program
  // cannot create processes, so nothing of a run lives deeper). The child a zygote forks
  // ahead for its next program (named "fathom-spare" until it gets one) is not counted.
  std::vector<pid_t> Grandchildren() const;

 private:
  ServerProcess() = default;
  void ReadLoop(int fd);
  pid_t pid_ = -1;
  bool reaped_ = false;
  int port_ = 0;
  int metrics_port_ = 0;
  std::thread reader_;
  mutable std::mutex mu_;
  std::vector<std::string> lines_;  // GUARDED_BY(mu_)
  bool log_closed_ = false;         // GUARDED_BY(mu_)
};

// A channel to `address` (127.0.0.1:port) that is connected before it is returned, or
// once `timeout` has passed (its calls then fail as they would have).
//
// Why connect first: gRPC 1.51 (Debian 12's) reads connect()'s errno after calls that
// may overwrite it, so now and then (about one connect in a few hundred here) a
// connection attempt fails at once with a stray errno: "ipv4:127.0.0.1:PORT: No such
// file or directory". The channel retries after its 1 s backoff, but a call made
// meanwhile fails UNAVAILABLE unless it waits for ready. Fixed upstream by
// grpc/grpc#35064. The tests and the benchmark must not read that as the server's fault.
std::shared_ptr<grpc::Channel> ConnectedChannel(
    const std::string& address, const grpc::ChannelArguments& args = {},
    std::chrono::seconds timeout = std::chrono::seconds(30));
// The same with `credentials` (TLS) instead of plaintext.
std::shared_ptr<grpc::Channel> ConnectedChannel(
    const std::string& address, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    const grpc::ChannelArguments& args = {},
    std::chrono::seconds timeout = std::chrono::seconds(30));

// Host pids of the children of `pid` (every thread's), sorted; [] when it is gone.
std::vector<pid_t> ChildrenOf(pid_t pid);
// The same without those named `skip_comm` (/proc/PID/comm).
std::vector<pid_t> ChildrenOf(pid_t pid, const std::string& skip_comm);

// Sends `request` as it is to 127.0.0.1:port and returns everything the server answers
// until it closes ("" when it cannot connect).
std::string HttpExchange(int port, const std::string& request);
// GET http://127.0.0.1:port/path; the body, or "" on any failure.
std::string HttpGet(int port, const std::string& path);

// The value of the Prometheus series `series` (exact text up to the value, labels
// included) in `metrics`; -1 when absent.
double MetricValue(const std::string& metrics, const std::string& series);
// The sum of every series whose text starts with `prefix` (e.g. "fathom_requests_total{").
double MetricSum(const std::string& metrics, const std::string& prefix);

}  // namespace fathom::testing

#endif  // FATHOM_TESTS_SERVE_SERVER_PROCESS_H_
