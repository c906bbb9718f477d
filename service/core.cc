// The service core: request validation, limits, Execute, the Grade session, and the
// small listing RPCs.
#include "service/core.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grader/formats/utf8.h"
#include "grader/pipeline/compile_cache.h"
#include "grader/pipeline/language.h"
#include "nlohmann/json.hpp"

namespace fathom::service {
namespace {

using Clock = std::chrono::steady_clock;

// Deadlines further away than this are "none" (gRPC reports no deadline as the far future).
constexpr auto kNoDeadline = std::chrono::hours(24 * 365);

constexpr int64_t kDefaultPageSize = 100;
constexpr int64_t kMaxPageSize = 1000;

// Counts every run in the metrics: by runtime (from the interpreter path), status and
// wall time. A cancelled run counts as "cancelled", a runner error as "sandbox_error".
class MeteredRunner final : public sandbox::Runner {
 public:
  MeteredRunner(sandbox::Runner& inner, Metrics& metrics,
                std::map<std::string, std::string> runtime_by_interpreter)
      : inner_(inner), metrics_(metrics), runtime_by_interpreter_(std::move(runtime_by_interpreter)) {}

  absl::StatusOr<sandbox::RunResult> Run(const sandbox::RunSpec& spec) override {
    const auto start = Clock::now();
    absl::StatusOr<sandbox::RunResult> r = inner_.Run(spec);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::string status = r.ok()                                              ? std::string(sandbox::RunStatusName(r->status))
                         : r.status().code() == absl::StatusCode::kCancelled ? "cancelled"
                                                                             : "sandbox_error";
    auto it = spec.argv.empty() ? runtime_by_interpreter_.end()
                                : runtime_by_interpreter_.find(spec.argv[0]);
    metrics_.CountRun(it == runtime_by_interpreter_.end() ? "other" : it->second, status,
                      seconds);
    return r;
  }
  sandbox::LayerSet active_layers() const override { return inner_.active_layers(); }

 private:
  sandbox::Runner& inner_;
  Metrics& metrics_;
  const std::map<std::string, std::string> runtime_by_interpreter_;
};

bool HasDeadline(Deadline d) {
  return d < std::chrono::system_clock::now() + kNoDeadline;
}

bool IsPlainFileName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

void RunResultToProto(const sandbox::RunResult& r, v1::RunResult* out) {
  out->set_status(std::string(sandbox::RunStatusName(r.status)));
  out->set_exit_code(r.exit_code);
  out->set_signal(r.signal);
  out->set_syscall(r.syscall);
  out->set_syscall_name(r.syscall_name);
  out->set_stdout(r.stdout_data);
  out->set_stderr(r.stderr_data);
  out->set_stdout_truncated(r.stdout_truncated);
  out->set_stderr_truncated(r.stderr_truncated);
  out->set_cpu_ms(r.cpu_ms);
  out->set_wall_ms(r.wall_ms);
  out->set_max_rss_kb(r.max_rss_kb);
  for (const std::string& l : r.layers.Names()) out->add_layers(l);
}

absl::StatusOr<std::vector<int64_t>> Ks(const google::protobuf::RepeatedField<int64_t>& ks) {
  if (ks.empty()) return std::vector<int64_t>{1, 10, 100};
  std::vector<int64_t> out;
  for (int i = 0; i < ks.size(); ++i) {
    if (ks[i] < 1) {
      return absl::InvalidArgumentError(absl::StrCat("ks[", i, "]: must be at least 1"));
    }
    if (std::find(out.begin(), out.end(), ks[i]) == out.end()) out.push_back(ks[i]);
  }
  return out;
}

void PassAtKToProto(const std::vector<std::pair<int64_t, double>>& values,
                    google::protobuf::RepeatedPtrField<v1::PassAtKValue>* out) {
  for (const auto& [k, v] : values) {
    v1::PassAtKValue* p = out->Add();
    p->set_k(k);
    p->set_value(v);
  }
}

// The request's problems: its inline_problems, parsed into *inline_set, or the served
// set it names. InvalidArgument / NotFound name the field.
absl::StatusOr<const grader::ProblemSet*> RequestProblems(const Core& core,
                                                          const v1::GradeRequest& request,
                                                          grader::ProblemSet* inline_set) {
  if (request.inline_problems_size() > 0) {
    if (!request.problem_set().empty()) {
      return absl::InvalidArgumentError(
          "problem_set, inline_problems: give one of them, not both");
    }
    for (int i = 0; i < request.inline_problems_size(); ++i) {
      const std::string where = absl::StrCat("inline_problems[", i, "]");
      nlohmann::json j = nlohmann::json::parse(request.inline_problems(i), nullptr, false);
      if (j.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(where, ": not JSON"));
      absl::StatusOr<grader::Problem> p = grader::ParseProblem(j, where);
      if (!p.ok()) return p.status();
      if (!inline_set->by_id.emplace(p->task_id, inline_set->problems.size()).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".task_id: '", p->task_id, "' is given twice"));
      }
      inline_set->problems.push_back(*std::move(p));
    }
    return inline_set;
  }
  if (request.problem_set().empty()) {
    return absl::InvalidArgumentError("problem_set: required (or inline_problems)");
  }
  return core.FindProblemSet(request.problem_set());
}

}  // namespace

