// The adapter between `fathom eval`'s code benchmarks and grader/: every task becomes an
// assert-mode problem whose program is `candidate + "\n" + test [+ "\ncheck(entry)"]`
// (GPT-Fathom's executed program), every sample a whole-program `solution`, and
// grader::Grade grades them as `fathom grade` does: the policy's sandbox, warm zygotes,
// per-task calibrated CPU limits, in-run dedup, the journal (resume after kill -9).
#include "driver/run/code_grading.h"

#include <filesystem>
#include <iostream>
#include <set>

#include "absl/strings/str_cat.h"
#include "grader/formats/line_reader.h"
#include "grader/formats/problems.h"
#include "grader/formats/sha256.h"
#include "grader/pipeline/grade.h"
#include "grader/pipeline/grading_plan.h"
#include "grader/pipeline/pass_at_k.h"
#include "grader/pipeline/runtime_context.h"
#include "grader/pipeline/scheduler.h"
#include "grader/pipeline/time_limits.h"
#include "grader/pipeline/program.h"
#include "grader/policy/policy.h"
#include "sandbox/sandbox.h"
#include "sandbox/zygote.h"

namespace fathom::driver::run {
namespace {

class SandboxCodeGrader final : public CodeGrader {
 public:
  explicit SandboxCodeGrader(SandboxCodeGraderOptions options) : options_(std::move(options)) {
    if (options_.workers <= 0) options_.workers = grader::AvailableCores();
  }

  absl::StatusOr<std::vector<CodeVerdict>> Grade(const std::vector<CodeTask>& tasks,
                                                 const std::vector<CodeSample>& samples,
                                                 const std::string& work_dir) override {
    if (absl::Status s = SetUp(); !s.ok()) return s;
    std::ostream& log = options_.log != nullptr ? *options_.log : std::cerr;
    grader::ProblemSet problems;
    problems.path = work_dir + "/code.problems";
    // Stands for the problem file's contents in the calibration cache key.
    grader::Sha256 content;
    for (const CodeTask& t : tasks) {
      for (const std::string* f : {&t.task_id, &t.test, &t.entry_point, &t.reference}) {
        content.UpdateField(*f);
      }
    }
    problems.content_sha256 = content.FinalHex();
    for (const CodeTask& t : tasks) {
      grader::Problem p;
      p.task_id = t.task_id;
      p.format = grader::ProblemFormat::kMbppPlus;  // program = solution + "\n" + test
      p.test = t.entry_point.empty() ? t.test
                                     : absl::StrCat(t.test, "\ncheck(", t.entry_point, ")");
      p.entry_point = t.entry_point;
      p.canonical_solution = t.reference;
      problems.by_id[p.task_id] = problems.problems.size();
      problems.problems.push_back(std::move(p));
    }
    // The samples file grader::Grade streams (and its journal resumes against).
    const std::string samples_path = work_dir + "/code.samples.jsonl";
    {
      std::string text;
      for (const CodeSample& s : samples) {
        nlohmann::json j = {{"task_id", tasks[s.task].task_id}, {"solution", s.candidate}};
        absl::StrAppend(&text, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                        "\n");
      }
      // The same text as last time keeps the journal valid for a resume.
      absl::StatusOr<std::string> old = grader::ReadWholeFile(samples_path);
      if (!old.ok() || *old != text) {
        FILE* f = std::fopen(samples_path.c_str(), "wb");
        if (f == nullptr) return absl::InternalError(absl::StrCat(samples_path, ": cannot write"));
        bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
        ok = std::fclose(f) == 0 && ok;
        if (!ok) return absl::InternalError(absl::StrCat(samples_path, ": write failed"));
      }
    }
    grader::GradeOptions go;
    go.samples_path = samples_path;
    go.out_path = work_dir + "/code.results.jsonl";
    go.workers = options_.workers;
    go.limits = limits_;
    go.ks = {1};
    go.cache_dir = options_.cache_dir;
    go.progress = false;
    go.log = &log;
    // The grading pipeline's one-off setup (grading_plan.h), as fathom grade does it:
    // calibrated per-task CPU limits unless a fixed limit was asked for. The programs
    // carry their own tests, so everything is graded in assert mode.
    go.mode = grader::GradeMode::kAssert;
    grader::SetupOptions setup;
    setup.limits = limits_;
    setup.mode = go.mode;
    setup.auto_time_limit = options_.calibrate;
    setup.cache_dir =
        options_.cache_dir.empty() ? grader::DefaultCacheDir() : options_.cache_dir;
    setup.runner_name = zygote_ != nullptr ? "zygote" : "fresh-exec";
    setup.workers = options_.workers;
    setup.log = &log;
    std::set<std::string> task_ids;
    for (const CodeTask& t : tasks) task_ids.insert(t.task_id);
    if (absl::Status s = grader::PrepareGrading(problems, task_ids, *runner_, runtime_, setup,
                                                &go.setup);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<grader::GradeReport> report = grader::Grade(go, problems, *runner_, runtime_);
    if (!report.ok()) return report.status();
    if (!report->completed) {
      return absl::InternalError(absl::StrCat("code grading stopped: ", report->stop_reason));
    }
    absl::StatusOr<grader::LineReader> results = grader::LineReader::Open(go.out_path);
    if (!results.ok()) return results.status();
    std::vector<CodeVerdict> verdicts;
    verdicts.reserve(samples.size());
    std::string line;
    int64_t n = 0;
    while (results->Next(&line, &n)) {
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) continue;
      CodeVerdict v;
      v.passed = j.value("passed", false);
      v.status = j.value("status", "");
      v.result = j.value("result", "");
      verdicts.push_back(std::move(v));
    }
    if (verdicts.size() != samples.size()) {
      return absl::InternalError(absl::StrCat(go.out_path, ": ", verdicts.size(),
                                              " verdicts for ", samples.size(), " samples"));
    }
    return verdicts;
  }

