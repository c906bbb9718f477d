// A runtime's self-test programs, through the grading path.
#include "grader/pipeline/self_test.h"

#include <algorithm>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "grader/formats/utf8.h"
#include "grader/pipeline/compile_cache.h"
#include "grader/pipeline/program.h"
#include "grader/pipeline/sample_grader.h"
#include "grader/pipeline/scheduler.h"

namespace fathom::grader {
namespace {

SelfTestResult RunOne(sandbox::Runner& runner, const RuntimeContext& runtime,
                      const RuntimePolicy& policy, const std::string& name,
                      const std::string& source) {
  SelfTestResult out;
  out.name = name;
  const sandbox::Limits limits = SelfTestLimits(policy.limits, name);
  if (name == "pass" || name == "fail") {
    out.expected = name == "pass" ? "passed" : "failed";
    const Verdict v = RunProgram(runner, runtime,
                                 RuleOf(runtime) == VerdictRule::kHarness ? WrapInHarness(source)
                                                                          : source,
                                 policy.limits);
    out.got = SampleStatusName(v.status);
    out.wall_ms = v.wall_ms;
    if (out.got != out.expected) out.detail = absl::StrCat(v.result, "\n", v.stderr_tail);
    return out;
  }
  out.expected = name;
  if (name == "memory_limit" && !runner.active_layers().Has(sandbox::Layer::kCgroup)) {
    out.got = "skipped";
    out.skipped =
        "the cgroup layer is off: RLIMIT_DATA stands in for the memory limit, and a program "
        "sees its allocations fail instead (fathom doctor says why the layer is off)";
    return out;
  }
  std::optional<CompileStep> step = runtime.language->Compile(source);
  ArtefactHandle artefact;
  if (step) {
    absl::StatusOr<CompileOutcome> built =
        runtime.compile_cache != nullptr
            ? runtime.compile_cache->Compile(runner, runtime.fingerprint, *std::move(step), nullptr)
            : CompileProgram(runner, *std::move(step), nullptr);
    if (!built.ok()) {
      out.got = "sandbox_error";
      out.detail = std::string(built.status().message());
      return out;
    }
    if (!built->ok()) {
      out.got = "compile_error";
      out.detail = absl::StrCat(built->error, "\n", built->diagnostics);
      return out;
    }
    artefact = built->artefact;
  }
  absl::StatusOr<sandbox::RunResult> run =
      runner.Run(runtime.language->RunSpecFor(source, artefact.get(), limits));
  if (!run.ok()) {
    out.got = "sandbox_error";
    out.detail = std::string(run.status().message());
    return out;
  }
  out.got = std::string(sandbox::RunStatusName(run->status));
  out.wall_ms = run->wall_ms;
  if (out.got != out.expected) {
    out.detail = absl::StrCat("exit_code ", run->exit_code, ", signal ", run->signal,
                              run->syscall >= 0 ? absl::StrCat(", syscall ", run->syscall_name)
                                                : "",
                              "\n", Utf8Tail(run->stderr_data, kStderrTailBytes));
  }
  return out;
}

}  // namespace

sandbox::Limits SelfTestLimits(const sandbox::Limits& runtime_limits, const std::string& name) {
  sandbox::Limits limits = runtime_limits;
  limits.cpu_time_ms = 1000;
  limits.wall_time_ms = name == "wall_timeout" ? 2000 : 20000;
  limits.max_output_bytes = 64 << 10;
  if (name == "memory_limit") {
    limits.memory_bytes = std::min<int64_t>(limits.memory_bytes, int64_t{512} << 20);
  }
  return limits;
}

std::vector<SelfTestResult> RunSelfTests(sandbox::Runner& runner, const RuntimeContext& runtime,
                                         const RuntimePolicy& policy,
                                         const std::vector<std::string>& names, int workers) {
  std::vector<std::pair<std::string, std::string>> todo;
  for (const auto& [name, source] : policy.self_test) {
    if (names.empty() || std::find(names.begin(), names.end(), name) != names.end()) {
      todo.emplace_back(name, source);
    }
  }
  std::vector<SelfTestResult> results(todo.size());
  {
    const int w = std::max(1, workers);
    WorkerPool pool(w, static_cast<size_t>(w) * 2);
    for (size_t i = 0; i < todo.size(); ++i) {
      pool.Submit([&, i] {
        results[i] = RunOne(runner, runtime, policy, todo[i].first, todo[i].second);
      });
    }
    pool.Finish();
  }
  return results;
}

}  // namespace fathom::grader
