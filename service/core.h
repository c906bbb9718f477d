// The service's core: what every call of fathom.v1.Grader does, without gRPC. The gRPC
// adapter (grader_service.cc) turns calls into Core / GradeSession calls and their
// absl::Status into grpc::Status; tests drive the core directly with a fake Runner.
//
// Limits: a request's limits are capped by the runtime's server limits (the server's
// `--limit`s are the ceiling; 0 in a request means the server's value), then by the time
// left before the call's deadline (CPU and wall). In Grade, a served problem set with
// calibrated per-task CPU limits (as `fathom grade --time-limit auto`) puts its task's
// limit in place of the runtime's CPU ceiling; a sample graded in I/O mode gets the limit
// `fathom grade` gives it (IoRunLimits) in that place instead.
//
// Thread safety: a Core is immutable after construction and may be used by every call at
// once. A GradeSession is one call's state; its members may be called from any thread.
#ifndef FATHOM_SERVICE_CORE_H_
#define FATHOM_SERVICE_CORE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "fathom/v1/grader.pb.h"
#include "grader/formats/extract.h"
#include "grader/formats/problems.h"
#include "grader/pipeline/grading_plan.h"
#include "grader/pipeline/pass_at_k.h"
#include "grader/pipeline/result_cache.h"
#include "grader/pipeline/runtime_context.h"
#include "grader/pipeline/sample_grader.h"
#include "grader/pipeline/summary.h"
#include "grader/pipeline/verdict.h"
#include "grader/policy/policy.h"
#include "sandbox/run_spec.h"
#include "sandbox/sandbox.h"
#include "sandbox/zygote.h"
#include "service/metrics.h"
#include "service/run_queue.h"

namespace fathom::service {

namespace v1 = ::fathom::v1;
using Deadline = std::chrono::system_clock::time_point;

// A runtime the server offers, prepared once at start.
struct ServedRuntime {
  grader::PreparedRuntime prepared;  // its Policy outlives the Core
  std::string interpreter_version;
  grader::RuntimeContext context;
  sandbox::Limits limits;  // the ceiling for requests, and their defaults
  std::vector<std::string> layers;
};

struct ServedProblemSet {
  std::string name;
  grader::ProblemSet set;
  // What the grading setup (grader/pipeline/grading_plan.h) found at start: per-task CPU
  // limits (empty: every task gets the grading runtime's cpu_time_ms), how they were
  // chosen (ListProblemSets), and I/O mode's expected outputs for the tasks with inputs
  // (empty `io.oracles`: none were built, as under --mode assert).
  grader::GradingSetup setup;
  // The runtime `setup` was measured with ("": the grading runtime); a Grade in another
  // runtime gets no setup (the runtime's limits, assert mode).
  std::string runtime;
};

struct CoreOptions {
  // Names ExecuteRequest.env may set.
  std::vector<std::string> env_allow = {"LANG", "LC_ALL", "TZ"};
  // Content-addressed verdict cache kept across calls and restarts (empty: none).
  std::string cache_dir;
  // The runtime Grade uses (its harness is Python).
  std::string grade_runtime = "python";
  // Grade's mode when a request leaves it empty (`--mode`), and I/O mode's settings
  // (`--test-details`, `--min-time-limit`, `--gt-time-limit-factor`), as `fathom grade`'s.
  grader::GradeMode mode = grader::GradeMode::kAuto;
  grader::IoSettings io_settings;
  // I/O mode: the run's CPU limit is the runtime's cpu_time_ms as given (`--timeout`),
  // not derived from the per-input limits.
  bool io_fixed_cpu = false;
  // How the runner runs programs, for GradeSummary.runner ("warm zygotes (2)", ...).
  std::string runner_description;
  // The runner's zygote statistics (GradeSummary.zygote); null when it has no zygotes.
  // Called from any thread.
  std::function<sandbox::ZygoteStats()> zygote_stats;
};

// Request limits capped by `server` and by the time left before `deadline`;
// InvalidArgument names the field ("limits.cpu_time_ms: ..."), DeadlineExceeded when no
// time is left.
absl::StatusOr<sandbox::Limits> CapLimits(const v1::Limits& requested,
                                          const sandbox::Limits& server, Deadline deadline);

void LimitsToProto(const sandbox::Limits& limits, v1::Limits* out);

class Core {
 public:
  // `runner`, `queue` and `metrics` must outlive the Core. InvalidArgument when the
  // cache directory cannot be used or grade_runtime is not among `runtimes`.
  static absl::StatusOr<std::unique_ptr<Core>> Create(
      CoreOptions options, std::vector<ServedRuntime> runtimes,
      std::vector<ServedProblemSet> problem_sets, sandbox::Runner& runner, RunQueue& queue,
      Metrics& metrics);

  // Validates `request` and queues its run for `tenant` (whose token the run carries).
  // On OK, `done` is called exactly once from a worker thread: with the response, or
  // Cancelled when the tenant was cancelled, or the runner's error. On error nothing was
  // queued and `done` is never called.
  absl::Status StartExecute(const v1::ExecuteRequest& request, Deadline deadline,
                            const std::shared_ptr<Tenant>& tenant,
                            std::function<void(absl::StatusOr<v1::ExecuteResponse>)> done);

  absl::Status PassAtK(const v1::PassAtKRequest& request, v1::PassAtKResponse* response) const;
  void ListRuntimes(v1::ListRuntimesResponse* response) const;
  void ListProblemSets(v1::ListProblemSetsResponse* response) const;
  absl::Status GetProblems(const v1::GetProblemsRequest& request,
                           v1::GetProblemsResponse* response) const;