absl::StatusOr<sandbox::Limits> CapLimits(const v1::Limits& requested,
                                          const sandbox::Limits& server, Deadline deadline) {
  sandbox::Limits out = server;
  const struct {
    const char* name;
    int64_t value;
    int64_t ceiling;
  } fields[] = {
      {"cpu_time_ms", requested.cpu_time_ms(), server.cpu_time_ms},
      {"wall_time_ms", requested.wall_time_ms(), server.EffectiveWallTimeMs()},
      {"memory_bytes", requested.memory_bytes(), server.memory_bytes},
      {"max_output_bytes", requested.max_output_bytes(), server.max_output_bytes},
      {"max_processes", requested.max_processes(), server.max_processes},
      {"max_file_bytes", requested.max_file_bytes(), server.max_file_bytes},
      {"max_open_files", requested.max_open_files(), server.max_open_files},
      {"tmpfs_bytes", requested.tmpfs_bytes(), server.tmpfs_bytes},
      {"stack_bytes", requested.stack_bytes(), server.stack_bytes},
  };
  for (const auto& f : fields) {
    if (f.value < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("limits.", f.name, ": ", f.value, " is negative (0: the server's value)"));
    }
    if (f.value == 0 || f.value >= f.ceiling) continue;
    if (absl::Status s = sandbox::SetLimit(out, f.name, absl::StrCat(f.value)); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("limits.", f.name, ": ", s.message()));
    }
  }
  if (HasDeadline(deadline)) {
    const int64_t left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                deadline - std::chrono::system_clock::now())
                                .count();
    if (left_ms <= 0) return absl::DeadlineExceededError("the call's deadline has passed");
    // Only a tighter deadline changes the limits (they are part of cache keys).
    if (left_ms < out.EffectiveWallTimeMs()) out.wall_time_ms = left_ms;
    out.cpu_time_ms = std::min(out.cpu_time_ms, left_ms);
  }
  return out;
}

void LimitsToProto(const sandbox::Limits& l, v1::Limits* out) {
  out->set_cpu_time_ms(l.cpu_time_ms);
  out->set_wall_time_ms(l.EffectiveWallTimeMs());
  out->set_memory_bytes(l.memory_bytes);
  out->set_max_output_bytes(l.max_output_bytes);
  out->set_max_processes(l.max_processes);
  out->set_max_file_bytes(l.max_file_bytes);
  out->set_max_open_files(l.max_open_files);
  out->set_tmpfs_bytes(l.tmpfs_bytes);
  out->set_stack_bytes(l.stack_bytes);
}

// ----------------------------------------------------------------------------- Core

absl::StatusOr<std::unique_ptr<Core>> Core::Create(CoreOptions options,
                                                   std::vector<ServedRuntime> runtimes,
                                                   std::vector<ServedProblemSet> problem_sets,
                                                   sandbox::Runner& runner, RunQueue& queue,
                                                   Metrics& metrics) {
  auto core = std::unique_ptr<Core>(new Core(std::move(options), std::move(runtimes),
                                             std::move(problem_sets), runner, queue, metrics));
  if (absl::StatusOr<const ServedRuntime*> rt = core->FindRuntime(core->options_.grade_runtime);
      !rt.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("grading needs a runtime: ", rt.status().message()));
  }
  if (!core->options_.cache_dir.empty()) {
    absl::StatusOr<grader::DiskCache> cache = grader::DiskCache::Open(core->options_.cache_dir);
    if (!cache.ok()) return cache.status();
    core->cache_ = *std::move(cache);
  }
  return core;
}

Core::Core(CoreOptions options, std::vector<ServedRuntime> runtimes,
           std::vector<ServedProblemSet> problem_sets, sandbox::Runner& runner, RunQueue& queue,
           Metrics& metrics)
    : options_(std::move(options)),
      runtimes_(std::move(runtimes)),
      problem_sets_(std::move(problem_sets)),
      queue_(queue),
      metrics_(metrics) {
  std::map<std::string, std::string> by_interpreter;
  for (const ServedRuntime& r : runtimes_) {
    by_interpreter.emplace(r.prepared.policy->interpreter, r.prepared.policy->name);
  }
  metered_ = std::make_unique<MeteredRunner>(runner, metrics, std::move(by_interpreter));
}

