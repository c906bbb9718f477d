// I/O mode: verdicts a wrong answer cannot forge.
//
// For problems that carry inputs (HumanEval+ and MBPP+ base_input / plus_input), the
// candidate's program runs in the sandbox under a harness (io_harness.py) that calls its
// entry point on every input and sends each return value back as plain data (py_value.h).
// The grader compares those values here, outside the sandbox, with the expected outputs,
// which never enter the candidate's process. So exit(0), frame walking, lying __eq__,
// monkeypatched builtins or a patched serializer can at most send a value the program
// could have returned: none of them turns a wrong answer into a pass.
//
// Expected outputs come from running the canonical solution once under the same harness
// (reference mode), sandboxed, and are cached on disk by problem-file hash, runtime
// fingerprint and CPU model (the per-input CPU times are measured there too).
//
// Per input: time limit max(min_time_limit, factor x the canonical's CPU time on that
// input) (EvalPlus's rule, with CPU time instead of wall time: a busy machine does not
// turn into false timeouts), enforced in the harness with a CPU timer; the whole run has
// start-up allowance + min(phase cap, sum of the input limits) per group as its sandbox
// CPU limit, the backstop for programs that swallow the timer.
// Groups: base then plus, in one run. A group stops at its first exception or timeout
// unless --test-details; wrong values are found afterwards, here (the harness cannot know
// them), so a wrong but quick answer runs every input. EvalPlus's statuses per group:
// pass, fail (a wrong value, an exception, an input's time limit, a crash), timeout (the
// run's CPU limit ended the group). A plus group counts only when its base group passed.
// Choices that differ from EvalPlus (documented in the README): one process for both
// groups (EvalPlus starts one per group), so a program that dies in base leaves plus
// `fail` (or `timeout`) without a second run; crashes are `fail`, not `timeout`.
//
// Thread safety: the free functions are pure except BuildIoOracles, which runs sandboxes
// on its own threads and returns when done. A built IoOracleSet is immutable.
#ifndef FATHOM_GRADER_IOMODE_IO_MODE_H_
#define FATHOM_GRADER_IOMODE_IO_MODE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grader/formats/problems.h"
#include "grader/iomode/evalplus_oracle.h"
#include "grader/iomode/py_value.h"
#include "grader/pipeline/cpu_model.h"
#include "grader/pipeline/runtime_context.h"
#include "grader/pipeline/verdict.h"
#include "sandbox/run_spec.h"
#include "sandbox/sandbox.h"

namespace fathom::grader {

enum class GradeMode {
  kAuto,    // I/O mode where the problem has inputs, assert mode elsewhere
  kAssert,  // human-eval's way: the problem's tests run inside the program
  kIo,      // every problem must have inputs
};
absl::StatusOr<GradeMode> ParseGradeMode(absl::string_view name);  // "auto" | "assert" | "io"
const char* GradeModeName(GradeMode mode);

// Whether `problem` is graded in I/O mode under `mode` (kIo on a problem without inputs
// is the caller's error to report).
bool UsesIoMode(GradeMode mode, const Problem& problem);

// Bumped whenever io_harness.py or the record format changes (part of cache keys).
inline constexpr int kIoHarnessVersion = 7;

// The format of the expected-outputs cache file (see BuildIoOracles).
inline constexpr int kIoExpectedFormatVersion = 2;

struct IoSettings {
  // EvalPlus's --min-time-limit (1 s) and --gt-time-limit-factor (4).
  int64_t min_time_limit_ms = 1000;
  double gt_time_limit_factor = 4.0;
  // EvalPlus caps one group's total at 60 s.
  int64_t group_cap_ms = 60000;
  // CPU for the interpreter, the harness, decoding the inputs and the program's own
  // imports (numpy alone takes ~0.3 s of CPU here), added to the run's limit once.
  int64_t startup_allowance_ms = 2000;
  // Every input runs even after a failure, and every failing input is listed.
  bool test_details = false;
};

// The groups of inputs, in the order they run.
enum IoGroup { kBase = 0, kPlus = 1 };
const char* IoGroupName(int group);  // "base", "plus"

// Bytes of wire text over which the harness sends an answer as its equality digest (a
// 'W' record, py_value.h) instead of the value: answers (and the expected outputs, which
// come the same way) stay small in the grader's memory however large the values are.
inline constexpr int64_t kIoDigestOverBytes = int64_t{64} << 10;

// One input's expected output, as kept: its equality digest always; the value itself only
// where EvalPlus's rule needs more than equality (evalplus_oracle.h NeedsExpectedValue).
struct IoExpected {
  std::array<char, 32> digest{};  // raw SHA-256 of the equality form
  uint32_t value_offset = 0;      // into IoOracle::values, when has_value
  uint32_t value_size = 0;
  bool has_form = true;    // false: the value equals nothing (a NaN inside)
  bool is_floats = false;  // EvalPlus's is_floats(exp)
  bool has_value = false;
};

// What the canonical solution returned, for one problem.
struct IoOracle {
  bool usable = false;   // false: the problem is graded in assert mode instead
  std::string failure;   // why not usable
  std::vector<IoExpected> expected[2];
  std::vector<int64_t> cpu_us[2];  // the canonical's CPU time per input
  std::string values;              // the kept values' wire texts, back to back
  // Candidates send every answer as a value (no digests): a task whose oracle computes
  // with answers, or one with a kept value too large for the digest threshold.
  bool full_values = false;
  // SHA-256 over the expected outputs, the CPU times, full_values and expected_bytes
  // (part of keys; checks cache lines).
  std::string digest;
  // The wire size of the canonical's answers, every one as a value (sizes the output
  // cap, which a digested answer counts at that size: see ParseIoRecords).
  int64_t expected_bytes = 0;

