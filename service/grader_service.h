// The gRPC adapter: fathom.v1.Grader on gRPC's callback API. Thin: each method validates
// nothing itself, hands the request to the Core (or a GradeSession), maps absl::Status to
// grpc::Status, and records the call (metrics + one JSON log line) when it finishes.
//
// Calls never hold a thread while their runs wait or run: runs go through the Core's
// RunQueue, results come back on its workers and are written one at a time per call.
// A cancelled call (client gone, deadline passed, server shutting down) cancels its
// Tenant: its runs are killed at once and its queued runs dropped.
//
// Thread safety: gRPC calls the methods from its threads; StartDrain and
// calls_in_flight from any thread.
#ifndef FATHOM_SERVICE_GRADER_SERVICE_H_
#define FATHOM_SERVICE_GRADER_SERVICE_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "fathom/v1/grader.grpc.pb.h"
#include "service/call_log.h"
#include "service/core.h"

namespace fathom::service {

// absl::Status -> grpc::Status (the codes share their numbering).
grpc::Status ToGrpcStatus(const absl::Status& status);
// "OK", "INVALID_ARGUMENT", ...
std::string GrpcCodeName(grpc::StatusCode code);

class DrainableStream;  // grader_service.cc

class GraderService final : public v1::Grader::CallbackService {
 public:
  // `core` and `log` must outlive the service.
  GraderService(Core& core, CallLog& log) : core_(core), log_(log) {}

  // From now on new calls get UNAVAILABLE; open GradeStreams stop reading, deliver the
  // results of the batches they accepted and end (UNAVAILABLE unless the client had
  // half-closed, then normally). Calls in progress otherwise go on. Idempotent.
  void StartDrain();
  bool draining() const { return draining_.load(); }
  int64_t calls_in_flight() const { return calls_in_flight_.load(); }

  grpc::ServerUnaryReactor* Execute(grpc::CallbackServerContext* context,
                                    const v1::ExecuteRequest* request,
                                    v1::ExecuteResponse* response) override;
  grpc::ServerWriteReactor<v1::GradeResponse>* Grade(grpc::CallbackServerContext* context,
                                                     const v1::GradeRequest* request) override;
  grpc::ServerBidiReactor<v1::GradeRequest, v1::GradeResponse>* GradeStream(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* PassAtK(grpc::CallbackServerContext* context,
                                    const v1::PassAtKRequest* request,
                                    v1::PassAtKResponse* response) override;
  grpc::ServerUnaryReactor* ListRuntimes(grpc::CallbackServerContext* context,
                                         const v1::ListRuntimesRequest* request,
                                         v1::ListRuntimesResponse* response) override;
  grpc::ServerUnaryReactor* ListProblemSets(grpc::CallbackServerContext* context,
                                            const v1::ListProblemSetsRequest* request,
                                            v1::ListProblemSetsResponse* response) override;
  grpc::ServerUnaryReactor* GetProblems(grpc::CallbackServerContext* context,
                                        const v1::GetProblemsRequest* request,
                                        v1::GetProblemsResponse* response) override;

  // Internal (the reactors in grader_service.cc): call bookkeeping.
  Core& core() { return core_; }
  void CallStarted() { calls_in_flight_.fetch_add(1); }
  void CallEnded() { calls_in_flight_.fetch_sub(1); }
  void Record(CallRecord record);
  void RegisterStream(const std::shared_ptr<DrainableStream>& stream);

 private:
  // A unary call answered at once.
  grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context, const char* method,
                                   const absl::Status& status);

  Core& core_;
  CallLog& log_;
  std::atomic<bool> draining_{false};
  std::atomic<int64_t> calls_in_flight_{0};
  std::mutex streams_mu_;
  std::vector<std::weak_ptr<DrainableStream>> streams_;  // GUARDED_BY(streams_mu_)
};

}  // namespace fathom::service

#endif  // FATHOM_SERVICE_GRADER_SERVICE_H_