const ServedProblemSet* Core::FindServedSet(const std::string& name) const {
  for (const ServedProblemSet& p : problem_sets_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

absl::StatusOr<const grader::ProblemSet*> Core::FindProblemSet(const std::string& name) const {
  for (const ServedProblemSet& p : problem_sets_) {
    if (p.name == name) return &p.set;
  }
  std::vector<std::string> known;
  for (const ServedProblemSet& p : problem_sets_) known.push_back(p.name);
  return absl::NotFoundError(absl::StrCat("no problem set '", name, "' on this server (loaded: ",
                                          known.empty() ? "none" : absl::StrJoin(known, ", "),
                                          ")"));
}

absl::StatusOr<const ServedRuntime*> Core::FindRuntime(const std::string& name) const {
  for (const ServedRuntime& r : runtimes_) {
    const std::vector<std::string>& aliases = r.prepared.policy->aliases;
    if (std::find(aliases.begin(), aliases.end(), name) != aliases.end()) return &r;
  }
  for (const ServedRuntime& r : runtimes_) {
    if (r.prepared.policy->name == name) return &r;
  }
  std::vector<std::string> known;
  for (const ServedRuntime& r : runtimes_) known.push_back(r.prepared.policy->name);
  return absl::NotFoundError(
      absl::StrCat("no runtime '", name, "' (known: ", absl::StrJoin(known, ", "), ")"));
}

absl::Status Core::StartExecute(const v1::ExecuteRequest& request, Deadline deadline,
                                const std::shared_ptr<Tenant>& tenant,
                                std::function<void(absl::StatusOr<v1::ExecuteResponse>)> done) {
  absl::StatusOr<const ServedRuntime*> rt =
      FindRuntime(request.runtime().empty() ? "python" : request.runtime());
  if (!rt.ok()) return rt.status();
  const grader::RuntimePolicy& policy = *(*rt)->prepared.policy;
  absl::StatusOr<sandbox::Limits> limits = CapLimits(request.limits(), (*rt)->limits, deadline);
  if (!limits.ok()) return limits.status();

  std::set<std::string> names;
  if (!request.code().empty()) names.insert(policy.file_name);
  for (int i = 0; i < request.files_size(); ++i) {
    const std::string& name = request.files(i).name();
    if (!IsPlainFileName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("files[", i, "].name: '", name, "' must be a plain file name"));
    }
    if (!names.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "files[", i, "].name: '", name, "' is given twice",
          name == policy.file_name ? " (`code` is written to it)" : ""));
    }
  }
  if (request.code().empty() && names.count(policy.file_name) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "code: empty, and no file named '", policy.file_name, "' (the ", policy.name,
        " runtime's program file) in files"));
  }
  for (const auto& [name, value] : request.env()) {
    if (std::find(options_.env_allow.begin(), options_.env_allow.end(), name) ==
        options_.env_allow.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "env[\"", name, "\"]: not on this server's allowlist (",
          options_.env_allow.empty() ? "empty" : absl::StrJoin(options_.env_allow, ", "), ")"));
    }
  }

  const ServedRuntime* served = *rt;
  if (policy.has_compile && request.code().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "code: required by the ", policy.name, " runtime, which compiles it"));
  }
  // A compiled runtime's run is made in the worker, once the program is built; this spec
  // carries what the request adds (files, args, env, stdin) either way.
  sandbox::RunSpec spec = grader::MakeRunSpec(served->prepared, request.code(), *limits);
  if (request.code().empty() || policy.has_compile) spec.files.clear();
  for (const v1::File& f : request.files()) spec.files.push_back({f.name(), f.content()});
  for (const std::string& a : request.args()) spec.argv.push_back(a);
  if (!request.env().empty()) {
    std::map<std::string, std::string> env;
    for (const std::string& kv : spec.env) {
      size_t eq = kv.find('=');
      env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const auto& [name, value] : request.env()) env[name] = value;
    spec.env.clear();
    for (const auto& [k, v] : env) spec.env.push_back(absl::StrCat(k, "=", v));
  }
  if (request.has_stdin()) {
    spec.has_stdin = true;
    spec.stdin_data = request.stdin();
  }
  spec.cancel = tenant->cancel_token();

  sandbox::Runner& runner = *metered_;
  std::vector<Job> jobs;
  jobs.push_back([spec = std::move(spec), done = std::move(done), &runner, served,
                  code = policy.has_compile ? request.code() : std::string()](
                     int worker_id) mutable {
    if (worker_id < 0) {
      done(absl::CancelledError("the call was cancelled before its run started"));
      return;
    }
    if (std::optional<grader::CompileStep> step =
            served->context.language != nullptr ? served->context.language->Compile(code)
                                                : std::nullopt;
        step && served->prepared.policy->has_compile) {
      absl::StatusOr<grader::CompileOutcome> built = served->context.compile_cache->Compile(
          runner, served->context.fingerprint, *std::move(step), spec.cancel);
      if (!built.ok() && built.status().code() == absl::StatusCode::kCancelled) {
        done(built.status());
        return;
      }
      if (!built.ok()) {
        v1::ExecuteResponse response;
        response.set_worker_id(worker_id);
        response.mutable_result()->set_status("sandbox_error");
        response.mutable_result()->set_exit_code(-1);
        response.mutable_result()->set_syscall(-1);
        response.mutable_result()->set_error(
            grader::SanitizeUtf8(absl::StrCat("compiling: ", built.status().message())));
        done(std::move(response));
        return;
      }
      if (!built->ok()) {
        v1::ExecuteResponse response;
        response.set_worker_id(worker_id);
        v1::RunResult* out = response.mutable_result();
        out->set_status("compile_error");
        out->set_exit_code(-1);
        out->set_syscall(-1);
        out->set_stderr(built->diagnostics);
        out->set_error(grader::SanitizeUtf8(built->error));
        out->set_cpu_ms(built->cpu_ms);
        out->set_wall_ms(built->wall_ms);
        done(std::move(response));
        return;
      }
      // The built program's run, with what the request added to the spec.
      sandbox::RunSpec run =
          grader::MakeArtefactRunSpec(served->prepared, built->artefact->bytes, spec.limits);
      run.files.insert(run.files.end(), spec.files.begin(), spec.files.end());
      run.argv.insert(run.argv.end(),
                      spec.argv.begin() + static_cast<std::ptrdiff_t>(
                                              served->prepared.policy->command.size()),
                      spec.argv.end());
      run.env = std::move(spec.env);
      run.has_stdin = spec.has_stdin;
      run.stdin_data = std::move(spec.stdin_data);
      run.cancel = spec.cancel;
      spec = std::move(run);
    }
    absl::StatusOr<sandbox::RunResult> r = runner.Run(spec);
    if (!r.ok() && r.status().code() == absl::StatusCode::kCancelled) {
      done(r.status());
      return;
    }
    v1::ExecuteResponse response;
    response.set_worker_id(worker_id);
    if (r.ok()) {
      RunResultToProto(*r, response.mutable_result());
    } else {
      response.mutable_result()->set_status("sandbox_error");
      response.mutable_result()->set_exit_code(-1);
      response.mutable_result()->set_syscall(-1);
      response.mutable_result()->set_error(grader::SanitizeUtf8(r.status().message()));
    }
    done(std::move(response));
  });
  return queue_.Submit(tenant, std::move(jobs));
}

