// Sample -> program, and one decided run.
#include "grader/pipeline/sample_grader.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "grader/formats/utf8.h"
#include "grader/pipeline/language.h"
#include "grader/pipeline/program.h"
#include "grader/pipeline/result_cache.h"

namespace fathom::grader {

std::string SampleProgram(const Problem& problem, absl::string_view code, bool is_solution,
                          ExtractMode extract, const std::vector<std::string>& stops) {
  return WrapInHarness(AssertProgram(problem, Extract(code, extract, stops), is_solution));
}

Verdict RunAndDecide(sandbox::Runner& runner, sandbox::RunSpec spec) {
  std::string nonce = NewNonce();
  spec.has_stdin = true;
  spec.stdin_data = nonce + "\n";
  return DecideVerdict(runner.Run(spec), nonce);
}

Verdict RunAndDecideIo(sandbox::Runner& runner, sandbox::RunSpec spec, const Problem& problem,
                       const IoOracle& oracle, const IoSettings& settings) {
  std::string nonce = NewNonce();
  spec.has_stdin = true;
  spec.stdin_data = nonce + "\n";
  const int64_t output_cap = spec.limits.max_output_bytes;
  return DecideIoVerdict(runner.Run(spec), nonce, problem, oracle, settings, output_cap);
}

GradedSample MakeGradedSample(const Problem& problem, const SampleCode& code,
                              const SampleMode& mode, absl::string_view runtime_fingerprint,
                              const sandbox::Limits& limits) {
  static const std::vector<std::string> kNoStops;
  const std::vector<std::string>& stops = code.stops != nullptr ? *code.stops : kNoStops;
  GradedSample out;
  out.limits = limits;
  out.mode = mode;
  if (const IoMode* io = std::get_if<IoMode>(&mode)) {
    out.problem = &problem;
    out.program = IoProgram(
        problem, IoSolutionCode(problem, Extract(code.code, code.extract, stops), code.is_solution),
        io->oracle, io->settings);
    out.key = ProgramKey(absl::StrCat(runtime_fingerprint, "\x1fio-oracle=", io->oracle->digest),
                         limits, out.program);
    return out;
  }
  out.program = SampleProgram(problem, code.code, code.is_solution, code.extract, stops);
  out.key = ProgramKey(runtime_fingerprint, limits, out.program);
  return out;
}

namespace {

Verdict CompileErrorVerdict(const CompileOutcome& outcome) {
  Verdict v;
  v.status = SampleStatus::kCompileError;
  v.result = SanitizeUtf8(absl::StrCat("failed: compile error: ", outcome.error));
  v.stderr_tail = outcome.diagnostics;
  return v;
}

}  // namespace

Verdict RunAndDecideSample(sandbox::Runner& runner, sandbox::RunSpec spec,
                           const GradedSample& sample) {
  if (const IoMode* io = std::get_if<IoMode>(&sample.mode)) {
    return RunAndDecideIo(runner, std::move(spec), *sample.problem, *io->oracle, io->settings);
  }
  return RunAndDecide(runner, std::move(spec));
}

Verdict RunGradedSample(sandbox::Runner& runner, const RuntimeContext& runtime,
                        const GradedSample& sample, std::shared_ptr<sandbox::CancelToken> cancel) {
  std::optional<CompileStep> step;
  if (runtime.language != nullptr) step = runtime.language->Compile(sample.program);
  if (!step) {
    sandbox::RunSpec spec = runtime.make_spec(sample.program, sample.limits);
    spec.cancel = std::move(cancel);
    return RunAndDecideSample(runner, std::move(spec), sample);
  }
  absl::StatusOr<CompileOutcome> built = CompileProgram(runner, *std::move(step), cancel);
  if (!built.ok()) return DecideVerdict(built.status(), "");
  if (!built->ok()) return CompileErrorVerdict(*built);
  sandbox::RunSpec spec =
      runtime.language->RunSpecFor(sample.program, built->artefact.get(), sample.limits);
  spec.cancel = std::move(cancel);
  return RunAndDecideSample(runner, std::move(spec), sample);  // the artefact outlives it
}

}  // namespace fathom::grader
