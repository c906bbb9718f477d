// fathom.v1.Grader on gRPC's callback API: one reactor per call.
#include "service/grader_service.h"

#include <chrono>
#include <deque>

#include "absl/strings/str_cat.h"

namespace fathom::service {

// A GradeStream that the drain must reach.
class DrainableStream {
 public:
  virtual ~DrainableStream() = default;
  virtual void OnDrain() = 0;
};

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kCodeNames[] = {
    "OK",        "CANCELLED",         "UNKNOWN",        "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS",    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",   "UNIMPLEMENTED",    "INTERNAL",
    "UNAVAILABLE", "DATA_LOSS",       "UNAUTHENTICATED"};

const grpc::Status kDraining(grpc::StatusCode::UNAVAILABLE,
                             "the server is draining (SIGTERM): send this call to another replica");

// What every call records when it ends.
struct CallInfo {
  CallInfo(const char* method, grpc::CallbackServerContext* context)
      : method(method), peer(context->peer()), deadline(context->deadline()) {}

  CallRecord Record(const grpc::Status& status) const {
    CallRecord r;
    r.method = method;
    r.peer = peer;
    grpc::StatusCode code = status.error_code();
    // gRPC reports a call whose deadline passed as cancelled on the server side.
    if (code == grpc::StatusCode::CANCELLED && std::chrono::system_clock::now() >= deadline) {
      code = grpc::StatusCode::DEADLINE_EXCEEDED;
    }
    r.code = GrpcCodeName(code);
    r.message = status.error_message();
    r.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    return r;
  }

  const char* method;
  std::string peer;
  Deadline deadline;
  Clock::time_point start = Clock::now();
};

// The write side of a streaming Grade call, shared by the call's reactor and its
// GradeSession: queues results, writes them one at a time, then the summary, and
// finishes the call once nothing is outstanding. Holds the reactor by pointer and never
// touches it after finishing it (the reactor deletes itself in OnDone, after Finish).
template <typename Reactor>
class Outbox final : public GradeSession::Sink, public DrainableStream {
 public:
  explicit Outbox(Reactor* reactor) : reactor_(reactor) {}

  // Before any other member.
  void SetSession(std::shared_ptr<GradeSession> session) { session_ = std::move(session); }

  void OnResult(v1::GradeResponse response) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_ || broken_) return;
      queue_.push_back(std::move(response));
    }
    Pump();
  }
  void OnIdle() override { Pump(); }
  void OnDrain() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      draining_ = true;
    }
    Pump();
  }
  void WriteDone(bool ok) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      writing_ = false;
      if (!ok) broken_ = true;
    }
    Pump();
  }
  // No more batches will come (Grade: from the start; GradeStream: the client half-closed).
  void InputDone() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      input_done_ = true;
    }
    Pump();
  }
  // The call ends with `status` once the results of accepted batches are written.
  void Fail(const grpc::Status& status) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!failed_) error_ = status;
      failed_ = true;
    }
    Pump();
  }
  // The client is gone (cancelled, deadline passed, a write failed): write nothing more.
  void Broken() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      broken_ = true;
      queue_.clear();
    }
    Pump();
  }
  // GradeStream: reads the next batch unless the stream is ending.
  void RequestRead() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_ || broken_ || failed_ || draining_ || input_done_) return;
      starting_read_ = true;
    }
    reactor_->StartRead(reactor_->request());
    {
      std::lock_guard<std::mutex> lock(mu_);
      starting_read_ = false;
    }
    Pump();
  }

 private:
  void Pump() {
    enum class Action { kNone, kWrite, kFinish } action = Action::kNone;
    grpc::Status status;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_ || writing_ || starting_read_) return;
      if (!broken_ && !queue_.empty()) {
        current_ = std::move(queue_.front());
        queue_.pop_front();
        action = Action::kWrite;
      } else if (session_->outstanding() == 0 &&
                 (input_done_ || failed_ || broken_ || draining_)) {
        if (broken_) {
          status = grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled");
          action = Action::kFinish;
        } else if (failed_) {
          status = error_;
          action = Action::kFinish;
        } else if (input_done_ && !summary_sent_) {
          summary_sent_ = true;
          current_.Clear();
          *current_.mutable_summary() = session_->Summary();
          action = Action::kWrite;
        } else if (input_done_) {
          action = Action::kFinish;
        } else {
          status = kDraining;
          action = Action::kFinish;
        }
      }
      if (action == Action::kWrite) writing_ = true;
      if (action == Action::kFinish) finished_ = true;
    }
    if (action == Action::kWrite) reactor_->StartWrite(&current_);
    if (action == Action::kFinish) reactor_->End(status);
  }

  Reactor* const reactor_;
  std::shared_ptr<GradeSession> session_;
  std::mutex mu_;
  std::deque<v1::GradeResponse> queue_;  // GUARDED_BY(mu_)
  v1::GradeResponse current_;            // being written; GUARDED_BY(writing_)
  grpc::Status error_;                   // GUARDED_BY(mu_)
  bool writing_ = false, starting_read_ = false, finished_ = false;  // GUARDED_BY(mu_)
  bool input_done_ = false, failed_ = false, broken_ = false, draining_ = false;
  bool summary_sent_ = false;
};