absl::Status Core::PassAtK(const v1::PassAtKRequest& request,
                           v1::PassAtKResponse* response) const {
  absl::StatusOr<std::vector<int64_t>> ks = Ks(request.ks());
  if (!ks.ok()) return ks.status();
  if (request.tasks_size() > 0 && request.samples_size() > 0) {
    return absl::InvalidArgumentError("tasks, samples: give one of them, not both");
  }
  std::vector<grader::TaskCount> counts;
  for (int i = 0; i < request.tasks_size(); ++i) {
    const v1::TaskCount& t = request.tasks(i);
    if (t.n() < 1) {
      return absl::InvalidArgumentError(absl::StrCat("tasks[", i, "].n: must be at least 1"));
    }
    if (t.c() < 0 || t.c() > t.n()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tasks[", i, "].c: must be between 0 and n (", t.n(), ")"));
    }
    counts.push_back({t.n(), t.c()});
  }
  std::map<std::string, grader::TaskCount> by_task;
  for (const v1::SampleOutcome& s : request.samples()) {
    grader::TaskCount& t = by_task[s.task_id()];
    ++t.n;
    if (s.passed()) ++t.c;
  }
  for (const auto& [id, t] : by_task) counts.push_back(t);
  PassAtKToProto(grader::MeanPassAtK(counts, *ks), response->mutable_pass_at_k());
  response->set_tasks(static_cast<int64_t>(counts.size()));
  return absl::OkStatus();
}

void Core::ListRuntimes(v1::ListRuntimesResponse* response) const {
  for (const ServedRuntime& r : runtimes_) {
    v1::Runtime* out = response->add_runtimes();
    const grader::RuntimePolicy& p = *r.prepared.policy;
    out->set_name(p.name);
    out->set_interpreter(p.interpreter);
    out->set_interpreter_version(r.interpreter_version);
    out->set_file_name(p.file_name);
    out->set_compiled(p.has_compile);
    for (const std::string& a : p.aliases) out->add_aliases(a);
    for (const std::string& e : p.extensions) out->add_extensions(e);
    LimitsToProto(r.limits, out->mutable_limits());
    for (const std::string& l : r.layers) out->add_layers(l);
    for (const std::string& e : options_.env_allow) out->add_env_allow(e);
  }
}

