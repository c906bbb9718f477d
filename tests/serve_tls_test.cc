// Who may call `fathom serve`: TLS (--tls-cert, --tls-key) and mutual TLS (--client-ca),
// over loopback, with certificates the test makes (openssl, tests/serve/test_certs.h).
// A plaintext client, a client that does not trust the server, a client without a
// certificate and a client whose certificate another CA signed are all refused before
// any call reaches the service (the server counts none); a trusted client is served.
// Also: the plaintext health-only port (--health-listen) that Kubernetes' probes use,
// its readiness and liveness names across the drain, and bad TLS flags failing at start.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "fathom/v1/grader.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fathom_process.h"
#include "tests/serve/health_client.grpc.pb.h"
#include "tests/serve/server_process.h"
#include "tests/serve/test_certs.h"

namespace fathom {
namespace {

using ::testing::HasSubstr;
using testing::ServerProcess;
using testing::TestCerts;
using HealthStatus = grpc::health::v1::HealthCheckResponse;

const std::string kBinary = FATHOM_BINARY;

// Per process and test: ctest may run tests of this binary at once.
std::string TestDir(const std::string& what) {
  return (std::filesystem::path(::testing::TempDir()) /
          absl::StrCat("fathom_tls_", getpid(), "_",
                       ::testing::UnitTest::GetInstance()->current_test_info()->name(), "_",
                       what))
      .string();
}

class ServeTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::MakeTestCerts(TestDir("certs"), &certs_))
        << "openssl failed:\n" << e2e::ReadFile(TestDir("certs") + "/openssl.log");
  }
  void TearDown() override { std::filesystem::remove_all(certs_.dir); }

  std::unique_ptr<ServerProcess> Start(std::vector<std::string> args) {
    args.insert(args.end(), {"--workers", "1", "--tls-cert", certs_.Path("server.pem"),
                             "--tls-key", certs_.Path("server.key")});
    absl::StatusOr<std::unique_ptr<ServerProcess>> s = ServerProcess::Start(kBinary, args);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }

  // TLS trusting `ca`, presenting `client` (its .pem and .key) unless empty.
  std::shared_ptr<grpc::ChannelCredentials> Tls(const std::string& ca,
                                                const std::string& client = "") const {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = certs_.Pem(ca + ".pem");
    if (!client.empty()) {
      o.pem_cert_chain = certs_.Pem(client + ".pem");
      o.pem_private_key = certs_.Pem(client + ".key");
    }
    return grpc::SslCredentials(o);
  }

  TestCerts certs_;
};

// Execute print(1) on a fresh channel with `credentials`: the status, and the output
// when it ran. A refused handshake fails the call at once (no wait_for_ready).
grpc::Status RunOne(const std::string& address,
                    const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                    std::string* stdout_text, bool connect_first) {
  std::shared_ptr<grpc::Channel> channel =
      connect_first ? testing::ConnectedChannel(address, credentials)
                    : grpc::CreateChannel(address, credentials);
  auto stub = v1::Grader::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::ExecuteRequest req;
  req.set_code("print(1)");
  v1::ExecuteResponse resp;
  grpc::Status st = stub->Execute(&ctx, req, &resp);
  if (st.ok()) *stdout_text = resp.result().stdout();
  return st;
}

double CallsCounted(const ServerProcess& s) {
  return testing::MetricSum(testing::HttpGet(s.metrics_port(), "/metrics"),
                            "fathom_requests_total{");
}

