// Sample -> program, and one decided run.
#include "grader/pipeline/sample_grader.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "grader/formats/humanevalx.h"
#include "grader/formats/utf8.h"
#include "grader/pipeline/compile_cache.h"
#include "grader/pipeline/language.h"
#include "grader/pipeline/program.h"
#include "grader/pipeline/result_cache.h"

namespace fathom::grader {

std::string SampleProgram(const Problem& problem, absl::string_view code, bool is_solution,
                          ExtractMode extract, const std::vector<std::string>& stops,
                          VerdictRule rule) {
  const std::string extracted = Extract(code, extract, stops);
  if (rule == VerdictRule::kExitStatus) return NativeProgram(problem, extracted, is_solution);
  return WrapInHarness(AssertProgram(problem, extracted, is_solution));
}

VerdictRule RuleOf(const RuntimeContext& runtime) {
  return runtime.language != nullptr ? runtime.language->rule() : VerdictRule::kHarness;
}

RequireSilence SilenceOf(const RuntimeContext& runtime) {
  return runtime.language != nullptr ? runtime.language->silence() : RequireSilence{};
}

Verdict RunAndDecide(sandbox::Runner& runner, sandbox::RunSpec spec) {
  AddHarnessFile(&spec);
  std::string nonce = NewNonce();
  spec.has_stdin = true;
  spec.stdin_data = nonce + (spec.trace_phases ? " trace\n" : "\n");
  return DecideVerdict(runner.Run(spec), nonce);
}

Verdict RunAndDecideIo(sandbox::Runner& runner, sandbox::RunSpec spec, const Problem& problem,
                       const IoOracle& oracle, const IoSettings& settings) {
  AddHarnessFile(&spec);
  std::string nonce = NewNonce();
  spec.has_stdin = true;
  spec.stdin_data = nonce + (spec.trace_phases ? " trace\n" : "\n");
  const int64_t output_cap = spec.limits.max_output_bytes;
  spec.stop_when = IoEarlyStop(nonce, problem, oracle, settings, output_cap);
  return DecideIoVerdict(runner.Run(spec), nonce, problem, oracle, settings, output_cap);
}

GradedSample MakeGradedSample(const Problem& problem, const SampleCode& code,
                              const SampleMode& mode, absl::string_view runtime_fingerprint,
                              const sandbox::Limits& limits, VerdictRule rule,
                              RequireSilence silence) {
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
  out.rule = rule;
  if (rule == VerdictRule::kExitStatus) {
    out.silence = HumanEvalXQuietPass(problem)
                      ? silence.Or({.on_stdout = true, .on_stderr = true})
                      : silence;
  }
  out.program = SampleProgram(problem, code.code, code.is_solution, code.extract, stops, rule);
  // The same program text decided by another rule is another verdict. (Both streams keep
  // the key HumanEval-X's JavaScript had before a runtime could ask for silence.)
  const char* silence_key = out.silence.on_stdout && out.silence.on_stderr ? "\x1fquiet-pass"
                            : out.silence.on_stderr                        ? "\x1fquiet-stderr"
                            : out.silence.on_stdout                        ? "\x1fquiet-stdout"
                                                                           : "";
  out.key = ProgramKey(absl::StrCat(runtime_fingerprint, silence_key), limits, out.program);
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
  if (sample.rule == VerdictRule::kExitStatus) {
    return DecideExitVerdict(runner.Run(spec), sample.silence);
  }
  return RunAndDecide(runner, std::move(spec));
}

Verdict RunGradedSample(sandbox::Runner& runner, const RuntimeContext& runtime,
                        const GradedSample& sample, std::shared_ptr<sandbox::CancelToken> cancel,
                        bool trace_phases) {
  std::optional<CompileStep> step;
  if (runtime.language != nullptr) step = runtime.language->Compile(sample.program);
  if (!step) {
    sandbox::RunSpec spec = runtime.make_spec(sample.program, sample.limits);
    spec.cancel = std::move(cancel);
    spec.trace_phases = trace_phases;
    return RunAndDecideSample(runner, std::move(spec), sample);
  }
  absl::StatusOr<CompileOutcome> built =
      runtime.compile_cache != nullptr
          ? runtime.compile_cache->Compile(runner, runtime.fingerprint, *std::move(step), cancel)
          : CompileProgram(runner, *std::move(step), cancel);
  if (!built.ok()) return DecideVerdict(built.status(), "");
  if (!built->ok()) {
    Verdict v = CompileErrorVerdict(*built);
    v.compile_cpu_ms = built->cpu_ms;
    return v;
  }
  sandbox::RunSpec spec =
      runtime.language->RunSpecFor(sample.program, built->artefact.get(), sample.limits);
  spec.cancel = std::move(cancel);
  spec.trace_phases = trace_phases;
  Verdict v = RunAndDecideSample(runner, std::move(spec), sample);  // the artefact outlives it
  v.compile_cpu_ms = built->cpu_ms;
  return v;
}

Verdict RunProgram(sandbox::Runner& runner, const RuntimeContext& runtime, std::string program,
                   const sandbox::Limits& limits, std::shared_ptr<sandbox::CancelToken> cancel) {
  GradedSample sample;
  sample.program = std::move(program);
  sample.limits = limits;
  sample.mode = AssertMode{};
  sample.rule = RuleOf(runtime);
  if (sample.rule == VerdictRule::kExitStatus) sample.silence = SilenceOf(runtime);
  return RunGradedSample(runner, runtime, sample, std::move(cancel));
}

}  // namespace fathom::grader