void Core::ListProblemSets(v1::ListProblemSetsResponse* response) const {
  for (const ServedProblemSet& p : problem_sets_) {
    v1::ProblemSetInfo* out = response->add_problem_sets();
    out->set_name(p.name);
    out->set_path(p.set.path);
    out->set_problems(static_cast<int64_t>(p.set.problems.size()));
    out->set_sha256(p.set.content_sha256);
    v1::IoMode* io = out->mutable_io();
    io->set_mode(grader::GradeModeName(options_.mode));
    int64_t io_tasks = 0;
    const grader::IoOracleSet& oracles = p.setup.io;
    for (const grader::IoOracle& o : oracles.oracles) io_tasks += o.usable ? 1 : 0;
    io->set_oracles(io_tasks > 0);
    io->set_io_tasks(io_tasks);
    for (const std::string& task : oracles.unusable_tasks) io->add_unusable_tasks(task);
    io->set_cached(oracles.cached);
    io->set_measure_s(oracles.measure_s);
    io->set_test_details(options_.io_settings.test_details);
    io->set_min_time_limit_ms(options_.io_settings.min_time_limit_ms);
    io->set_gt_time_limit_factor(options_.io_settings.gt_time_limit_factor);
    v1::TimeLimits* t = out->mutable_time_limits();
    const grader::TimeLimitInfo& info = p.setup.time_limit;
    absl::StatusOr<const ServedRuntime*> rt = FindRuntime(options_.grade_runtime);
    const int64_t runtime_cpu_ms = rt.ok() ? (*rt)->limits.cpu_time_ms : 0;
    io->set_time_limit(
        grader::IoTimeLimitText(options_.io_settings, options_.io_fixed_cpu, runtime_cpu_ms));
    if (p.setup.task_cpu_time_ms.empty()) {
      t->set_mode("fixed");
      t->set_cpu_time_ms(runtime_cpu_ms);
      continue;
    }
    t->set_mode("auto");
    t->set_min_ms(info.min_ms);
    t->set_median_ms(info.median_ms);
    t->set_max_ms(info.max_ms);
    t->set_fallback_ms(info.fallback_ms);
    for (const std::string& task : info.fallback_tasks) t->add_fallback_tasks(task);
    t->set_calibration_cached(info.cached);
    t->set_calibration_s(info.measure_s);
    t->set_startup_cpu_ms(info.startup_ms);
  }
}