  nlohmann::json Fingerprint() const override {
    nlohmann::json j = {{"runtime", options_.runtime},
                        {"calibrated", options_.calibrate},
                        {"cpu_time_ms", options_.calibrate ? 0 : options_.fixed_cpu_time_ms}};
    return j;
  }

 private:
  absl::Status SetUp() {
    if (ready_) return absl::OkStatus();
    absl::StatusOr<grader::Policy> policy = grader::LoadPolicy(
        options_.policies_dir.empty() ? grader::DefaultPolicyDir() : options_.policies_dir);
    if (!policy.ok()) return policy.status();
    policy_ = std::make_unique<grader::Policy>(*std::move(policy));
    absl::StatusOr<const grader::RuntimePolicy*> rt = policy_->Runtime(options_.runtime);
    if (!rt.ok()) return rt.status();
    limits_ = (*rt)->limits;
    if (!options_.calibrate && options_.fixed_cpu_time_ms > 0) {
      limits_.cpu_time_ms = options_.fixed_cpu_time_ms;
    }
    sandbox::SandboxOptions so;
    so.wanted = policy_->wanted_layers;
    so.prestarted_inits = 0;
    absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> sb = sandbox::Sandbox::Create(so);
    if (!sb.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "sandbox: ", sb.status().message(), " (run `fathom doctor` to see what this host allows)"));
    }
    sandbox_ = *std::move(sb);
    absl::StatusOr<grader::PreparedRuntime> prepared = grader::PrepareRuntime(
        *policy_, (*rt)->name, sandbox_->active_layers().Has(sandbox::Layer::kSeccomp));
    if (!prepared.ok()) return prepared.status();
    prepared_ = *std::move(prepared);
    runner_ = sandbox_.get();
    if (options_.use_zygote && prepared_.policy->zygote) {
      absl::StatusOr<std::unique_ptr<sandbox::ZygoteRunner>> z = sandbox::ZygoteRunner::Create(
          sandbox_.get(), grader::GradingZygoteOptions(prepared_, options_.workers));
      if (z.ok()) {
        zygote_ = *std::move(z);
        runner_ = zygote_.get();
      }
    }
    absl::StatusOr<grader::RuntimeContext> runtime = grader::ProbeRuntime(
        *runner_, prepared_, limits_, policy_->hash, sandbox_->active_layers().Names());
    if (!runtime.ok()) return runtime.status();
    runtime_ = *std::move(runtime);
    ready_ = true;
    return absl::OkStatus();
  }

  SandboxCodeGraderOptions options_;
  bool ready_ = false;
  std::unique_ptr<grader::Policy> policy_;
  sandbox::Limits limits_;
  std::unique_ptr<sandbox::Sandbox> sandbox_;
  grader::PreparedRuntime prepared_;
  std::unique_ptr<sandbox::ZygoteRunner> zygote_;
  sandbox::Runner* runner_ = nullptr;
  grader::RuntimeContext runtime_;
};

}  // namespace

std::unique_ptr<CodeGrader> MakeSandboxCodeGrader(SandboxCodeGraderOptions options) {
  return std::make_unique<SandboxCodeGrader>(std::move(options));
}

double CodePassAtK(int64_t n, int64_t c, int64_t k) { return grader::PassAtK(n, c, k); }

}  // namespace fathom::driver::run
