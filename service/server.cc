// Server assembly and the drain.
#include "service/server.h"

#include <signal.h>

#include <thread>

#include <grpc/grpc.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "service/grader_service.h"

namespace fathom::service {
namespace {

constexpr char kServiceName[] = "fathom.v1.Grader";

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

// Readiness ("" and the service's name); liveness stays SERVING (server.h).
void SetHealth(grpc::Server* server, bool serving) {
  if (server == nullptr) return;
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus("", serving);
  health->SetServingStatus(kServiceName, serving);
  health->SetServingStatus(kLivenessService, true);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, Core& core,
                                                      Metrics& metrics, CallLog& log) {
  std::string host, port;
  if (absl::Status s = SplitHostPort(options.listen, "--listen", &host, &port); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(options.tls);
  if (!credentials.ok()) return credentials.status();
  if (!options.health_listen.empty()) {
    if (absl::Status s = SplitHostPort(options.health_listen, "--health-listen", &host, &port);
        !s.ok()) {
      return s;
    }
  }
  auto server = std::unique_ptr<Server>(new Server());
  server->core_ = &core;
  server->log_ = &log;
  server->service_ = std::make_unique<GraderService>(core, log);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, *credentials, &server->port_);
  builder.RegisterService(server->service_.get());
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.SetMaxSendMessageSize(options.max_send_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             static_cast<int>(options.keepalive_time_ms));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             static_cast<int>(options.keepalive_timeout_ms));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             static_cast<int>(options.min_client_ping_interval_ms));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                             static_cast<int>(options.max_connection_age_ms));
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("--listen: cannot listen on ", options.listen, " (in use, or not an "
                     "address of this host?)"));
  }
  if (!options.health_listen.empty()) {
    // Only the default health service (and reflection, which lists it): no Grader here.
    grpc::ServerBuilder health_builder;
    health_builder.AddListeningPort(options.health_listen, grpc::InsecureServerCredentials(),
                                    &server->health_port_);
    server->health_server_ = health_builder.BuildAndStart();
    if (server->health_server_ == nullptr || server->health_port_ == 0) {
      return absl::UnavailableError(absl::StrCat("--health-listen: cannot listen on ",
                                                 options.health_listen));
    }
  }
  // The gauges' callbacks are set before the metrics endpoint can read them.
  GraderService* service = server->service_.get();
  RunQueue* queue = &core.queue();
  metrics.SetQueueDepth([queue] { return static_cast<double>(queue->queued()); });
  metrics.SetRunsInFlight([queue] { return static_cast<double>(queue->running()); });
  metrics.SetCallsInFlight([service] { return static_cast<double>(service->calls_in_flight()); });
  metrics.SetDraining([s = server.get()] { return s->leaving_.load() ? 1.0 : 0.0; });
  if (!options.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsHttpServer>> http = MetricsHttpServer::Start(
        options.metrics_listen, [&metrics] { return metrics.Render(); });
    if (!http.ok()) return http.status();
    server->metrics_ = *std::move(http);
  }
  SetHealth(server->server_.get(), true);
  SetHealth(server->health_server_.get(), true);
  return server;
}

Server::~Server() {
  metrics_.reset();
  if (!stopped_ && server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
  }
  if (health_server_ != nullptr) {
    health_server_->Shutdown(std::chrono::system_clock::now());
    health_server_->Wait();
  }
  // The metrics callbacks point into the service: unhook them before it goes.
  Metrics& m = core_->metrics();
  m.SetCallsInFlight(nullptr);
  m.SetDraining(nullptr);
}

int64_t Server::Drain(std::chrono::milliseconds delay, std::chrono::milliseconds grace) {
  leaving_ = true;
  SetHealth(server_.get(), false);
  SetHealth(health_server_.get(), false);
  log_->Event("drain", {{"delay_ms", absl::StrCat(delay.count())},
                        {"grace_ms", absl::StrCat(grace.count())},
                        {"calls_in_flight", absl::StrCat(service_->calls_in_flight())}});
  // Step 1: still serving, while balancers that watch health move away (server.h).
  std::this_thread::sleep_for(delay);
  service_->StartDrain();
  // Step 2: Shutdown sends GOAWAY on every connection and closes the listener now, then
  // waits for the calls in progress until the deadline, when it cancels what is left
  // (their runs are killed through the tenants' tokens). Before, the port stayed open for
  // the whole grace and answered every new call UNAVAILABLE, so a round_robin client kept
  // picking this replica and each of those calls failed unless the client retried it.
  log_->Event("goaway", {{"calls_in_flight", absl::StrCat(service_->calls_in_flight())}});
  const auto deadline = std::chrono::steady_clock::now() + grace;
  std::thread shutdown([this, grace] {
    server_->Shutdown(std::chrono::system_clock::now() + grace);
  });
  while (service_->calls_in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const int64_t left = service_->calls_in_flight();
  // Whatever else is open is not ours to wait for: a health Watch stream (a client that
  // watches health through a proxy keeps one open on some replica), a reflection stream.
  // Shutdown would hold them until its deadline; cancel them (and, after the grace, our
  // own calls) now.
  grpc_server_cancel_all_calls(server_->c_server());
  shutdown.join();
  server_->Wait();
  stopped_ = true;
  metrics_.reset();
  log_->Event("stopped", {{"cancelled_calls", absl::StrCat(left)}});
  return left;
}

void BlockTerminationSignals() {
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t set = TerminationSignals();
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

}  // namespace fathom::service