absl::Status Core::GetProblems(const v1::GetProblemsRequest& request,
                               v1::GetProblemsResponse* response) const {
  absl::StatusOr<const grader::ProblemSet*> set = FindProblemSet(request.problem_set());
  if (!set.ok()) return set.status();
  if (request.page_size() < 0) {
    return absl::InvalidArgumentError("page_size: must not be negative");
  }
  int64_t offset = 0;
  if (!request.page_token().empty() &&
      (!absl::SimpleAtoi(request.page_token(), &offset) || offset < 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token: '", request.page_token(), "' is not a token this server gave"));
  }
  std::vector<const grader::Problem*> selected;
  if (request.task_ids().empty()) {
    for (const grader::Problem& p : (*set)->problems) selected.push_back(&p);
  } else {
    for (int i = 0; i < request.task_ids_size(); ++i) {
      const grader::Problem* p = (*set)->Find(request.task_ids(i));
      if (p == nullptr) {
        return absl::NotFoundError(absl::StrCat("task_ids[", i, "]: no task '",
                                                request.task_ids(i), "' in problem set '",
                                                request.problem_set(), "'"));
      }
      selected.push_back(p);
    }
  }
  const int64_t page =
      std::min<int64_t>(request.page_size() == 0 ? kDefaultPageSize : request.page_size(),
                        kMaxPageSize);
  const int64_t end = std::min<int64_t>(offset + page, static_cast<int64_t>(selected.size()));
  for (int64_t i = offset; i < end; ++i) {
    const grader::Problem& p = *selected[i];
    v1::Problem* out = response->add_problems();
    out->set_task_id(p.task_id);
    out->set_format(grader::ProblemFormatName(p.format));
    out->set_prompt(p.prompt);
    out->set_entry_point(p.entry_point);
    if (request.include_tests()) {
      std::string test = p.test;
      if (test.empty()) {
        test = absl::StrCat(p.test_setup, p.test_setup.empty() ? "" : "\n",
                            absl::StrJoin(p.test_list, "\n"));
      }
      out->set_test(test);
      out->set_canonical_solution(p.canonical_solution);
    }
  }
  if (end < static_cast<int64_t>(selected.size())) {
    response->set_next_page_token(absl::StrCat(end));
  }
  return absl::OkStatus();
}

// ----------------------------------------------------------------------------- GradeSession

GradeSession::GradeSession(const Core& core, std::shared_ptr<Tenant> tenant,
                           std::shared_ptr<Sink> sink, Deadline deadline)
    : core_(core), tenant_(std::move(tenant)), sink_(std::move(sink)), deadline_(deadline) {
  dedup_.UseCache(core_.cache());
}

absl::Status GradeSession::AddBatch(const v1::GradeRequest& request,
                                    std::function<void()> on_queued) {
  // --- validate everything before touching any state ---
  grader::ProblemSet inline_set;  // lives for this call only: the jobs keep program texts
  absl::StatusOr<const grader::ProblemSet*> found = RequestProblems(core_, request, &inline_set);
  if (!found.ok()) return found.status();
  const grader::ProblemSet* set = *found;
  absl::StatusOr<grader::ExtractMode> extract =
      grader::ParseExtractMode(request.extract().empty() ? "none" : request.extract());
  if (!extract.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("extract: ", extract.status().message()));
  }
  std::vector<std::string> stops(request.stops().begin(), request.stops().end());
  if (stops.empty()) stops = grader::DefaultStopSequences();
  absl::StatusOr<std::vector<int64_t>> ks = Ks(request.ks());
  if (!ks.ok()) return ks.status();
  // The runtime: the request's, else the problems' own (HumanEval-X), else the server's.
  std::string language = request.language();
  if (language.empty()) language = grader::ProblemsLanguage(*set);
  if (language.empty()) language = core_.options().grade_runtime;
  absl::StatusOr<const ServedRuntime*> found_runtime = core_.FindRuntime(language);
  if (!found_runtime.ok()) {
    return absl::NotFoundError(absl::StrCat(request.language().empty() ? "the problems' language: "
                                                                       : "language: ",
                                            found_runtime.status().message(),
                                            " (not installed on this server?)"));
  }
  const ServedRuntime* runtime = *found_runtime;
  const grader::RuntimePolicy& runtime_policy = *runtime->prepared.policy;
  absl::StatusOr<sandbox::Limits> limits = CapLimits(request.limits(), runtime->limits, deadline_);
  if (!limits.ok()) return limits.status();
  grader::GradeMode mode = core_.options().mode;
  if (!request.mode().empty()) {
    absl::StatusOr<grader::GradeMode> m = grader::ParseGradeMode(request.mode());
    if (!m.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "mode: expected auto, io or assert (or empty: the server's ",
          grader::GradeModeName(core_.options().mode), "), got '", request.mode(), "'"));
    }
    mode = *m;
  }
  if (mode == grader::GradeMode::kIo && set == &inline_set) {
    return absl::FailedPreconditionError(
        "mode: io needs expected outputs, which the server measures at start for its "
        "--problems sets; inline_problems are graded in assert mode (mode auto or assert)");
  }
  // A served set's calibrated limits and expected outputs; inline problems have none.
  static const grader::GradingSetup kNoSetup;
  const ServedProblemSet* served =
      set == &inline_set ? nullptr : core_.FindServedSet(request.problem_set());
  if (served != nullptr &&
      (served->runtime.empty() ? core_.options().grade_runtime : served->runtime) !=
          runtime_policy.name) {
    served = nullptr;
  }
  const CoreOptions& options = core_.options();
  const grader::GradingPlan plan(
      *set, runtime->context, served != nullptr ? served->setup : kNoSetup,
      {runtime->limits, mode, options.io_settings, options.io_fixed_cpu});

  const std::string& set_name = request.problem_set();
  std::set<std::tuple<std::string, std::string, std::string>> batch_ids;
  std::vector<const grader::Problem*> problems;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int i = 0; i < request.samples_size(); ++i) {
      const v1::Sample& s = request.samples(i);
      if (s.task_id().empty()) {
        return absl::InvalidArgumentError(absl::StrCat("samples[", i, "].task_id: required"));
      }
      const grader::Problem* p = set->Find(s.task_id());
      if (p == nullptr) {
        return absl::NotFoundError(absl::StrCat(
            "samples[", i, "].task_id: no task '", s.task_id(), "' in ",
            set_name.empty() ? "inline_problems" : absl::StrCat("problem set '", set_name, "'")));
      }
      if (!p->language.empty() && p->language != runtime_policy.name) {
        return absl::InvalidArgumentError(absl::StrCat(
            "samples[", i, "].task_id: '", s.task_id(), "' is a ", p->language,
            " problem; language ", runtime_policy.name, " cannot grade it"));
      }
      if (!s.has_completion() && !s.has_solution()) {
        return absl::InvalidArgumentError(
            absl::StrCat("samples[", i, "]: needs a completion or a solution"));
      }
      if (!s.completion_id().empty()) {
        auto id = std::make_tuple(set_name, s.task_id(), s.completion_id());
        if (completion_ids_.count(id) > 0 || !batch_ids.insert(id).second) {
          return absl::InvalidArgumentError(
              absl::StrCat("samples[", i, "].completion_id: '", s.completion_id(),
                           "' is given twice for task '", s.task_id(), "'"));
        }
      }
      const size_t task = set->by_id.at(p->task_id);
      if (mode == grader::GradeMode::kIo &&
          !std::holds_alternative<grader::IoMode>(plan.ModeOf(task, mode))) {
        const grader::IoOracleSet& oracles = plan.setup().io;
        return absl::FailedPreconditionError(absl::StrCat(
            "samples[", i, "].task_id: mode io: task '", s.task_id(), "' of problem set '",
            set_name, "' has no expected outputs (",
            !grader::UsesIoMode(mode, *p)                    ? "it has no inputs (base_input)"
            : oracles.oracles.size() != set->problems.size() ? "the server runs with --mode assert"
                                                             : oracles.oracles[task].failure,
            "); use mode auto or assert"));
      }
      problems.push_back(p);
    }
  }

  // --- build programs (no lock: the expensive part) ---
  std::vector<grader::GradedSample> graded(request.samples_size());
  // A task's own limit (calibrated in assert mode, `fathom grade`'s IoRunLimits in I/O
  // mode) takes the runtime's CPU ceiling's place; the request and the deadline lower it
  // as they lower any limit. Once per task in the batch, so its samples share a key.
  std::map<size_t, sandbox::Limits> task_limits;
  for (int i = 0; i < request.samples_size(); ++i) {
    const v1::Sample& s = request.samples(i);
    const size_t task = static_cast<size_t>(problems[i] - set->problems.data());
    const grader::SampleMode sample_mode = plan.ModeOf(task, mode);
    sandbox::Limits sample_limits = *limits;
    if (plan.HasTaskLimits(task, sample_mode)) {
      auto it = task_limits.find(task);
      if (it == task_limits.end()) {
        absl::StatusOr<sandbox::Limits> capped =
            CapLimits(request.limits(), plan.TaskLimits(task, sample_mode), deadline_);
        if (!capped.ok()) return capped.status();
        it = task_limits.emplace(task, *capped).first;
      }
      sample_limits = it->second;
    }
    const grader::SampleCode code{s.has_solution() ? s.solution() : s.completion(),
                                  s.has_solution(), *extract, &stops};
    graded[i] = plan.Sample(task, code, sample_mode, sample_limits);
  }

  // --- claim keys, read the disk cache, make the jobs ---
  std::vector<v1::GradeResponse> immediate;
  std::vector<Job> jobs;
  int64_t hits = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t batch = next_batch_++;
    if (batch == 0) ks_ = *ks;
    completion_ids_.insert(batch_ids.begin(), batch_ids.end());
    if (!set_name.empty()) problem_set_names_.insert(set_name);
    outstanding_ += request.samples_size();
    for (int i = 0; i < request.samples_size(); ++i) {
      Waiter w{batch,
               i,
               request.samples(i).task_id(),
               request.samples(i).completion_id(),
               set_name,
               static_cast<size_t>(problems[i] - set->problems.data()),
               graded[i].limits.cpu_time_ms};
      grader::Verdict known;
      const Dedup::Claim claim = dedup_.ClaimKey(graded[i].key, w, &known);  // + disk cache
      if (claim == Dedup::Claim::kDone) {
        ++hits;
        immediate.push_back(ResultLocked(w, known, -1));
      }
      if (claim != Dedup::Claim::kRun) continue;
      // An I/O job points into the served set (the Core outlives the session); an
      // inline problem is never graded in I/O mode, so nothing points into this call.
      jobs.push_back([self = shared_from_this(), w, runtime,
                      sample = std::make_shared<grader::GradedSample>(std::move(graded[i]))](
                         int worker_id) {
        grader::Verdict v;
        if (worker_id >= 0) {
          v = grader::RunGradedSample(self->core_.runner(), runtime->context, *sample,
                                      self->tenant_->cancel_token());
        }
        self->OnRunDone(sample->key, w, std::move(v), worker_id);
      });
    }
    cache_hits_ += hits;
  }
  core_.metrics().CountCacheHits(hits);

  absl::Status queued = on_queued == nullptr
                            ? core_.queue().Submit(tenant_, std::move(jobs))
                            : core_.queue().SubmitWhenRoom(tenant_, std::move(jobs), on_queued);
  if (!queued.ok()) {  // the call ends; only the count matters, so that it can finish
    std::lock_guard<std::mutex> lock(mu_);
    outstanding_ -= request.samples_size();
    return queued;
  }
  Deliver(std::move(immediate), static_cast<int64_t>(immediate.size()));
  return absl::OkStatus();
}

