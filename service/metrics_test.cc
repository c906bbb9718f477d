// Prometheus text rendering and the /metrics HTTP responder on a real loopback socket.
#include "service/metrics.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/metrics_http.h"
#include "tests/serve/server_process.h"

namespace fathom::service {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(MetricsTest, RendersCountersHistogramAndGauges) {
  Metrics m;
  m.CountRequest("Execute", "OK");
  m.CountRequest("Execute", "OK");
  m.CountRequest("Grade", "NOT_FOUND");
  m.CountRun("python", "ok", 0.004);
  m.CountRun("python", "cpu_timeout", 3.2);
  m.CountCacheHits(5);
  m.SetQueueDepth([] { return 7.0; });
  const std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE fathom_requests_total counter\n"));
  EXPECT_THAT(text, HasSubstr("fathom_requests_total{method=\"Execute\",code=\"OK\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("fathom_requests_total{method=\"Grade\",code=\"NOT_FOUND\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("fathom_runs_total{runtime=\"python\",status=\"cpu_timeout\"} 1\n"));
  // Cumulative buckets: 0.004 s is in every bucket, 3.2 s from le=5 on.
  EXPECT_THAT(text, HasSubstr("fathom_run_duration_seconds_bucket{runtime=\"python\",le=\"0.005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("fathom_run_duration_seconds_bucket{runtime=\"python\",le=\"2.5\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("fathom_run_duration_seconds_bucket{runtime=\"python\",le=\"5.0\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("fathom_run_duration_seconds_bucket{runtime=\"python\",le=\"+Inf\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("fathom_run_duration_seconds_count{runtime=\"python\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("fathom_run_duration_seconds_sum{runtime=\"python\"} 3.204\n"));
  EXPECT_THAT(text, HasSubstr("fathom_cache_hits_total 5\n"));
  EXPECT_THAT(text, HasSubstr("fathom_queue_depth 7.0\n"));
  EXPECT_THAT(text, HasSubstr("fathom_runs_in_flight 0.0\n"));  // unset gauge
  EXPECT_THAT(text, HasSubstr("fathom_zygote_restarts_total 0.0\n"));
  EXPECT_EQ(m.RequestCount("Execute", "OK"), 2);
  EXPECT_EQ(m.RunCount("python", "ok"), 1);
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

using testing::HttpExchange;

TEST(MetricsHttpTest, ServesMetricsAndRefusesEverythingElse) {
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> server =
      MetricsHttpServer::Start("127.0.0.1:0", [] { return std::string("fathom_up 1\n"); });
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  ASSERT_GT(port, 0);
  std::string ok = HttpExchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(ok, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(ok, HasSubstr("Content-Type: text/plain; version=0.0.4"));
  EXPECT_THAT(ok, HasSubstr("Content-Length: 12\r\n"));
  EXPECT_THAT(ok, ::testing::EndsWith("\r\n\r\nfathom_up 1\n"));
  EXPECT_THAT(HttpExchange(port, "GET /other HTTP/1.0\r\n\r\n"), StartsWith("HTTP/1.1 404 "));
  EXPECT_THAT(HttpExchange(port, "POST /metrics HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 405 "));
  EXPECT_THAT(HttpExchange(port, std::string("\x16\x03\x01\x02\x00\x01\r\n\r\n", 10)),
              StartsWith("HTTP/1.1 400 "));
  // A client that sends nothing and hangs up does not stop the server.
  EXPECT_EQ(HttpExchange(port, ""), "");
  EXPECT_THAT(HttpExchange(port, "GET /metrics?x=1 HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 200 "));
}

TEST(MetricsHttpTest, BadAddressesAreErrorsNamingTheFlag) {
  auto render = [] { return std::string(); };
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> s =
      MetricsHttpServer::Start("no-port", render);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("--metrics-listen"));
  s = MetricsHttpServer::Start("127.0.0.1:http", render);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fathom::service