  size_t inputs(int group) const { return expected[group].size(); }
  // The wire text of a kept value.
  absl::string_view ValueWire(const IoExpected& e) const {
    return absl::string_view(values).substr(e.value_offset, e.value_size);
  }
};

// Makes an IoOracle from the canonical solution's answers, input by input and group by
// group (base first), as its reference run sent them. Not thread-safe.
class IoOracleBuilder {
 public:
  // `digest_over`: the threshold the reference run had (nullopt: none, every answer a value).
  IoOracleBuilder(const Problem& problem, std::optional<int64_t> digest_over);
  // An answer sent as a value ('V'). InvalidArgument: not a wire value.
  absl::Status AddValue(int group, absl::string_view wire, int64_t cpu_us);
  // An answer sent as its digest ('W'). InvalidArgument: a malformed payload.
  absl::Status AddDigest(int group, absl::string_view payload, int64_t cpu_us);
  // True when an input needs its value (NeedsExpectedValue) but only its digest came:
  // the reference has to run again without digests.
  bool needs_values() const { return needs_values_; }
  // The usable oracle.
  IoOracle Finish();

 private:
  absl::Status Add(int group, absl::string_view digest, bool has_form, bool is_floats,
                   absl::string_view wire, int64_t wire_bytes, int64_t cpu_us);
  const Problem& problem_;
  const std::optional<int64_t> digest_over_;
  IoOracle oracle_;
  bool atol_may_be_set_[2] = {false, false};
  int64_t largest_kept_ = 0;
  bool needs_values_ = false;
};

// The oracle IoOracleBuilder makes when the canonical solution answers `base` and `plus`
// with these values (each sent as a value) at these CPU times (one per value): for tests
// and fuzzers.
IoOracle IoOracleFromValues(const Problem& problem, const std::vector<PyValue>& base,
                            const std::vector<PyValue>& plus,
                            const std::vector<int64_t>& base_cpu_us,
                            const std::vector<int64_t>& plus_cpu_us);

// The harness's digest threshold for the candidates of `oracle` (nullopt: none).
std::optional<int64_t> IoDigestOver(const IoOracle& oracle);

struct IoOracleSet {
  std::vector<IoOracle> oracles;  // ProblemSet order; unused entries stay !usable
  std::string digest;             // over every usable oracle (journal fingerprint)
  bool cached = false;            // nothing had to be measured
  double measure_s = 0;
  std::string cache_path;         // empty: no cache directory
  std::vector<std::string> unusable_tasks;
};

struct IoBuildOptions {
  std::string cache_dir;            // empty: no cache file
  std::string runtime_fingerprint;  // RuntimeContext::fingerprint
  sandbox::Limits limits;           // the grading limits; CPU and output caps replaced
  // The CPU model in the cache key (the per-input CPU times are measured on it): this
  // machine's, or the one `fathom prepare` measured on.
  std::string machine = CpuModel();
  int workers = 1;
  std::set<std::string> task_ids;   // the problems to build (their ids)
  std::ostream* log = nullptr;      // one line per event; null: std::cerr
};

// CPU cap of one reference run (the heaviest HumanEval+ canonical needs ~17 s).
inline constexpr int64_t kReferenceCpuCapMs = 120000;

// The expected outputs of options.task_ids: read from the cache file where present,
// the rest measured on `runner` (at most `workers` runs at once) and added to the file.
// Never fails: a canonical solution that does not run is logged and left !usable.
IoOracleSet BuildIoOracles(const ProblemSet& problems, sandbox::Runner& runner,
                           const RuntimeContext& runtime, const IoBuildOptions& options);

// The tasks among `task_ids` that `mode` grades in I/O mode. Under kIo every one of them
// must have inputs: FailedPrecondition names the first that has none and where it is
// (problems.path:line), since `--mode io` promises I/O verdicts.
absl::StatusOr<std::set<std::string>> IoModeTasks(const ProblemSet& problems, GradeMode mode,
                                                  const std::set<std::string>& task_ids);

// Under kIo, FailedPrecondition names the first of `io_tasks` whose expected outputs
// could not be built (with why), so that no task silently falls back to assert mode;
// OK under the other modes.
absl::Status CheckIoOracles(const ProblemSet& problems, GradeMode mode,
                            const IoOracleSet& oracles, const std::set<std::string>& io_tasks);

// The per-input CPU limits of one group.
std::vector<int64_t> IoInputLimitsMs(const IoOracle& oracle, int group,
                                     const IoSettings& settings);

// The run limits of a candidate: `base` with the CPU limit from the input limits (kept
// as given when `fixed_cpu`) and the output cap raised to fit the expected values.
sandbox::Limits IoRunLimits(const IoOracle& oracle, const IoSettings& settings,
                            sandbox::Limits base, bool fixed_cpu);

// The solution EvalPlus evaluates for a sample: `code` itself when it is a solution, else
// the problem's prompt followed by the completion.
std::string IoSolutionCode(const Problem& problem, absl::string_view code, bool is_solution);

// The file the sandbox runs: the harness around `solution`, with the problem's inputs.
// `oracle` null: reference mode (no limits; "is not None" oracles project their outputs;
// answers over `reference_digest_over` bytes sent as digests, nullopt: none).
// Deterministic: the same arguments give the same text.
std::string IoProgram(const Problem& problem, absl::string_view solution,
                      const IoOracle* oracle, const IoSettings& settings,
                      std::optional<int64_t> reference_digest_over = kIoDigestOverBytes);

// One record the harness sent; `payload` points into the data it was parsed from.
struct IoRecord {
  char kind = 0;        // 'V', 'W', 'E', 'T', 'U'
  int64_t cpu_us = 0;
  absl::string_view payload;
};
struct IoRecords {
  bool setup_failed = false;  // 'X': the program raised before any call
  std::string setup_payload;
  std::vector<std::pair<int64_t, IoRecord>> groups[2];  // (index, record), first per index
  bool group_done[2] = {false, false};
  bool all_done = false;
  // The stream, with every 'W' answer counted at its value's size, went over the output
  // cap: the run ends there, as an output_limit (see ParseIoRecords).
  bool output_cut = false;
  std::string trace;  // 'Z''s payload: the harness's phase points, when traced (phase_trace.h)
};
// The records in `stdout_data` marked with `nonce`; parsing stops at the first malformed
// one (what came before counts). The records point into `stdout_data`, which must
// outlive them.
// `output_cap` > 0: the run's output cap (max_output_bytes). An answer sent as a digest
// ('W') counts at the size its value would have taken on the channel, so that a run
// stops where the same run with every answer sent as a value would have been cut by
// the sandbox: the records from there on are dropped and output_cut is set. Digests
// save the grader's memory; they change no verdict.
IoRecords ParseIoRecords(absl::string_view stdout_data, absl::string_view nonce,
                         int64_t output_cap = 0);

// ParseIoRecords a piece at a time, for a stream that only grows (a running program's
// stdout): ParseIoRecords(data) is Finish(data) on a new parser, and Feed on successive
// prefixes of data yields the same records in the same order.
class IoRecordParser {
 public:
  IoRecordParser(absl::string_view nonce, int64_t output_cap);
  // `data`: the whole stream so far (what the last call saw, and maybe more). Appends to
  // *out the records completed since the last call (they point into `data`) and sets
  // its flags; false once parsing has stopped for good (a malformed record, or the
  // stream went over the cap: output_cut).
  bool Feed(absl::string_view data, IoRecords* out);
  // The end of the stream: Feed, then the cap check of the whole stream.
  void Finish(absl::string_view data, IoRecords* out);