TEST_F(ServeTlsTest, TlsServesClientsThatTrustItAndRefusesPlaintext) {
  auto server = Start({});
  ASSERT_NE(server, nullptr);
  std::string out;
  grpc::Status plain = RunOne(server->address(), grpc::InsecureChannelCredentials(), &out, false);
  EXPECT_EQ(plain.error_code(), grpc::StatusCode::UNAVAILABLE) << plain.error_message();
  grpc::Status untrusting = RunOne(server->address(), Tls("rogue-ca"), &out, false);
  EXPECT_EQ(untrusting.error_code(), grpc::StatusCode::UNAVAILABLE) << untrusting.error_message();
  EXPECT_EQ(CallsCounted(*server), 0) << "a refused connection reached the service";

  grpc::Status trusted = RunOne(server->address(), Tls("ca"), &out, true);
  ASSERT_TRUE(trusted.ok()) << trusted.error_message();
  EXPECT_EQ(out, "1\n");
  // Without --client-ca, a client certificate is neither asked for nor needed.
  ASSERT_TRUE(RunOne(server->address(), Tls("ca", "rogue-client"), &out, true).ok());
  EXPECT_EQ(CallsCounted(*server), 2);
  const std::vector<std::string> lines = server->LogLines();
  EXPECT_THAT(lines.front(), HasSubstr("\"tls\":\"tls\""));
  EXPECT_EQ(server->Stop(SIGTERM, std::chrono::seconds(30)), 0);
}

TEST_F(ServeTlsTest, MutualTlsServesOnlyClientsWithACertificateTheCaSigned) {
  auto server = Start({"--client-ca", certs_.Path("ca.pem")});
  ASSERT_NE(server, nullptr);
  std::string out;
  struct Refused {
    const char* who;
    std::shared_ptr<grpc::ChannelCredentials> credentials;
  };
  for (const Refused& r : {Refused{"plaintext", grpc::InsecureChannelCredentials()},
                           Refused{"no client certificate", Tls("ca")},
                           Refused{"a certificate the rogue CA signed", Tls("ca", "rogue-client")},
                           Refused{"a good client certificate, but a client that does not "
                                   "trust the server",
                                   Tls("rogue-ca", "client")}}) {
    grpc::Status st = RunOne(server->address(), r.credentials, &out, false);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << r.who << ": " << st.error_message();
  }
  EXPECT_EQ(CallsCounted(*server), 0) << "a refused connection reached the service";

  grpc::Status trusted = RunOne(server->address(), Tls("ca", "client"), &out, true);
  ASSERT_TRUE(trusted.ok()) << trusted.error_message();
  EXPECT_EQ(out, "1\n");
  EXPECT_EQ(CallsCounted(*server), 1);
  EXPECT_THAT(server->LogLines().front(), HasSubstr("\"tls\":\"mutual\""));
  EXPECT_EQ(server->Stop(SIGTERM, std::chrono::seconds(30)), 0);
}

