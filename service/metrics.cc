// Prometheus text rendering of prometheus-cpp's counters and histogram (see metrics.h).
#include "service/metrics.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grader/pipeline/pass_at_k.h"
#include "prometheus/metric_family.h"

namespace fathom::service {
namespace {

struct Info {
  const char* name;
  const char* help;
};
constexpr Info kRequests = {"fathom_requests_total", "gRPC calls finished, by method and code."};
constexpr Info kRuns = {"fathom_runs_total", "Sandbox runs, by runtime and run status."};
constexpr Info kDurations = {"fathom_run_duration_seconds", "Wall time of each sandbox run."};
constexpr Info kCacheHits = {
    "fathom_cache_hits_total",
    "Sample verdicts shared by identical programs or read from the cache."};

prometheus::Family<prometheus::Counter>& CounterFamily(prometheus::Registry& registry,
                                                       const Info& info) {
  return prometheus::BuildCounter().Name(info.name).Help(info.help).Register(registry);
}

// Prometheus floats: Python's repr is what the reference client libraries print.
std::string Number(double v) {
  return std::isinf(v) ? (v > 0 ? "+Inf" : "-Inf") : grader::PythonFloatRepr(v);
}

// Counters only ever grow by whole numbers here, and print as integers.
std::string Count(double v) { return absl::StrCat(static_cast<int64_t>(v)); }

void Header(std::string* out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void Gauge(std::string* out, absl::string_view name, absl::string_view type, absl::string_view help,
           const std::function<double()>& f) {
  Header(out, name, type, help);
  absl::StrAppend(out, name, " ", Number(f ? f() : 0.0), "\n");
}

// One series of a family: its `label_names` values, in that order, and the sample.
struct Series {
  std::vector<std::string> values;
  const prometheus::ClientMetric* metric;
};

// The series of `collected` (which must outlive them) sorted by their label values in
// `label_names` order.
std::vector<Series> Sorted(const std::vector<prometheus::MetricFamily>& collected,
                           std::initializer_list<const char*> label_names) {
  std::vector<Series> out;
  for (const prometheus::MetricFamily& f : collected) {
    for (const prometheus::ClientMetric& m : f.metric) {
      Series s{{}, &m};
      for (const char* name : label_names) {
        auto it =
            std::find_if(m.label.begin(), m.label.end(),
                         [&](const prometheus::ClientMetric::Label& l) { return l.name == name; });
        s.values.push_back(it == m.label.end() ? "" : it->value);
      }
      out.push_back(std::move(s));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Series& a, const Series& b) { return a.values < b.values; });
  return out;
}

// `name="value",...` for a series, in `label_names` order.
std::string Labels(std::initializer_list<const char*> label_names, const Series& s) {
  std::string out;
  size_t i = 0;
  for (const char* name : label_names) {
    absl::StrAppend(&out, i ? "," : "", name, "=\"", EscapeLabelValue(s.values[i]), "\"");
    ++i;
  }
  return out;
}

void Counters(std::string* out, const Info& info,
              const prometheus::Family<prometheus::Counter>& family,
              std::initializer_list<const char*> label_names) {
  Header(out, info.name, "counter", info.help);
  const std::vector<prometheus::MetricFamily> collected = family.Collect();
  for (const Series& s : Sorted(collected, label_names)) {
    const std::string labels = Labels(label_names, s);
    absl::StrAppend(out, info.name, labels.empty() ? "" : absl::StrCat("{", labels, "}"), " ",
                    Count(s.metric->counter.value), "\n");
  }
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

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(CounterFamily(*registry_, kRequests)),
      runs_(CounterFamily(*registry_, kRuns)),
      durations_(prometheus::BuildHistogram()
                     .Name(kDurations.name)
                     .Help(kDurations.help)
                     .Register(*registry_)),
      cache_hits_(CounterFamily(*registry_, kCacheHits)) {
  cache_hits_.Add({});  // rendered as 0 before the first hit
}

void Metrics::CountRequest(absl::string_view method, absl::string_view code) {
  requests_.Add({{"method", std::string(method)}, {"code", std::string(code)}}).Increment();
}

void Metrics::CountRun(absl::string_view runtime, absl::string_view status, double seconds) {
  runs_.Add({{"runtime", std::string(runtime)}, {"status", std::string(status)}}).Increment();
  durations_
      .Add({{"runtime", std::string(runtime)}},
           prometheus::Histogram::BucketBoundaries(kRunBuckets.begin(), kRunBuckets.end()))
      .Observe(seconds);
}

void Metrics::CountCacheHits(int64_t n) { cache_hits_.Add({}).Increment(static_cast<double>(n)); }

int64_t Metrics::RequestCount(const std::string& method, const std::string& code) const {
  const prometheus::Labels labels = {{"method", method}, {"code", code}};
  return requests_.Has(labels) ? static_cast<int64_t>(requests_.Add(labels).Value()) : 0;
}

int64_t Metrics::RunCount(const std::string& runtime, const std::string& status) const {
  const prometheus::Labels labels = {{"runtime", runtime}, {"status", status}};
  return runs_.Has(labels) ? static_cast<int64_t>(runs_.Add(labels).Value()) : 0;
}

std::string Metrics::Render() const {
  std::string out;
  Counters(&out, kRequests, requests_, {"method", "code"});
  Counters(&out, kRuns, runs_, {"runtime", "status"});
  Header(&out, kDurations.name, "histogram", kDurations.help);
  const std::vector<prometheus::MetricFamily> durations = durations_.Collect();
  for (const Series& s : Sorted(durations, {"runtime"})) {
    const std::string label = Labels({"runtime"}, s);
    const prometheus::ClientMetric::Histogram& h = s.metric->histogram;
    for (const prometheus::ClientMetric::Bucket& b : h.bucket) {
      absl::StrAppend(&out, kDurations.name, "_bucket{", label, ",le=\"", Number(b.upper_bound),
                      "\"} ", b.cumulative_count, "\n");
    }
    absl::StrAppend(&out, kDurations.name, "_sum{", label, "} ", Number(h.sample_sum), "\n");
    absl::StrAppend(&out, kDurations.name, "_count{", label, "} ", h.sample_count, "\n");
  }
  Counters(&out, kCacheHits, cache_hits_, {});
  Gauge(&out, "fathom_queue_depth", "gauge", "Runs waiting in the run queue.", queue_depth_);
  Gauge(&out, "fathom_runs_in_flight", "gauge", "Sandbox runs being made.", runs_in_flight_);
  Gauge(&out, "fathom_calls_in_flight", "gauge", "gRPC calls in progress.", calls_in_flight_);
  Gauge(&out, "fathom_zygote_restarts_total", "counter",
        "Restarts of the runner's zygote processes.", zygote_restarts_);
  Gauge(&out, "fathom_draining", "gauge", "1 once SIGTERM started the drain.", draining_);
  return out;
}

}  // namespace fathom::service
