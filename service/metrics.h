// The server's metrics, rendered in the Prometheus text format (version 0.0.4) for the
// /metrics endpoint (metrics_http.h):
//   fathom_requests_total{method,code}          counter  calls finished, by gRPC code name
//   fathom_runs_total{runtime,status}           counter  sandbox runs, by run status
//   fathom_run_duration_seconds{runtime}        histogram  wall time of each run
//   fathom_cache_hits_total                     counter  verdicts not run (dedup, disk cache)
//   fathom_queue_depth                          gauge    runs waiting in the run queue
//   fathom_runs_in_flight                       gauge    runs being made
//   fathom_calls_in_flight                      gauge    gRPC calls in progress
//   fathom_zygote_restarts_total                counter  restarts of the runner's zygotes
//   fathom_draining                             gauge    1 after SIGTERM
// Gauges are read through callbacks when rendered.
//
// The counters and the histogram are prometheus-cpp's (core): it counts, buckets and
// locks. The text is rendered here, not by prometheus-cpp's TextSerializer, because that
// one would change the page that /metrics has always served and that scrapers and tests
// key on: it writes labels sorted by name (code before method), integral floats without
// ".0" (a gauge "7", a bucket le="5"), _count and _sum before the buckets, and series in
// hash order. Here: labels in declared order, floats as Python's repr (what the reference
// Python client prints), buckets then _sum then _count, series sorted by label values.
//
// Thread safety: every member may be called from any thread.
#ifndef FATHOM_SERVICE_METRICS_H_
#define FATHOM_SERVICE_METRICS_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace fathom::service {

class Metrics {
 public:
  // Upper bounds (seconds) of the run-duration buckets; +Inf is implied.
  static constexpr std::array<double, 12> kRunBuckets = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

  Metrics();

  void CountRequest(absl::string_view method, absl::string_view code);
  void CountRun(absl::string_view runtime, absl::string_view status, double seconds);
  void CountCacheHits(int64_t n);

  // Read at render time; unset gauges render as 0. Set before serving.
  void SetQueueDepth(std::function<double()> f) { queue_depth_ = std::move(f); }
  void SetRunsInFlight(std::function<double()> f) { runs_in_flight_ = std::move(f); }
  void SetCallsInFlight(std::function<double()> f) { calls_in_flight_ = std::move(f); }
  void SetZygoteRestarts(std::function<double()> f) { zygote_restarts_ = std::move(f); }
  void SetDraining(std::function<double()> f) { draining_ = std::move(f); }

  // The whole exposition, ending with a newline.
  std::string Render() const;

  // For tests: the current value of a counter series (0 when absent).
  int64_t RequestCount(const std::string& method, const std::string& code) const;
  int64_t RunCount(const std::string& runtime, const std::string& status) const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;  // owns the families below
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& runs_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Family<prometheus::Counter>& cache_hits_;
  std::function<double()> queue_depth_, runs_in_flight_, calls_in_flight_, zygote_restarts_,
      draining_;
};

// A label value escaped for the text format (backslash, double quote, newline).
std::string EscapeLabelValue(absl::string_view value);

}  // namespace fathom::service

#endif  // FATHOM_SERVICE_METRICS_H_