void AddSessionStats(const GradeSession& session, CallRecord* r) {
  GradeSession::Stats s = session.stats();
  r->problem_sets = std::move(s.problem_sets);
  r->samples = s.samples;
  r->statuses = std::move(s.statuses);
}

class ExecuteCall final : public grpc::ServerUnaryReactor {
 public:
  ExecuteCall(GraderService* service, grpc::CallbackServerContext* context,
              const v1::ExecuteRequest* request, v1::ExecuteResponse* response)
      : service_(service), info_("Execute", context), response_(response) {
    service_->CallStarted();
    runtime_ = request->runtime().empty() ? "python" : request->runtime();
    if (service_->draining()) {
      End(kDraining);
      return;
    }
    absl::StatusOr<std::shared_ptr<Tenant>> tenant = service_->core().queue().NewTenant();
    if (!tenant.ok()) {
      End(ToGrpcStatus(tenant.status()));
      return;
    }
    tenant_ = *tenant;
    absl::Status s = service_->core().StartExecute(
        *request, context->deadline(), tenant_,
        [this](absl::StatusOr<v1::ExecuteResponse> r) {
          if (!r.ok()) {
            End(ToGrpcStatus(r.status()));
            return;
          }
          *response_ = *std::move(r);
          run_status_ = response_->result().status();
          End(grpc::Status::OK);
        });
    if (!s.ok()) End(ToGrpcStatus(s));
  }

  void OnCancel() override {
    if (tenant_) tenant_->Cancel();
  }
  void OnDone() override {
    service_->CallEnded();
    delete this;
  }

 private:
  void End(const grpc::Status& status) {
    CallRecord r = info_.Record(status);
    r.runtime = runtime_;
    if (!run_status_.empty()) r.statuses[run_status_] = 1;
    service_->Record(std::move(r));
    Finish(status);
  }

  GraderService* const service_;
  const CallInfo info_;
  v1::ExecuteResponse* const response_;
  std::string runtime_;
  std::string run_status_;
  std::shared_ptr<Tenant> tenant_;
};

// What Grade and GradeStream share: the tenant, the outbox, the session, and how the
// call ends. `Reactor` is the final class (CRTP), `Base` its gRPC reactor type.
template <typename Reactor, typename Base>
class GradeCallBase : public Base {
 public:
  // Called by the outbox once nothing is outstanding.
  void End(const grpc::Status& status) {
    CallRecord r = info_.Record(status);
    if (session_) AddSessionStats(*session_, &r);
    service_->Record(std::move(r));
    this->Finish(status);
  }
  void OnWriteDone(bool ok) override { outbox_->WriteDone(ok); }
  void OnCancel() override {
    if (outbox_) outbox_->Broken();
    if (tenant_) tenant_->Cancel();
  }
  void OnDone() override {
    service_->CallEnded();
    delete static_cast<Reactor*>(this);
  }

 protected:
  GradeCallBase(GraderService* service, grpc::CallbackServerContext* context,
                const char* method)
      : service_(service), info_(method, context) {
    service_->CallStarted();
  }
  // Makes the tenant, outbox and session; false when the call had to end at once. On
  // true, a draining server has already failed the call (the outbox ends it).
  bool Begin(Deadline deadline) {
    absl::StatusOr<std::shared_ptr<Tenant>> tenant = service_->core().queue().NewTenant();
    if (!tenant.ok()) {
      End(ToGrpcStatus(tenant.status()));
      return false;
    }
    tenant_ = *tenant;
    outbox_ = std::make_shared<Outbox<Reactor>>(static_cast<Reactor*>(this));
    session_ = std::make_shared<GradeSession>(service_->core(), tenant_, outbox_, deadline);
    outbox_->SetSession(session_);
    if (service_->draining()) outbox_->Fail(kDraining);
    return true;
  }

  GraderService* const service_;
  const CallInfo info_;
  std::shared_ptr<Tenant> tenant_;
  std::shared_ptr<Outbox<Reactor>> outbox_;
  std::shared_ptr<GradeSession> session_;
};

class GradeCall final
    : public GradeCallBase<GradeCall, grpc::ServerWriteReactor<v1::GradeResponse>> {
 public:
  GradeCall(GraderService* service, grpc::CallbackServerContext* context,
            const v1::GradeRequest* request)
      : GradeCallBase(service, context, "Grade") {
    if (!Begin(context->deadline())) return;
    if (!service_->draining()) {
      if (absl::Status s = session_->AddBatch(*request, nullptr); !s.ok()) {
        outbox_->Fail(ToGrpcStatus(s));
      }
    }
    outbox_->InputDone();
  }
};