void GradeSession::OnRunDone(const std::string& key, Waiter first, grader::Verdict verdict,
                             int worker_id) {
  // A dropped or cancelled run has no verdict: nothing is reported for it or its waiters.
  const bool dropped = worker_id < 0 || tenant_->cancelled();
  if (dropped) verdict.status = grader::SampleStatus::kSandboxError;
  std::vector<v1::GradeResponse> results;
  int64_t completed = 0;
  int64_t shared = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Waiter> waiters = dedup_.Finish(key, verdict);
    completed = 1 + static_cast<int64_t>(waiters.size());
    if (!dropped) {
      ++ran_;
      results.push_back(ResultLocked(first, verdict, worker_id));
      for (const Waiter& w : waiters) results.push_back(ResultLocked(w, grader::SharedVerdict(verdict), -1));
      shared = static_cast<int64_t>(waiters.size());
      cache_hits_ += shared;
    }
  }
  if (!dropped) {
    core_.metrics().CountCacheHits(shared);
    if (const grader::DiskCache* cache = core_.cache();
        cache != nullptr && verdict.status != grader::SampleStatus::kSandboxError) {
      (void)cache->Store(key, verdict);  // a failed store only costs a future re-run
    }
  }
  Deliver(std::move(results), completed);
}

v1::GradeResponse GradeSession::ResultLocked(const Waiter& w, const grader::Verdict& v,
                                             int worker_id) {
  v1::GradeResponse response;
  v1::SampleResult* r = response.mutable_result();
  r->set_batch(w.batch);
  r->set_index(w.index);
  r->set_task_id(w.task_id);
  r->set_completion_id(w.completion_id);
  r->set_passed(v.passed);
  r->set_result(v.result);
  r->set_status(grader::SampleStatusName(v.status));
  r->set_cpu_ms(v.cpu_ms);
  r->set_wall_ms(v.wall_ms);
  r->set_max_rss_kb(v.max_rss_kb);
  r->set_stderr_tail(v.stderr_tail);
  r->set_cache_hit(v.cache_hit);
  r->set_worker_id(worker_id);
  r->set_cpu_limit_ms(w.cpu_limit_ms);
  r->set_grade_mode(v.io ? "io" : "assert");
  if (v.io) {
    r->set_base_status(grader::PhaseStatusName(v.base_status));
    r->set_plus_status(grader::PhaseStatusName(v.plus_status));
    for (int64_t input : v.base_failed) r->add_base_failed_inputs(input);
    for (int64_t input : v.plus_failed) r->add_plus_failed_inputs(input);
    ++io_samples_;
  }
  // Counted as `fathom grade` counts (grade.cc).
  Counts& t = tasks_[{w.problem_set, w.problem_index, w.task_id}];
  ++t.all.n;
  if (v.passed) ++t.all.c;
  ++t.base.n;
  if (v.io ? v.base_status == grader::PhaseStatus::kPass : v.passed) ++t.base.c;
  ++status_counts_[grader::SampleStatusName(v.status)];
  ++samples_;
  return response;
}

