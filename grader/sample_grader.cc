// Sample -> program, and one decided run.
#include "grader/sample_grader.h"

#include "grader/program.h"

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

}  // namespace fathom::grader