class GradeStreamCall final
    : public GradeCallBase<GradeStreamCall,
                           grpc::ServerBidiReactor<v1::GradeRequest, v1::GradeResponse>> {
 public:
  GradeStreamCall(GraderService* service, grpc::CallbackServerContext* context)
      : GradeCallBase(service, context, "GradeStream") {
    if (!Begin(context->deadline()) || service_->draining()) return;
    service_->RegisterStream(outbox_);
    outbox_->RequestRead();
  }

  v1::GradeRequest* request() { return &request_; }

  void OnReadDone(bool ok) override {
    if (!ok) {
      outbox_->InputDone();
      return;
    }
    if (service_->draining()) {
      outbox_->Fail(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                 "the server is draining (SIGTERM): this batch and later ones "
                                 "were not graded; send them to another replica"));
      return;
    }
    // on_queued may run before AddBatch returns: AddBatch reads the request first.
    absl::Status s = session_->AddBatch(request_, [outbox = outbox_] { outbox->RequestRead(); });
    if (!s.ok()) outbox_->Fail(ToGrpcStatus(s));
  }

 private:
  v1::GradeRequest request_;
};

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

std::string GrpcCodeName(grpc::StatusCode code) {
  auto i = static_cast<size_t>(code);
  return i < std::size(kCodeNames) ? kCodeNames[i] : absl::StrCat("CODE_", i);
}

void GraderService::StartDrain() {
  if (draining_.exchange(true)) return;
  std::vector<std::shared_ptr<DrainableStream>> open;
  {
    std::lock_guard<std::mutex> lock(streams_mu_);
    for (const auto& w : streams_) {
      if (auto s = w.lock()) open.push_back(std::move(s));
    }
    streams_.clear();
  }
  for (const auto& s : open) s->OnDrain();
}

void GraderService::Record(CallRecord record) {
  core_.metrics().CountRequest(record.method, record.code);
  log_.Write(record);
}

void GraderService::RegisterStream(const std::shared_ptr<DrainableStream>& stream) {
  {
    std::lock_guard<std::mutex> lock(streams_mu_);
    std::erase_if(streams_, [](const std::weak_ptr<DrainableStream>& w) { return w.expired(); });
    streams_.push_back(stream);
  }
  // A drain that started while this stream was being set up has not seen it.
  if (draining()) stream->OnDrain();
}

grpc::ServerUnaryReactor* GraderService::Answer(grpc::CallbackServerContext* context,
                                                const char* method, const absl::Status& status) {
  grpc::Status g = draining() ? kDraining : ToGrpcStatus(status);
  Record(CallInfo(method, context).Record(g));
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(g);
  return reactor;
}

grpc::ServerUnaryReactor* GraderService::Execute(grpc::CallbackServerContext* context,
                                                 const v1::ExecuteRequest* request,
                                                 v1::ExecuteResponse* response) {
  return new ExecuteCall(this, context, request, response);
}

grpc::ServerWriteReactor<v1::GradeResponse>* GraderService::Grade(
    grpc::CallbackServerContext* context, const v1::GradeRequest* request) {
  return new GradeCall(this, context, request);
}

grpc::ServerBidiReactor<v1::GradeRequest, v1::GradeResponse>* GraderService::GradeStream(
    grpc::CallbackServerContext* context) {
  return new GradeStreamCall(this, context);
}

grpc::ServerUnaryReactor* GraderService::PassAtK(grpc::CallbackServerContext* context,
                                                 const v1::PassAtKRequest* request,
                                                 v1::PassAtKResponse* response) {
  return Answer(context, "PassAtK", core_.PassAtK(*request, response));
}

grpc::ServerUnaryReactor* GraderService::ListRuntimes(grpc::CallbackServerContext* context,
                                                      const v1::ListRuntimesRequest*,
                                                      v1::ListRuntimesResponse* response) {
  core_.ListRuntimes(response);
  return Answer(context, "ListRuntimes", absl::OkStatus());
}

grpc::ServerUnaryReactor* GraderService::ListProblemSets(grpc::CallbackServerContext* context,
                                                         const v1::ListProblemSetsRequest*,
                                                         v1::ListProblemSetsResponse* response) {
  core_.ListProblemSets(response);
  return Answer(context, "ListProblemSets", absl::OkStatus());
}

grpc::ServerUnaryReactor* GraderService::GetProblems(grpc::CallbackServerContext* context,
                                                     const v1::GetProblemsRequest* request,
                                                     v1::GetProblemsResponse* response) {
  return Answer(context, "GetProblems", core_.GetProblems(*request, response));
}

}  // namespace fathom::service