void GradeSession::Deliver(std::vector<v1::GradeResponse> results, int64_t completed) {
  for (v1::GradeResponse& r : results) sink_->OnResult(std::move(r));
  bool idle = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    outstanding_ -= completed;
    idle = outstanding_ == 0;
  }
  if (idle) sink_->OnIdle();
}

int64_t GradeSession::outstanding() const {
  std::lock_guard<std::mutex> lock(mu_);
  return outstanding_;
}

v1::GradeSummary GradeSession::Summary() const {
  v1::GradeSummary s;
  s.set_runner(core_.options().runner_description);
  if (core_.options().zygote_stats) {  // reads /proc: not under mu_
    const sandbox::ZygoteStats z = core_.options().zygote_stats();
    s.mutable_zygote()->set_restarts(z.restarts);
    s.mutable_zygote()->set_peak_rss_kb(z.peak_rss_kb);
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<grader::TaskCount> covered, base_covered;
  for (const auto& [key, t] : tasks_) {
    covered.push_back(t.all);
    base_covered.push_back(t.base);
    v1::TaskCount* out = s.add_tasks();
    out->set_problem_set(std::get<0>(key));
    out->set_task_id(std::get<2>(key));
    out->set_n(t.all.n);
    out->set_c(t.all.c);
    out->set_base_c(t.base.c);
  }
  const std::vector<int64_t> ks = ks_.empty() ? std::vector<int64_t>{1, 10, 100} : ks_;
  PassAtKToProto(grader::MeanPassAtK(covered, ks), s.mutable_pass_at_k());
  s.set_io_samples(io_samples_);
  if (io_samples_ > 0) {
    PassAtKToProto(grader::MeanPassAtK(base_covered, ks), s.mutable_base_pass_at_k());
  }
  for (const auto& [name, n] : status_counts_) (*s.mutable_status_counts())[name] = n;
  s.set_samples(samples_);
  s.set_ran(ran_);
  s.set_cache_hits(cache_hits_);
  s.set_elapsed_s(std::chrono::duration<double>(Clock::now() - start_).count());
  return s;
}

GradeSession::Stats GradeSession::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Stats{problem_set_names_, samples_, status_counts_};
}

}  // namespace fathom::service