// Kubernetes' grpc probes cannot present a certificate: --health-listen answers them in
// plaintext, and only them. Readiness ("" and fathom.v1.Grader) turns NOT_SERVING when
// the drain starts; "liveness" stays SERVING until the process exits, so a probe never
// restarts a replica that is finishing its calls.
TEST_F(ServeTlsTest, TheHealthPortAnswersProbesInPlaintextThroughTheDrain) {
  auto server = Start({"--client-ca", certs_.Path("ca.pem"), "--health-listen", "127.0.0.1:0",
                       "--grace", "60"});
  ASSERT_NE(server, nullptr);
  nlohmann::json listening = nlohmann::json::parse(server->LogLines().front());
  int health_port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(listening.value("health_port", ""), &health_port));
  ASSERT_GT(health_port, 0);
  auto health = grpc::health::v1::Health::NewStub(
      testing::ConnectedChannel(absl::StrCat("127.0.0.1:", health_port)));
  auto check = [&](const std::string& service) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    HealthStatus resp;
    grpc::Status st = health->Check(&ctx, req, &resp);
    return st.ok() ? resp.status() : HealthStatus::UNKNOWN;
  };
  EXPECT_EQ(check(""), HealthStatus::SERVING);
  EXPECT_EQ(check("fathom.v1.Grader"), HealthStatus::SERVING);
  EXPECT_EQ(check("liveness"), HealthStatus::SERVING);
  {  // the Grader is not on the health port
    auto stub = v1::Grader::NewStub(
        testing::ConnectedChannel(absl::StrCat("127.0.0.1:", health_port)));
    grpc::ClientContext ctx;
    v1::ListRuntimesRequest req;
    v1::ListRuntimesResponse resp;
    EXPECT_EQ(stub->ListRuntimes(&ctx, req, &resp).error_code(),
              grpc::StatusCode::UNIMPLEMENTED);
  }

  // A call in progress holds the drain open while the test reads the health port.
  auto channel = testing::ConnectedChannel(server->address(), Tls("ca", "client"));
  auto stub = v1::Grader::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  v1::ExecuteRequest req;
  // The sandbox has no view of the test's files: the program sleeps a bounded while
  // instead, long enough for the checks below on any machine, short enough to end.
  req.set_code("import time\ntime.sleep(3)\nprint('drained')\n");
  v1::ExecuteResponse resp;
  grpc::Status st;
  std::thread call([&] { st = stub->Execute(&ctx, req, &resp); });
  auto in_flight = [&] {
    return testing::MetricValue(testing::HttpGet(server->metrics_port(), "/metrics"),
                                "fathom_calls_in_flight") == 1;
  };
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!in_flight() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(in_flight());
  ASSERT_EQ(kill(server->pid(), SIGTERM), 0);
  HealthStatus::ServingStatus readiness = HealthStatus::SERVING;
  for (int i = 0; i < 1000 && readiness == HealthStatus::SERVING; ++i) {
    readiness = check("");
    if (readiness == HealthStatus::SERVING) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  call.join();
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.result().stdout(), "drained\n");
  EXPECT_EQ(server->Stop(0, std::chrono::seconds(60)), 0);
  // The readiness answer seen while the call ran; when the machine was so slow that the
  // call had ended first, the port may already be gone (UNKNOWN), never SERVING.
  EXPECT_NE(readiness, HealthStatus::SERVING);
}

// Each bad combination stops `fathom serve` at start (exit 2) with a message naming the
// flag and the file, before anything is probed or calibrated.
TEST_F(ServeTlsTest, BadTlsFlagsFailAtStartNamingTheFlagAndFile) {
  const std::string not_pem = TestDir("not.pem");
  {
    std::ofstream f(not_pem);
    f << "hello\n";
  }
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--tls-cert", certs_.Path("server.pem")}, "--tls-cert and --tls-key go together"},
      {{"--client-ca", certs_.Path("ca.pem")}, "--client-ca needs --tls-cert and --tls-key"},
      {{"--tls-cert", certs_.Path("server.pem"), "--tls-key", certs_.Path("client.key")},
       "--tls-key " + certs_.Path("client.key") + ": not the private key of the certificate in " +
           certs_.Path("server.pem")},
      {{"--tls-cert", certs_.Path("missing.pem"), "--tls-key", certs_.Path("server.key")},
       "--tls-cert " + certs_.Path("missing.pem") + ": cannot read it"},
      {{"--tls-cert", not_pem, "--tls-key", certs_.Path("server.key")},
       "--tls-cert " + not_pem + ": no PEM certificate"},
      {{"--tls-cert", certs_.Path("server.pem"), "--tls-key", certs_.Path("server.pem")},
       ": no unencrypted PEM private key in it"},
      {{"--tls-cert", certs_.Path("server.pem"), "--tls-key", certs_.Path("server.key"),
        "--client-ca", not_pem},
       "--client-ca " + not_pem + ": no PEM certificate"},
  };
  const std::string log = TestDir("serve.log");
  for (const Case& c : cases) {
    std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:0", "--metrics-listen",
                                     "off"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const pid_t pid = e2e::StartFathom(args, log);
    EXPECT_EQ(e2e::WaitExit(pid), 2) << c.message;
    EXPECT_THAT(e2e::ReadFile(log), HasSubstr(c.message));
  }
  std::filesystem::remove(not_pem);
  std::filesystem::remove(log);
}

}  // namespace
}  // namespace fathom