 private:
  std::string marker_;
  int64_t cap_;
  int64_t extra_ = 0;  // how much longer the stream would be with 'W' answers as values
  size_t pos_ = 0;     // where the next record is looked for
  bool stopped_;
  std::set<std::pair<int, int64_t>> seen_;
};

// For RunSpec::stop_when: true once the run's stdout holds a failed plus answer (in
// input order, as DecideIoVerdict reads them) after the base group's end. EvalPlus
// stops a group at its first failure, and so does DecideIoVerdict without test
// details: with base decided and a plus input failed, nothing the run does later can
// change the verdict, so the grader stops it instead of letting it call every input
// left (a wrong answer on a slow task cost as much as a right one). Base failures do
// not stop a run: plus_status is reported too. Null (never stop) with test_details.
// The problem and oracle must outlive the function.
std::function<bool(absl::string_view)> IoEarlyStop(absl::string_view nonce,
                                                   const Problem& problem,
                                                   const IoOracle& oracle,
                                                   const IoSettings& settings,
                                                   int64_t output_cap);

// The verdict of a candidate run whose stdin carried `nonce` and whose output cap was
// `output_cap` (see the header comment and ParseIoRecords).
Verdict DecideIoVerdict(const absl::StatusOr<sandbox::RunResult>& run, absl::string_view nonce,
                        const Problem& problem, const IoOracle& oracle,
                        const IoSettings& settings, int64_t output_cap);

// The dataset whose special oracles apply to `problem`.
EvalPlusDataset DatasetOf(const Problem& problem);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_IOMODE_IO_MODE_H_
