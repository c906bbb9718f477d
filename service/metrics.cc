// Prometheus text rendering.
#include "service/metrics.h"

#include "absl/strings/str_cat.h"
#include "grader/pipeline/pass_at_k.h"

namespace fathom::service {
namespace {

// Prometheus floats: Python's repr is what the reference client libraries print.
std::string Number(double v) { return grader::PythonFloatRepr(v); }

void Header(std::string* out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void Gauge(std::string* out, absl::string_view name, absl::string_view type,
           absl::string_view help, const std::function<double()>& f) {
  Header(out, name, type, help);
  absl::StrAppend(out, name, " ", Number(f ? f() : 0.0), "\n");
}

}  // namespace

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Metrics::CountRequest(absl::string_view method, absl::string_view code) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{std::string(method), std::string(code)}];
}

void Metrics::CountRun(absl::string_view runtime, absl::string_view status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++runs_[{std::string(runtime), std::string(status)}];
  Histogram& h = durations_[std::string(runtime)];
  size_t i = 0;
  while (i < kRunBuckets.size() && seconds > kRunBuckets[i]) ++i;
  if (i < kRunBuckets.size()) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
}

void Metrics::CountCacheHits(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  cache_hits_ += n;
}

int64_t Metrics::RequestCount(const std::string& method, const std::string& code) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = requests_.find({method, code});
  return it == requests_.end() ? 0 : it->second;
}

int64_t Metrics::RunCount(const std::string& runtime, const std::string& status) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = runs_.find({runtime, status});
  return it == runs_.end() ? 0 : it->second;
}

std::string Metrics::Render() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  Header(&out, "fathom_requests_total", "counter", "gRPC calls finished, by method and code.");
  for (const auto& [k, v] : requests_) {
    absl::StrAppend(&out, "fathom_requests_total{method=\"", EscapeLabelValue(k.first),
                    "\",code=\"", EscapeLabelValue(k.second), "\"} ", v, "\n");
  }
  Header(&out, "fathom_runs_total", "counter", "Sandbox runs, by runtime and run status.");
  for (const auto& [k, v] : runs_) {
    absl::StrAppend(&out, "fathom_runs_total{runtime=\"", EscapeLabelValue(k.first),
                    "\",status=\"", EscapeLabelValue(k.second), "\"} ", v, "\n");
  }
  Header(&out, "fathom_run_duration_seconds", "histogram", "Wall time of each sandbox run.");
  for (const auto& [runtime, h] : durations_) {
    const std::string label = absl::StrCat("runtime=\"", EscapeLabelValue(runtime), "\"");
    int64_t cumulative = 0;
    for (size_t i = 0; i < kRunBuckets.size(); ++i) {
      cumulative += h.buckets[i];
      absl::StrAppend(&out, "fathom_run_duration_seconds_bucket{", label, ",le=\"",
                      Number(kRunBuckets[i]), "\"} ", cumulative, "\n");
    }
    absl::StrAppend(&out, "fathom_run_duration_seconds_bucket{", label, ",le=\"+Inf\"} ",
                    h.count, "\n");
    absl::StrAppend(&out, "fathom_run_duration_seconds_sum{", label, "} ", Number(h.sum), "\n");
    absl::StrAppend(&out, "fathom_run_duration_seconds_count{", label, "} ", h.count, "\n");
  }
  Header(&out, "fathom_cache_hits_total", "counter",
         "Sample verdicts shared by identical programs or read from the cache.");
  absl::StrAppend(&out, "fathom_cache_hits_total ", cache_hits_, "\n");
  Gauge(&out, "fathom_queue_depth", "gauge", "Runs waiting in the run queue.", queue_depth_);
  Gauge(&out, "fathom_runs_in_flight", "gauge", "Sandbox runs being made.", runs_in_flight_);
  Gauge(&out, "fathom_calls_in_flight", "gauge", "gRPC calls in progress.", calls_in_flight_);
  Gauge(&out, "fathom_zygote_restarts_total", "counter",
        "Restarts of the runner's zygote processes.", zygote_restarts_);
  Gauge(&out, "fathom_draining", "gauge", "1 once SIGTERM started the drain.", draining_);
  return out;
}

}  // namespace fathom::service
