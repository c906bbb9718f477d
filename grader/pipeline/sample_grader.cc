// Sample -> program, and one decided run.
#include "grader/pipeline/sample_grader.h"

#include "absl/strings/str_cat.h"
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
  return DecideIoVerdict(runner.Run(spec), nonce, problem, oracle, settings);
}

GradedSample MakeGradedSample(const Problem& problem, absl::string_view code, bool is_solution,
                              ExtractMode extract, const std::vector<std::string>& stops,
                              const IoOracle* oracle, const IoSettings& settings,
                              absl::string_view runtime_fingerprint,
                              const sandbox::Limits& limits) {
  GradedSample out;
  if (oracle == nullptr) {
    out.program = SampleProgram(problem, code, is_solution, extract, stops);
    out.key = ProgramKey(runtime_fingerprint, limits, out.program);
    return out;
  }
  out.program = IoProgram(
      problem, IoSolutionCode(problem, Extract(code, extract, stops), is_solution), oracle,
      settings);
  out.key = ProgramKey(absl::StrCat(runtime_fingerprint, "\x1fio-oracle=", oracle->digest),
                       limits, out.program);
  return out;
}

Verdict RunAndDecideSample(sandbox::Runner& runner, sandbox::RunSpec spec,
                           const Problem* problem, const IoOracle* oracle,
                           const IoSettings& settings) {
  if (oracle == nullptr) return RunAndDecide(runner, std::move(spec));
  return RunAndDecideIo(runner, std::move(spec), *problem, *oracle, settings);
}

}  // namespace fathom::grader
