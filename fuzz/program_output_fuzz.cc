// Fuzzes what a sandboxed program controls: its stdout, stderr and how it ended, read by
// the grader in assert mode (the harness record, grader/program.cc ParseHarnessRecord via
// DecideVerdict) and in I/O mode (the wire records, grader/io_mode.cc ParseIoRecords and
// DecideIoVerdict, which decode values with py_value.cc and judge them with
// evalplus_oracle.cc). Invariants: no output crashes the grader; every verdict serializes
// to JSON (results file, journal, cache) and reads back equal; a sandbox error is never
// blamed on a program that ran; a pass needs the run's nonce in stdout and a clean exit;
// I/O records have distinct non-negative indices.
//
// Input: byte 0 picks the run status and the entry point (which special oracle judges
// the values), byte 1 the exit code / signal, byte 2 flags; the rest is stdout, then
// stderr after the first "\xff\xff".
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "fuzz/fuzz_util.h"
#include "grader/iomode/io_mode.h"
#include "grader/formats/problems.h"
#include "grader/iomode/py_value.h"
#include "grader/pipeline/verdict.h"
#include "nlohmann/json.hpp"
#include "sandbox/run_spec.h"

namespace {

using fathom::grader::PyValue;
using Kind = PyValue::Kind;

// The nonce of the seeds (the fuzzer finds the markers from there and by comparison).
constexpr absl::string_view kNonce = "00112233445566778899aabbccddeeff";

struct Case {
  const char* entry_point;
  fathom::grader::ProblemFormat format;
  std::vector<std::string> base_inputs;
};

// Each special oracle of evalplus_oracle.h reads its inputs differently.
const Case kCases[] = {
    {"f", fathom::grader::ProblemFormat::kHumanEval, {"[1]", "[2.5, 3]", "[[1, 2], [3]]"}},
    {"find_zero", fathom::grader::ProblemFormat::kHumanEval, {"[[1, -2]]", "[[2, 0, -1]]", "[[]]"}},
    {"sum_div", fathom::grader::ProblemFormat::kMbppPlus, {"[8]", "[12]", "[7]"}},
    {"surface_Area", fathom::grader::ProblemFormat::kMbppPlus, {"[10, 5]", "[1, 1e308]", "[\"a\", 2]"}},
    {"digit_distance_nums", fathom::grader::ProblemFormat::kMbppPlus,
     {"[123, 256]", "[1, 99999999999999999999999]", "[Infinity, 2]"}},
    {"similar_elements", fathom::grader::ProblemFormat::kMbppPlus, {"[[1], [1]]", "[[], []]", "[0, 0]"}},
    {"check_str", fathom::grader::ProblemFormat::kMbppPlus, {"[\"a\"]", "[\"b\"]", "[\"\"]"}},
    {"are_equivalent", fathom::grader::ProblemFormat::kMbppPlus, {"[1]", "[2]", "[3]"}},
};

fathom::grader::IoOracle MakeOracle(const fathom::grader::Problem& problem) {
  return fathom::grader::IoOracleFromValues(
      problem,
      {PyValue::Int(42), PyValue::Float(1.0),
       PyValue::Container(Kind::kList, {PyValue::Str("a"), PyValue::None()})},
      {PyValue::Container(Kind::kFrozenSet, {PyValue::Int(1), PyValue::Int(2)}),
       PyValue::Container(Kind::kDict, {PyValue::Str("k"), PyValue::Float(0.5)})},
      {1000, 2000, 500}, {100, 3000000});
}

// The verdict as the results file, the journal and the cache write it, read back.
void CheckSerializes(const fathom::grader::Verdict& v) {
  std::string text;
  try {
    text = fathom::grader::VerdictToJson(v).dump();
  } catch (const nlohmann::json::exception& e) {
    std::fprintf(stderr, "dump: %s\n", e.what());
    FUZZ_CHECK(!"a verdict does not serialize");
  }
  absl::StatusOr<fathom::grader::Verdict> back =
      fathom::grader::VerdictFromJson(nlohmann::json::parse(text));
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(*back == v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const absl::string_view rest(reinterpret_cast<const char*>(data) + 3, size - 3);
  fathom::sandbox::RunResult run;
  run.status = static_cast<fathom::sandbox::RunStatus>(data[0] % 8);  // never kSandboxError
  run.exit_code = run.status == fathom::sandbox::RunStatus::kOk ? 0 : data[1];
  run.signal = run.status == fathom::sandbox::RunStatus::kSignaled ? data[1] % 65 : 0;
  run.cpu_ms = data[1] * 37;
  run.wall_ms = data[1] * 41;
  run.max_rss_kb = 1000;
  const size_t split = rest.find("\xff\xff");
  run.stdout_data = std::string(rest.substr(0, split));
  if (split != absl::string_view::npos) run.stderr_data = std::string(rest.substr(split + 2));
  run.stdout_truncated = (data[2] & 2) != 0;
  const bool nonce_in_stdout = run.stdout_data.find(kNonce.data(), 0, kNonce.size()) != std::string::npos;

  // Assert mode.
  fathom::grader::Verdict v = fathom::grader::DecideVerdict(run, kNonce);
  FUZZ_CHECK(v.status != fathom::grader::SampleStatus::kSandboxError);
  FUZZ_CHECK(v.passed == (v.status == fathom::grader::SampleStatus::kPassed));
  if (v.passed) FUZZ_CHECK(nonce_in_stdout && run.status == fathom::sandbox::RunStatus::kOk);
  FUZZ_CHECK(!v.result.empty());
  CheckSerializes(v);

  // I/O mode: the records, then the verdict.
  fathom::grader::IoRecords recs = fathom::grader::ParseIoRecords(run.stdout_data, kNonce);
  for (int g = 0; g < 2; ++g) {
    std::set<int64_t> seen;
    for (const auto& [index, rec] : recs.groups[g]) {
      FUZZ_CHECK(index >= 0 && seen.insert(index).second);
      FUZZ_CHECK(rec.kind == 'V' || rec.kind == 'W' || rec.kind == 'E' || rec.kind == 'T' ||
                 rec.kind == 'U');
    }
  }
  if (!recs.groups[0].empty() || !recs.groups[1].empty() || recs.setup_failed) {
    FUZZ_CHECK(nonce_in_stdout);
  }

  const Case& c = kCases[(data[0] >> 3) % std::size(kCases)];
  fathom::grader::Problem problem;
  problem.task_id = "Fuzz/0";
  problem.format = c.format;
  problem.entry_point = c.entry_point;
  problem.base_inputs = c.base_inputs;
  problem.plus_inputs = {"[0]", "[\"x\"]"};
  problem.has_inputs = true;
  problem.atol = (data[2] & 4) != 0 ? 1e-6 : 0;
  fathom::grader::IoSettings settings;
  settings.test_details = (data[2] & 1) != 0;
  const fathom::grader::IoOracle oracle = MakeOracle(problem);
  fathom::grader::Verdict io =
      fathom::grader::DecideIoVerdict(run, kNonce, problem, oracle, settings,
                                      (data[2] & 8) != 0 ? 200 : int64_t{1} << 20);
  FUZZ_CHECK(io.io);
  FUZZ_CHECK(io.status != fathom::grader::SampleStatus::kSandboxError);
  FUZZ_CHECK(!io.result.empty());
  if (io.passed) {
    FUZZ_CHECK(io.status == fathom::grader::SampleStatus::kPassed);
    FUZZ_CHECK(run.status == fathom::sandbox::RunStatus::kOk && nonce_in_stdout);
    FUZZ_CHECK(io.base_failed.empty() && io.plus_failed.empty());
  }
  CheckSerializes(io);
  return 0;
}