  // NotFound names the set.
  absl::StatusOr<const grader::ProblemSet*> FindProblemSet(const std::string& name) const;
  // The served set called `name`, with its time limits; null when there is none.
  const ServedProblemSet* FindServedSet(const std::string& name) const;
  // NotFound lists the known runtimes.
  absl::StatusOr<const ServedRuntime*> FindRuntime(const std::string& name) const;

  // The injected runner, wrapped so that every run is counted in the metrics.
  sandbox::Runner& runner() const { return *metered_; }
  RunQueue& queue() const { return queue_; }
  Metrics& metrics() const { return metrics_; }
  const grader::DiskCache* cache() const { return cache_ ? &*cache_ : nullptr; }
  const CoreOptions& options() const { return options_; }

 private:
  Core(CoreOptions options, std::vector<ServedRuntime> runtimes,
       std::vector<ServedProblemSet> problem_sets, sandbox::Runner& runner, RunQueue& queue,
       Metrics& metrics);

  const CoreOptions options_;
  const std::vector<ServedRuntime> runtimes_;
  const std::vector<ServedProblemSet> problem_sets_;
  std::unique_ptr<sandbox::Runner> metered_;
  RunQueue& queue_;
  Metrics& metrics_;
  std::optional<grader::DiskCache> cache_;
};

// One Grade or GradeStream call: validates batches, builds each sample's program, grades
// identical programs once per call (and reads/writes the disk cache), queues the runs and
// hands each verdict to the Sink as it is decided.
class GradeSession : public std::enable_shared_from_this<GradeSession> {
 public:
  // Where results go. Both members may be called from any thread, never with the
  // session's lock held, and must not block for long.
  class Sink {
   public:
    virtual ~Sink() = default;
    virtual void OnResult(v1::GradeResponse response) = 0;
    // outstanding() reached 0 (may be called more than once, and spuriously).
    virtual void OnIdle() = 0;
  };

  // `core` must outlive the session; the session keeps `sink` alive.
  GradeSession(const Core& core, std::shared_ptr<Tenant> tenant, std::shared_ptr<Sink> sink,
               Deadline deadline);

  // Validates the whole batch (InvalidArgument / NotFound name the field, and nothing is
  // queued), then queues its runs. `on_queued` null: Grade's all-or-nothing Submit
  // (ResourceExhausted when the queue is full). Otherwise (GradeStream) a batch that does
  // not fit waits for room and `on_queued` runs once it is queued.
  absl::Status AddBatch(const v1::GradeRequest& request, std::function<void()> on_queued);

  // Samples accepted whose results were not handed to the sink yet.
  int64_t outstanding() const;
  // Over every result handed out so far.
  v1::GradeSummary Summary() const;

  // For the call's log line.
  struct Stats {
    std::set<std::string> problem_sets;
    int64_t samples = 0;
    std::map<std::string, int64_t> statuses;
  };
  Stats stats() const;

 private:
  struct Waiter {
    int64_t batch = 0;
    int64_t index = 0;
    std::string task_id;
    std::string completion_id;
    std::string problem_set;
    size_t problem_index = 0;  // in its problem set: the summary lists tasks in that order
    int64_t cpu_limit_ms = 0;  // the limit it is graded under (part of its program key)
  };
  using Dedup = grader::DedupTable<Waiter>;

  // A run finished (worker_id >= 0) or was dropped (-1).
  void OnRunDone(const std::string& key, Waiter first, grader::Verdict verdict, int worker_id);
  // Records and returns the result message for `w`. REQUIRES: mu_ held.
  v1::GradeResponse ResultLocked(const Waiter& w, const grader::Verdict& v, int worker_id);
  // Hands `results` to the sink, then counts `completed` samples as done.
  void Deliver(std::vector<v1::GradeResponse> results, int64_t completed);

  const Core& core_;
  const std::shared_ptr<Tenant> tenant_;
  const std::shared_ptr<Sink> sink_;
  const Deadline deadline_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();

  mutable std::mutex mu_;
  Dedup dedup_;                                             // GUARDED_BY(mu_)
  int64_t next_batch_ = 0;                                  // GUARDED_BY(mu_)
  int64_t outstanding_ = 0;                                 // GUARDED_BY(mu_)
  std::vector<int64_t> ks_;                                 // GUARDED_BY(mu_)
  // (problem set, problem index, task_id) -> counts: problem order, as `fathom grade`
  // averages pass@k (the sum's order decides its last bits). `base` counts a pass of the
  // base inputs in I/O mode and a pass in assert mode.
  struct Counts {
    grader::TaskCount all, base;
  };
  std::map<std::tuple<std::string, size_t, std::string>, Counts> tasks_;  // GUARDED_BY(mu_)
  std::set<std::tuple<std::string, std::string, std::string>> completion_ids_;  // GUARDED_BY
  std::map<std::string, int64_t> status_counts_;            // GUARDED_BY(mu_)
  std::set<std::string> problem_set_names_;                 // GUARDED_BY(mu_)
  int64_t samples_ = 0, ran_ = 0, cache_hits_ = 0;          // GUARDED_BY(mu_)
  int64_t io_samples_ = 0;                                  // GUARDED_BY(mu_)
};

}  // namespace fathom::service

#endif  // FATHOM_SERVICE_CORE_H_
