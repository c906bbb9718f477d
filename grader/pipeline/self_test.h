// Self-tests of a runtime (`fathom runtimes --self-test`, `fathom doctor`): the programs
// its policy declares (`self_test:`, docs/languages.md), run through the same path as
// graded samples, so that a broken toolchain, a missing header or a profile that kills a
// language's normal start-up is caught before a run scores 0 (MultiPL-E's --testing idea).
//
//   pass, fail   compiled when the language compiles, run, and decided by the runtime's
//                verdict rule (Python's in its harness): must be passed / failed;
//   <status>     compiled, then run as it is under kSelfTestLimits: must end with exactly
//                that sandbox status (ok, nonzero_exit, signaled, cpu_timeout, ...).
//                memory_limit is skipped without the cgroup layer: RLIMIT_DATA stands in,
//                and a program sees its allocations fail (each language ends its own way)
//                rather than the status.
//
// Thread safety: RunSelfTests runs its own threads and returns when they are done.
#ifndef FATHOM_GRADER_PIPELINE_SELF_TEST_H_
#define FATHOM_GRADER_PIPELINE_SELF_TEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "grader/pipeline/runtime_context.h"
#include "grader/policy/policy.h"
#include "sandbox/sandbox.h"

namespace fathom::grader {

// Limits of the status program `name`: small, so that the timeouts and floods end
// quickly, and never tight enough for a loaded machine to change a status. 1 s of CPU,
// 64 KiB of output; a 20 s wall backstop (only the sleeper of wall_timeout gets 2 s: it
// uses no CPU, so load cannot make it end otherwise); memory the runtime's, at most
// 512 MiB for memory_limit (reached sooner, so not taken for a CPU or wall timeout).
sandbox::Limits SelfTestLimits(const sandbox::Limits& runtime_limits, const std::string& name);

struct SelfTestResult {
  std::string name;      // "pass", "fail", "cpu_timeout", ...
  std::string expected;  // "passed", "failed", or the sandbox status
  std::string got;       // the same vocabulary; "compile_error", "sandbox_error" too
  std::string detail;    // when !ok: the diagnostics, stderr or sandbox error
  int64_t wall_ms = 0;   // the run's (compile excluded)
  // Why the test was not run (a status the active layers cannot produce); "" when it ran.
  std::string skipped;
  bool ok() const { return !skipped.empty() || expected == got; }
};

// Runs the `names` of `policy.self_test` (all when empty) with `runtime` (the context of
// that policy's runtime) through `runner`, `workers` at a time, in policy order.
std::vector<SelfTestResult> RunSelfTests(sandbox::Runner& runner, const RuntimeContext& runtime,
                                         const RuntimePolicy& policy,
                                         const std::vector<std::string>& names, int workers);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_SELF_TEST_H_
