// A tiny HTTP/1.1 responder for the Prometheus scrape: GET /metrics answers the text
// exposition; anything else gets 404 (unknown path), 405 (not GET/HEAD) or 400 (not
// HTTP). One thread, one connection at a time, each closed after its answer; a client
// that sends nothing for 2 s, or more than 8 KiB of request head, is dropped. Scrapes
// are rare and small: nothing here needs to be faster.
//
// Hand-written, not prometheus-cpp's Exposer (pull), because on Debian 12 the Exposer
// cannot keep what --metrics-listen and the endpoint do: the civetweb it serves through
// (1.15) is built without IPv6, so "[V6]:PORT" fails ("invalid port spec"); it serves only
// its own TextSerializer's text (see metrics.h) plus exposer_* series of its own; and it
// answers POST and HEAD with 404, a non-HTTP request with "HTTP/1.0 400", and 200s with
// no "version=0.0.4" in Content-Type. civetweb alone has the same IPv6 gap.
//
// Thread safety: Start/port/the destructor from the owner's thread; `render` is called
// on the server's own thread.
#ifndef FATHOM_SERVICE_METRICS_HTTP_H_
#define FATHOM_SERVICE_METRICS_HTTP_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace fathom::service {

// "HOST:PORT", "[V6]:PORT" or ":PORT" (all interfaces) -> host and port. InvalidArgument
// naming `what` (the flag) on anything else.
absl::Status SplitHostPort(const std::string& address, const std::string& what,
                           std::string* host, std::string* port);

class MetricsHttpServer {
 public:
  // Binds `address` (port 0 picks a free one) and starts serving. InvalidArgument for a
  // bad address, Unavailable naming the address when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(
      const std::string& address, std::function<std::string()> render);
  // Stops serving and joins the thread.
  ~MetricsHttpServer();

  int port() const { return port_; }

 private:
  MetricsHttpServer(int listen_fd, int wake_fd, int port, std::function<std::string()> render);
  void Loop();
  void Serve(int fd);

  const int listen_fd_;
  const int wake_fd_;  // eventfd: readable when the destructor wants the loop to end
  const int port_;
  const std::function<std::string()> render_;
  std::thread thread_;
};

}  // namespace fathom::service

#endif  // FATHOM_SERVICE_METRICS_HTTP_H_
