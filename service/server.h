// `fathom serve`'s server: the Grader service with standard health checking and server
// reflection on one gRPC port, Prometheus metrics on another (plain HTTP), explicit
// message-size limits, keepalive and a maximum connection age, and the SIGTERM drain.
//
// Transport settings (ServerOptions documents each):
//   max receive message   32 MiB (a larger request fails with RESOURCE_EXHAUSTED)
//   max send message      32 MiB, raised to fit two full output streams of the largest
//                         runtime output limit
//   keepalive             the server pings idle connections every 60 s (20 s timeout);
//                         clients may ping every 10 s, also without calls
//   max connection age    300 s (gRPC adds +-10% jitter), then GOAWAY: clients balancing
//                         with round_robin over DNS reconnect and spread across replicas;
//                         calls in progress on an aged connection are never cut
//   credentials           plaintext, TLS or mutual TLS (tls.h)
//   health-only port      optional, plaintext, grpc.health.v1 alone: Kubernetes' gRPC
//                         probes cannot speak TLS, so with TLS on the main port they need
//                         a port of their own
//
// The drain (SIGTERM), in two steps:
//   1. announce (`delay`, --drain-delay): health NOT_SERVING and fathom_draining 1, calls
//      still served as usual. Balancers that watch health (Kubernetes readiness, gRPC
//      clients with a healthCheckConfig, proxies with active checks) stop sending here.
//   2. drain (`grace`, --grace): GOAWAY on every connection and the listener closed
//      (grpc::Server::Shutdown with the grace as deadline); calls in progress go on until
//      they end or the grace runs out, then are cancelled; a call that still reaches the
//      service gets UNAVAILABLE.
// Why the first step: gRPC 1.51's Shutdown answers CANCELLED, not UNAVAILABLE, to calls
// that reach it in the instant between its GOAWAY and the peer reading it (newer gRPC
// keeps serving them), and clients must not retry CANCELLED blindly; so the peers must have
// stopped sending before step 2. The fleet test (tests/serve_fleet_test.cc) measures it.
//
// Thread safety: Start, Drain and the destructor from one thread.
#ifndef FATHOM_SERVICE_SERVER_H_
#define FATHOM_SERVICE_SERVER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "service/call_log.h"
#include "service/core.h"
#include "service/metrics.h"
#include "service/metrics_http.h"
#include "service/tls.h"

namespace grpc {
class Server;
}

namespace fathom::service {

class GraderService;

struct ServerOptions {
  // gRPC address. Loopback by default: the server runs whatever it is sent, so exposing
  // it is a decision (`--listen 0.0.0.0:50051` in a pod).
  std::string listen = "127.0.0.1:50051";
  // Prometheus /metrics address; empty: no metrics endpoint.
  std::string metrics_listen = "127.0.0.1:9464";
  // Requests above this many bytes are refused by gRPC with RESOURCE_EXHAUSTED.
  int max_receive_message_bytes = 32 << 20;
  int max_send_message_bytes = 32 << 20;
  int64_t keepalive_time_ms = 60000;
  int64_t keepalive_timeout_ms = 20000;
  int64_t min_client_ping_interval_ms = 10000;
  int64_t max_connection_age_ms = 300000;
  // Plaintext, TLS or mutual TLS on `listen` (tls.h).
  TlsFiles tls;
  // A second gRPC address serving only grpc.health.v1, always plaintext (it tells nothing
  // but SERVING / NOT_SERVING); empty: none. For Kubernetes' grpc probes when `tls` is on.
  std::string health_listen;
};

// The health service names Server sets. "" and "fathom.v1.Grader" turn NOT_SERVING when
// the drain starts (readiness); kLivenessService stays SERVING until the process exits,
// so that a liveness probe does not restart a replica that is draining.
inline constexpr char kLivenessService[] = "liveness";

class Server {
 public:
  // Binds both ports and starts serving; health is SERVING from then on. `core`, `queue`,
  // `metrics` and `log` must outlive the server. InvalidArgument for a bad address,
  // Unavailable when a port cannot be bound.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options,
                                                       Core& core, Metrics& metrics,
                                                       CallLog& log);
  // Shuts down at once (cancelling calls in progress) unless Drain() ran.
  ~Server();

  int port() const { return port_; }
  int health_port() const { return health_port_; }
  int metrics_port() const { return metrics_ ? metrics_->port() : 0; }

  // The SIGTERM drain (above): health goes NOT_SERVING at once; after `delay` open streams
  // stop taking batches, every connection gets GOAWAY and the listener closes; calls in
  // progress get up to `grace` more to finish, then whatever is left is cancelled (its
  // runs killed) and the server stops. Returns the calls that had to be cancelled.
  int64_t Drain(std::chrono::milliseconds delay, std::chrono::milliseconds grace);

 private:
  Server() = default;
  Core* core_ = nullptr;
  CallLog* log_ = nullptr;
  std::unique_ptr<GraderService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> health_server_;  // --health-listen; null without
  std::unique_ptr<MetricsHttpServer> metrics_;
  int port_ = 0;
  int health_port_ = 0;
  bool stopped_ = false;
  std::atomic<bool> leaving_{false};  // the drain has started (fathom_draining)
};

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread, and so in every thread it
// creates afterwards: call first thing in main, before any thread exists.
void BlockTerminationSignals();
// Waits for one of them; returns its number.
int WaitForTerminationSignal();

}  // namespace fathom::service

#endif  // FATHOM_SERVICE_SERVER_H_
