// I/O mode: programs, records, expected outputs and verdicts.
#include "grader/iomode/io_mode.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "grader/formats/line_reader.h"
#include "grader/formats/sha256.h"
#include "grader/formats/utf8.h"
#include "grader/pipeline/cpu_model.h"
#include "grader/pipeline/phase_trace.h"
#include "grader/pipeline/program.h"
#include "grader/pipeline/result_cache.h"
#include "grader/pipeline/scheduler.h"
#include "nlohmann/json.hpp"

namespace fathom::grader {


namespace {

using Clock = std::chrono::steady_clock;

// EvalPlus's MBPP+ loader rebuilds tuples, sets and complex numbers that JSON cannot hold,
// per task; io_harness.py has the rules by name.
const char* ConversionRule(const Problem& problem) {
  if (problem.format != ProblemFormat::kMbppPlus) return "";
  absl::string_view id = problem.task_id;
  size_t slash = id.rfind('/');
  int n = 0;
  if (!absl::SimpleAtoi(id.substr(slash == absl::string_view::npos ? 0 : slash + 1), &n)) {
    return "";
  }
  struct Rule {
    const char* name;
    std::vector<int> tasks;
  };
  static const Rule kRules[] = {
      {"each_arg_tuple", {2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560,
                          579, 596, 616, 630, 726, 740, 744, 809}},
      {"each_arg_items_tuple", {63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473,
                                614, 780}},
      {"first_arg_items_tuple", {75, 413, 444, 753}},
      {"second_arg_tuple", {106, 750}},
      {"first_arg_items_set", {115}},
      {"float_complex", {124}},
      {"first_arg_tuple", {250, 405, 446, 617, 720, 763, 808, 307}},
      {"each_arg_tuple_of_tuples", {259, 401, 445}},
      {"first_arg_tuple_of_items", {278}},
      {"first_arg_dict_values_tuple", {722}},
      {"complex", {252}},
      {"deep_tuple", {580, 615, 791}},
  };
  for (const Rule& r : kRules) {
    if (std::find(r.tasks.begin(), r.tasks.end(), n) != r.tasks.end()) return r.name;
  }
  return "";
}

std::string JoinInputs(const std::vector<std::string>& inputs) {
  return absl::StrCat("[", absl::StrJoin(inputs, ","), "]");
}

int64_t InputCount(const IoOracle& o) { return o.expected[0].size() + o.expected[1].size(); }

// The E/X payload: type name, newline, message.
void SplitException(absl::string_view payload, std::string* type, std::string* message) {
  size_t nl = payload.find('\n');
  *type = SanitizeUtf8(payload.substr(0, nl));
  *message = nl == absl::string_view::npos ? "" : SanitizeUtf8(payload.substr(nl + 1));
}

int64_t Digits(int64_t n) { return static_cast<int64_t>(absl::StrCat(n).size()); }

// 32 raw bytes from 64 lowercase hex digits; nullopt for anything else.
std::optional<std::string> RawFromHex(absl::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  return absl::HexStringToBytes(hex);
}

// A 'W' payload: "DIGEST WIRE_BYTES FLOATS" (io_harness.py).
struct DigestRecord {
  std::optional<std::string> digest;  // raw; nullopt: the value equals nothing
  int64_t wire_bytes = 0;
  bool is_floats = false;
};
std::optional<DigestRecord> ParseDigestRecord(absl::string_view payload) {
  std::vector<absl::string_view> f = absl::StrSplit(payload, ' ');
  DigestRecord r;
  if (f.size() != 3 || (f[2] != "F" && f[2] != "-") ||
      !absl::SimpleAtoi(f[1], &r.wire_bytes) || r.wire_bytes < 0) {
    return std::nullopt;
  }
  r.is_floats = f[2] == "F";
  if (f[0] != "-") {
    r.digest = RawFromHex(f[0]);
    if (!r.digest) return std::nullopt;
  }
  return r;
}

// The raw equality digest of a wire value; nullopt inside when it equals nothing.
absl::StatusOr<std::optional<std::string>> RawDigest(absl::string_view wire) {
  absl::StatusOr<std::optional<std::string>> hex = EqualityDigest(wire);
  if (!hex.ok() || !hex->has_value()) return hex;
  return std::optional<std::string>(absl::HexStringToBytes(**hex));
}

bool SameDigest(const std::optional<std::string>& raw, const IoExpected& e) {
  return raw.has_value() && e.has_form &&
         absl::string_view(*raw) == absl::string_view(e.digest.data(), e.digest.size());
}

// EvalPlus's rule on one answer ('V' or 'W' record) against a kept expected output;
// nullopt when the answer cannot be read. Values are decoded only where the rule needs
// them: otherwise equality is the digests'.
std::optional<bool> Accepts(OracleState& state, absl::string_view input_json,
                            const IoRecord& rec, const IoOracle& oracle, const IoExpected& e) {
  std::optional<PyValue> exp;
  if (e.has_value) {
    absl::StatusOr<PyValue> v = DecodePyValue(oracle.ValueWire(e));
    if (v.ok()) exp = *std::move(v);  // checked when kept or loaded
  }
  std::optional<PyValue> out;
  bool exact = false;
  if (rec.kind == 'W') {
    std::optional<DigestRecord> d = ParseDigestRecord(rec.payload);
    if (!d) return std::nullopt;
    exact = SameDigest(d->digest, e);
  } else if (exp || NeedsAnswerValue(state.dataset, state.entry_point)) {
    absl::StatusOr<PyValue> v = DecodePyValue(rec.payload);
    if (!v.ok()) return std::nullopt;
    out = *std::move(v);
    if (exp) {
      exact = PyEquals(*out, *exp);
    } else {
      absl::StatusOr<std::optional<std::string>> d = RawDigest(rec.payload);
      exact = d.ok() && SameDigest(*d, e);
    }
  } else {
    absl::StatusOr<std::optional<std::string>> d = RawDigest(rec.payload);
    if (!d.ok()) return std::nullopt;
    exact = SameDigest(*d, e);
  }
  return EvalPlusAccepts(state, OracleInput{input_json, out ? &*out : nullptr,
                                            exp ? &*exp : nullptr, exact, e.is_floats});
}

// One failing input: what the sample's status and result say when it is the first.
struct Failure {
  int group = 0;
  int64_t index = 0;
  SampleStatus status = SampleStatus::kFailed;
  std::string why;
};

}  // namespace

absl::StatusOr<GradeMode> ParseGradeMode(absl::string_view name) {
  if (name == "auto") return GradeMode::kAuto;
  if (name == "assert") return GradeMode::kAssert;
  if (name == "io") return GradeMode::kIo;
  return absl::InvalidArgumentError(
      absl::StrCat("expected io, assert or auto, got \"", name, "\""));
}

const char* GradeModeName(GradeMode mode) {
  switch (mode) {
    case GradeMode::kAuto:
      return "auto";
    case GradeMode::kAssert:
      return "assert";
    case GradeMode::kIo:
      return "io";
  }
  return "?";
}

bool UsesIoMode(GradeMode mode, const Problem& problem) {
  return mode != GradeMode::kAssert && problem.has_io() && !problem.entry_point.empty();
}

absl::StatusOr<std::set<std::string>> IoModeTasks(const ProblemSet& problems, GradeMode mode,
                                                  const std::set<std::string>& task_ids) {
  std::set<std::string> io_tasks;
  for (const std::string& id : task_ids) {
    const Problem* p = problems.Find(id);
    if (p == nullptr) continue;
    if (UsesIoMode(mode, *p)) {
      io_tasks.insert(id);
    } else if (mode == GradeMode::kIo) {
      return absl::FailedPreconditionError(
          absl::StrCat("--mode io: ", id, " (", problems.path, ":", p->line,
                       ") has no inputs (base_input); use --mode auto or assert"));
    }
  }
  return io_tasks;
}

absl::Status CheckIoOracles(const ProblemSet& problems, GradeMode mode,
                            const IoOracleSet& oracles, const std::set<std::string>& io_tasks) {
  if (mode != GradeMode::kIo) return absl::OkStatus();
  for (const std::string& id : io_tasks) {
    const IoOracle& o = oracles.oracles[problems.by_id.at(id)];
    if (!o.usable) {
      return absl::FailedPreconditionError(
          absl::StrCat("--mode io: ", id, ": no expected outputs (",
                       o.failure.empty() ? "not measured" : o.failure,
                       "); raise --limit or use --mode auto, which grades such tasks in "
                       "assert mode"));
    }
  }
  return absl::OkStatus();
}

const char* IoGroupName(int group) { return group == kBase ? "base" : "plus"; }

EvalPlusDataset DatasetOf(const Problem& problem) {
  return problem.format == ProblemFormat::kMbppPlus ? EvalPlusDataset::kMbpp
                                                    : EvalPlusDataset::kHumanEval;
}

std::vector<int64_t> IoInputLimitsMs(const IoOracle& oracle, int group,
                                     const IoSettings& settings) {
  std::vector<int64_t> out;
  out.reserve(oracle.cpu_us[group].size());
  for (int64_t us : oracle.cpu_us[group]) {
    auto scaled = static_cast<int64_t>(settings.gt_time_limit_factor * static_cast<double>(us) /
                                       1000.0) + 1;
    out.push_back(std::max(settings.min_time_limit_ms, scaled));
  }
  return out;
}

sandbox::Limits IoRunLimits(const IoOracle& oracle, const IoSettings& settings,
                            sandbox::Limits base, bool fixed_cpu) {
  if (!fixed_cpu) {
    int64_t cpu = settings.startup_allowance_ms;
    for (int g = 0; g < 2; ++g) {
      int64_t sum = 0;
      for (int64_t ms : IoInputLimitsMs(oracle, g, settings)) sum += ms;
      cpu += std::min(settings.group_cap_ms, sum);
    }
    base.cpu_time_ms = cpu;
    base.wall_time_ms = 0;  // derived from the CPU limit
  }
  // Room for the answers: twice the expected values' size (a wrong answer may be bigger)
  // plus the record headers; a flood beyond it is an output_limit.
  base.max_output_bytes = std::max(
      base.max_output_bytes, 2 * oracle.expected_bytes + 96 * InputCount(oracle) + (1 << 20));
  return base;
}

std::string IoSolutionCode(const Problem& problem, absl::string_view code, bool is_solution) {
  return is_solution ? std::string(code) : absl::StrCat(problem.prompt, code);
}

std::string IoProgram(const Problem& problem, absl::string_view solution,
                      const IoOracle* oracle, const IoSettings& settings,
                      std::optional<int64_t> reference_digest_over) {
  const bool reference = oracle == nullptr;
  const std::optional<int64_t> digest_over =
      reference ? reference_digest_over : IoDigestOver(*oracle);
  nlohmann::json config{
      {"entry", problem.entry_point},
      {"reference", reference},
      {"details", settings.test_details},
      {"not_none", IsNotNoneOracle(DatasetOf(problem), problem.entry_point)},
      {"convert", ConversionRule(problem)},
      {"limits_ms", nullptr},
      {"digest_over", digest_over ? nlohmann::json(*digest_over) : nlohmann::json(nullptr)},
  };
  if (!reference) {
    config["limits_ms"] = {{"base", IoInputLimitsMs(*oracle, kBase, settings)},
                           {"plus", IoInputLimitsMs(*oracle, kPlus, settings)}};
  }
  std::string base = JoinInputs(problem.base_inputs), plus = JoinInputs(problem.plus_inputs);
  std::string out;
  AppendHarnessBootstrap(&out);
  out.reserve(out.size() + solution.size() + base.size() + plus.size() + 256);
  out.append("_fathom_h._fathom_io(");
  AppendPythonStringLiteral(solution, &out);
  out.append(", ");
  AppendPythonStringLiteral(config.dump(), &out);
  out.append(", ");
  AppendPythonStringLiteral(base, &out);
  out.append(", ");
  AppendPythonStringLiteral(plus, &out);
  out.append(")\n");
  return out;
}

IoRecordParser::IoRecordParser(absl::string_view nonce, int64_t output_cap)
    : marker_(absl::StrCat("\n#", nonce, " ")), cap_(output_cap), stopped_(nonce.empty()) {}

bool IoRecordParser::Feed(absl::string_view data, IoRecords* out) {
  while (!stopped_) {
    size_t at = data.find(marker_, pos_);
    if (at == absl::string_view::npos) return true;  // the next record has not begun
    size_t head_begin = at + marker_.size();
    size_t head_end = data.find('\n', head_begin);
    if (head_end == absl::string_view::npos) return true;  // its header is not complete
    std::vector<absl::string_view> f =
        absl::StrSplit(data.substr(head_begin, head_end - head_begin), ' ');
    int64_t index = 0, cpu_us = 0;
    uint64_t len = 0;
    if (f.size() != 5 || f[2].size() != 1 || !absl::SimpleAtoi(f[1], &index) ||
        !absl::SimpleAtoi(f[3], &cpu_us) || !absl::SimpleAtoi(f[4], &len)) {
      stopped_ = true;  // malformed: what came before counts
      break;
    }
    if (len > data.size() - head_end - 1) return true;  // its payload is not complete
    absl::string_view payload = data.substr(head_end + 1, len);
    const size_t end = head_end + 1 + len;
    const char kind = f[2][0];
    if (cap_ > 0) {
      int64_t longer = 0;
      if (kind == 'W') {
        if (std::optional<DigestRecord> d = ParseDigestRecord(payload)) {
          longer = std::max<int64_t>(0, Digits(d->wire_bytes) + d->wire_bytes -
                                            Digits(static_cast<int64_t>(len)) -
                                            static_cast<int64_t>(len));
        }
      }
      if (static_cast<int64_t>(end) + extra_ + longer > cap_) {
        out->output_cut = true;  // the sandbox would have cut the stream before its end
        stopped_ = true;
        break;
      }
      extra_ += longer;
    }
    pos_ = end;
    int group = f[0] == "base" ? kBase : f[0] == "plus" ? kPlus : -1;
    if (group < 0) {
      if (kind == 'X' && !out->setup_failed) {
        out->setup_failed = true;
        out->setup_payload = std::string(payload);
      } else if (kind == 'Z') {
        out->all_done = true;
        out->trace = std::string(payload);
      }
      continue;
    }
    if (kind == 'D') {
      out->group_done[group] = true;
      continue;
    }
    if (kind != 'V' && kind != 'W' && kind != 'E' && kind != 'T' && kind != 'U') continue;
    if (index < 0 || !seen_.insert({group, index}).second) continue;  // first one counts
    out->groups[group].push_back({index, IoRecord{kind, cpu_us, payload}});
  }
  return false;
}

void IoRecordParser::Finish(absl::string_view data, IoRecords* out) {
  if (marker_.size() == 3) return;  // no nonce: nothing is a record
  Feed(data, out);
  if (cap_ > 0 && static_cast<int64_t>(data.size()) + extra_ > cap_) out->output_cut = true;
}

IoRecords ParseIoRecords(absl::string_view data, absl::string_view nonce,
                         int64_t output_cap) {
  IoRecords out;
  IoRecordParser parser(nonce, output_cap);
  parser.Finish(data, &out);
  return out;
}

namespace {

// Whether input `i` of group `g` failed, by its record: the rule DecideIoVerdict and
// IoEarlyStop share. `i` < the group's expected outputs.
std::optional<Failure> RecordFailure(OracleState& state, const Problem& problem,
                                     const IoOracle& oracle,
                                     const std::vector<int64_t>& limits_ms, int g, int64_t i,
                                     const IoRecord& rec) {
  const std::vector<std::string>& inputs = g == kBase ? problem.base_inputs : problem.plus_inputs;
  // The harness's CPU timer enforces the input's limit; a program that blocks the timer
  // (SIG_IGN on SIGPROF) still reports what the call cost, and an answer that came too
  // late is a timeout, however right.
  const bool late = i < static_cast<int64_t>(limits_ms.size()) &&
                    rec.cpu_us > limits_ms[static_cast<size_t>(i)] * 1000;
  switch (late ? 'T' : rec.kind) {
    case 'V':
    case 'W': {
      std::optional<bool> accepted = Accepts(
          state, i < static_cast<int64_t>(inputs.size()) ? absl::string_view(inputs[i])
                                                         : absl::string_view(),
          rec, oracle, oracle.expected[g][static_cast<size_t>(i)]);
      if (!accepted) {
        return Failure{g, i, SampleStatus::kFailed, "returned a value that could not be read"};
      }
      if (!*accepted) return Failure{g, i, SampleStatus::kFailed, "wrong output"};
      return std::nullopt;
    }
    case 'E': {
      std::string type, message;
      SplitException(rec.payload, &type, &message);
      return Failure{g, i,
                     type == "MemoryError" ? SampleStatus::kMemoryLimit : SampleStatus::kError,
                     message.empty() ? type : absl::StrCat(type, ": ", message)};
    }
    case 'T':
      return Failure{g, i, SampleStatus::kTimeout, "time limit"};
    default:  // 'U'
      return Failure{g, i, SampleStatus::kFailed, SanitizeUtf8(rec.payload)};
  }
}

// IoEarlyStop's state: the stream parsed so far and the plus answers judged so far.
class EarlyStop {
 public:
  EarlyStop(absl::string_view nonce, const Problem& problem, const IoOracle& oracle,
            const IoSettings& settings, int64_t output_cap)
      : parser_(nonce, output_cap),
        problem_(problem),
        oracle_(oracle),
        limits_ms_(IoInputLimitsMs(oracle, kPlus, settings)),
        state_{DatasetOf(problem), problem.entry_point, problem.atol} {}

  bool operator()(absl::string_view stdout_so_far) {
    IoRecords recs;
    parser_.Feed(stdout_so_far, &recs);
    if (recs.group_done[kBase]) base_done_ = true;
    const int64_t n = static_cast<int64_t>(oracle_.expected[kPlus].size());
    for (const auto& [index, rec] : recs.groups[kPlus]) {
      // Judged as they come (the records point into this call's text only).
      if (index < n) {
        failed_[index] =
            RecordFailure(state_, problem_, oracle_, limits_ms_, kPlus, index, rec).has_value();
      }
    }
    // DecideIoVerdict reads plus answers in input order up to the first missing one.
    for (auto it = failed_.find(next_); it != failed_.end(); it = failed_.find(++next_)) {
      if (it->second) {
        plus_failed_ = true;
        break;
      }
    }
    return plus_failed_ && base_done_;
  }

 private:
  IoRecordParser parser_;
  const Problem& problem_;
  const IoOracle& oracle_;
  const std::vector<int64_t> limits_ms_;
  OracleState state_;
  std::map<int64_t, bool> failed_;  // plus input -> its answer failed
  int64_t next_ = 0;                // the first plus input not judged a pass in order
  bool base_done_ = false;
  bool plus_failed_ = false;
};

}  // namespace

std::function<bool(absl::string_view)> IoEarlyStop(absl::string_view nonce,
                                                   const Problem& problem,
                                                   const IoOracle& oracle,
                                                   const IoSettings& settings,
                                                   int64_t output_cap) {
  if (settings.test_details || nonce.empty()) return nullptr;
  auto stop = std::make_shared<EarlyStop>(nonce, problem, oracle, settings, output_cap);
  return [stop](absl::string_view out) { return (*stop)(out); };
}

Verdict DecideIoVerdict(const absl::StatusOr<sandbox::RunResult>& run, absl::string_view nonce,
                        const Problem& problem, const IoOracle& oracle,
                        const IoSettings& settings, int64_t output_cap) {
  // Run-level facts (measurements, and the status when no input explains the end).
  Verdict v = DecideVerdict(run, nonce);
  v.io = true;
  if (!run.ok() || v.status == SampleStatus::kSandboxError) return v;
  const sandbox::RunResult& r = *run;
  IoRecords recs = ParseIoRecords(r.stdout_data, nonce, output_cap);
  ParseHarnessTrace(recs.trace, &v.trace.child);
  // Cut where the sandbox would have cut the stream of values: what the run did later
  // did not happen.
  const sandbox::RunStatus run_status =
      recs.output_cut ? sandbox::RunStatus::kOutputLimit : r.status;
  if (recs.output_cut) v.status = SampleStatus::kOutputLimit;
  const bool run_timeout = run_status == sandbox::RunStatus::kCpuTimeout ||
                           run_status == sandbox::RunStatus::kWallTimeout;

  if (recs.setup_failed) {
    std::string type, message;
    SplitException(recs.setup_payload, &type, &message);
    v.status = type == "MemoryError" ? SampleStatus::kMemoryLimit : SampleStatus::kError;
    v.passed = false;
    v.result = absl::StrCat("failed: ", message);
    v.base_status = v.plus_status = PhaseStatus::kFail;
    return v;
  }

  std::optional<Failure> first;
  bool all_complete = true;
  for (int g = 0; g < 2; ++g) {
    OracleState state{DatasetOf(problem), problem.entry_point, problem.atol};
    std::map<int64_t, const IoRecord*> by_index;
    for (const auto& [index, rec] : recs.groups[g]) by_index[index] = &rec;
    const int64_t n = static_cast<int64_t>(oracle.expected[g].size());
    const std::vector<int64_t> limits_ms = IoInputLimitsMs(oracle, g, settings);
    std::vector<int64_t> failed;
    bool complete = true;
    for (int64_t i = 0; i < n; ++i) {
      auto it = by_index.find(i);
      if (it == by_index.end()) {
        // The harness stops a group after its first exception or timeout (and says so);
        // anything else missing means the run ended early.
        complete = recs.group_done[g] && !failed.empty();
        break;
      }
      std::optional<Failure> f =
          RecordFailure(state, problem, oracle, limits_ms, g, i, *it->second);
      if (f) {
        if (failed.empty() || settings.test_details) failed.push_back(i);
        if (!first) first = *f;
      }
    }
    PhaseStatus status;
    if (!failed.empty()) {
      status = PhaseStatus::kFail;
    } else if (!complete) {
      status = run_timeout ? PhaseStatus::kTimeout : PhaseStatus::kFail;
    } else {
      status = PhaseStatus::kPass;
    }
    if (!complete) all_complete = false;
    (g == kBase ? v.base_status : v.plus_status) = status;
    (g == kBase ? v.base_failed : v.plus_failed) = std::move(failed);
  }

  v.passed = false;
  if (first) {
    v.status = first->status;
    v.result = first->status == SampleStatus::kTimeout
                   ? std::string("timed out")
                   : absl::StrCat("failed: ", IoGroupName(first->group), " input ",
                                  first->index, ": ", first->why);
    return v;
  }
  if (!all_complete || run_status != sandbox::RunStatus::kOk) {
    // No input failed, yet the run did not finish: the run's own end says why (the
    // status DecideVerdict chose: timeout, memory_limit, output_limit,
    // syscall_violation, or error for an exit or a signal).
    switch (v.status) {
      case SampleStatus::kMemoryLimit:
        v.result = "failed: memory limit reached before every input ran";
        break;
      case SampleStatus::kOutputLimit:
        v.result = "failed: output limit reached before every input ran";
        break;
      case SampleStatus::kSyscallViolation:
        v.result = "failed: forbidden system call before every input ran";
        break;
      case SampleStatus::kTimeout:
        break;  // "timed out"
      default:
        v.status = SampleStatus::kError;
        v.result = run_status == sandbox::RunStatus::kSignaled
                       ? absl::StrCat("failed: killed by signal ", r.signal,
                                      " before every input ran")
                       : absl::StrCat("failed: the program exited (status ", r.exit_code,
                                      ") before every input ran");
    }
    return v;
  }
  v.status = SampleStatus::kPassed;
  v.passed = v.base_status == PhaseStatus::kPass && v.plus_status == PhaseStatus::kPass;
  v.result = "passed";
  return v;
}

// --- expected outputs ---

namespace {

std::string OracleDigest(const IoOracle& o) {
  Sha256 h;
  h.UpdateField("io-oracle-v2");
  h.UpdateField(o.full_values ? "full" : "digests");
  h.UpdateField(absl::StrCat(o.expected_bytes));
  for (int g = 0; g < 2; ++g) {
    h.UpdateField(IoGroupName(g));
    h.UpdateField(absl::StrJoin(o.cpu_us[g], ","));
    for (const IoExpected& e : o.expected[g]) {
      h.UpdateField(e.has_form ? absl::string_view(e.digest.data(), e.digest.size()) : "-");
      h.UpdateField(e.is_floats ? "F" : "-");
      h.UpdateField(e.has_value ? o.ValueWire(e) : "");
    }
  }
  return h.FinalHex();
}

}  // namespace

IoOracleBuilder::IoOracleBuilder(const Problem& problem, std::optional<int64_t> digest_over)
    : problem_(problem), digest_over_(digest_over) {
  oracle_.usable = true;
  atol_may_be_set_[kBase] = atol_may_be_set_[kPlus] = problem.atol != 0;
}

absl::Status IoOracleBuilder::AddValue(int group, absl::string_view wire, int64_t cpu_us) {
  absl::StatusOr<PyValue> v = DecodePyValue(wire);
  if (!v.ok()) return v.status();
  absl::StatusOr<std::optional<std::string>> d = RawDigest(wire);
  if (!d.ok()) return d.status();
  const bool is_floats = IsFloats(*v);
  atol_may_be_set_[group] = atol_may_be_set_[group] || is_floats;
  const bool keep = NeedsExpectedValue(DatasetOf(problem_), problem_.entry_point,
                                       atol_may_be_set_[group], &*v);
  return Add(group, d->value_or(""), d->has_value(), is_floats, keep ? wire : "",
             static_cast<int64_t>(wire.size()), cpu_us);
}

absl::Status IoOracleBuilder::AddDigest(int group, absl::string_view payload, int64_t cpu_us) {
  std::optional<DigestRecord> r = ParseDigestRecord(payload);
  if (!r) return absl::InvalidArgumentError("malformed digest record");
  atol_may_be_set_[group] = atol_may_be_set_[group] || r->is_floats;
  if (NeedsExpectedValue(DatasetOf(problem_), problem_.entry_point, atol_may_be_set_[group],
                         nullptr)) {
    needs_values_ = true;
  }
  return Add(group, r->digest.value_or(""), r->digest.has_value(), r->is_floats, "",
             r->wire_bytes, cpu_us);
}

absl::Status IoOracleBuilder::Add(int group, absl::string_view digest, bool has_form,
                                  bool is_floats, absl::string_view wire, int64_t wire_bytes,
                                  int64_t cpu_us) {
  IoExpected e;
  e.has_form = has_form;
  e.is_floats = is_floats;
  if (has_form) std::copy(digest.begin(), digest.end(), e.digest.begin());
  if (!wire.empty()) {
    if (oracle_.values.size() + wire.size() > UINT32_MAX) {
      return absl::ResourceExhaustedError("over 4 GiB of kept expected values");
    }
    e.has_value = true;
    e.value_offset = static_cast<uint32_t>(oracle_.values.size());
    e.value_size = static_cast<uint32_t>(wire.size());
    oracle_.values.append(wire.data(), wire.size());
    largest_kept_ = std::max(largest_kept_, static_cast<int64_t>(wire.size()));
  }
  oracle_.expected[group].push_back(e);
  oracle_.cpu_us[group].push_back(cpu_us);
  oracle_.expected_bytes += wire_bytes;
  return absl::OkStatus();
}

IoOracle IoOracleBuilder::Finish() {
  // A kept value is compared with a tolerance: an answer close to it must come as a
  // value, which the threshold allows up to 32 times its size (a float's wire text is 17
  // bytes, a bool's one).
  oracle_.full_values = NeedsAnswerValue(DatasetOf(problem_), problem_.entry_point) ||
                        largest_kept_ * 32 > kIoDigestOverBytes;
  oracle_.values.shrink_to_fit();
  oracle_.digest = OracleDigest(oracle_);
  return std::move(oracle_);
}

IoOracle IoOracleFromValues(const Problem& problem, const std::vector<PyValue>& base,
                            const std::vector<PyValue>& plus,
                            const std::vector<int64_t>& base_cpu_us,
                            const std::vector<int64_t>& plus_cpu_us) {
  IoOracleBuilder builder(problem, kIoDigestOverBytes);
  for (int g = 0; g < 2; ++g) {
    const std::vector<PyValue>& values = g == kBase ? base : plus;
    const std::vector<int64_t>& cpu = g == kBase ? base_cpu_us : plus_cpu_us;
    for (size_t i = 0; i < values.size(); ++i) {
      absl::Status s = builder.AddValue(g, EncodePyValue(values[i]), i < cpu.size() ? cpu[i] : 0);
      (void)s;  // an encoded value always reads back
    }
  }
  return builder.Finish();
}

std::optional<int64_t> IoDigestOver(const IoOracle& oracle) {
  if (oracle.full_values) return std::nullopt;
  return kIoDigestOverBytes;
}

namespace {

std::string OracleCacheKey(const ProblemSet& problems, const IoBuildOptions& o) {
  sandbox::Limits l = o.limits;
  l.cpu_time_ms = kReferenceCpuCapMs;
  l.wall_time_ms = 0;
  l.max_output_bytes = 0;
  Sha256 h;
  h.UpdateField(absl::StrCat("fathom-io-expected-v", kIoExpectedFormatVersion));
  h.UpdateField(absl::StrCat("harness=", kIoHarnessVersion));
  h.UpdateField(problems.content_sha256);
  h.UpdateField(o.runtime_fingerprint);
  h.UpdateField(LimitsText(l));
  h.UpdateField(o.machine);
  return h.FinalHex();
}

// One problem's reference run.
struct Measured {
  bool transient = false;  // sandbox error: not cached
  IoOracle oracle;         // !usable: failure says why
};

// One reference run; `digest_over` as IoProgram's.
Measured MeasureOnce(const Problem& problem, sandbox::Runner& runner,
                     const RuntimeContext& runtime, const sandbox::Limits& base_limits,
                     std::optional<int64_t> digest_over, bool* needs_values) {
  Measured m;
  IoOracle& o = m.oracle;
  sandbox::Limits limits = base_limits;
  limits.cpu_time_ms = kReferenceCpuCapMs;
  limits.wall_time_ms = 0;
  limits.max_output_bytes = std::max<int64_t>(limits.max_output_bytes, int64_t{256} << 20);
  std::string program =
      IoProgram(problem, absl::StrCat(problem.prompt, problem.canonical_solution), nullptr,
                IoSettings{}, digest_over);
  sandbox::RunSpec spec = runtime.make_spec(std::move(program), limits);
  AddHarnessFile(&spec);
  std::string nonce = NewNonce();
  spec.has_stdin = true;
  spec.stdin_data = nonce + "\n";
  absl::StatusOr<sandbox::RunResult> run = runner.Run(spec);
  if (!run.ok() || run->status == sandbox::RunStatus::kSandboxError) {
    m.transient = true;
    o.failure = run.ok() ? "sandbox error" : std::string(run.status().message());
    return m;
  }
  IoRecords recs = ParseIoRecords(run->stdout_data, nonce, limits.max_output_bytes);
  const sandbox::RunStatus run_status =
      recs.output_cut ? sandbox::RunStatus::kOutputLimit : run->status;
  if (run_status == sandbox::RunStatus::kWallTimeout) {
    // The wall backstop (twice the CPU cap and 2 s) ends a reference run only when the
    // machine is busy enough: not the canonical solution's fault, and not to be cached
    // (a later build measures it again).
    m.transient = true;
    o.failure = "the reference run hit its wall-clock backstop (a busy machine)";
    return m;
  }
  if (recs.setup_failed) {
    std::string type, message;
    SplitException(recs.setup_payload, &type, &message);
    o.failure = absl::StrCat("the canonical solution raised ", type, ": ", message);
    return m;
  }
  IoOracleBuilder builder(problem, digest_over);
  for (int g = 0; g < 2; ++g) {
    const size_t n = (g == kBase ? problem.base_inputs : problem.plus_inputs).size();
    if (recs.groups[g].size() != n) {
      size_t at = recs.groups[g].size();
      std::string why = absl::StrCat("the run ended with status ",
                                     sandbox::RunStatusName(run_status));
      const char kind = at > 0 ? recs.groups[g].back().second.kind : 'V';
      if (kind != 'V' && kind != 'W') at -= 1;
      o.failure = absl::StrCat("the canonical solution did not answer ", IoGroupName(g),
                               " input ", at, " (", why, ")");
      return m;
    }
    for (size_t i = 0; i < n; ++i) {
      const auto& [index, rec] = recs.groups[g][i];
      if (index != static_cast<int64_t>(i) || (rec.kind != 'V' && rec.kind != 'W')) {
        std::string detail(rec.payload);
        if (rec.kind == 'E') {
          std::string type, message;
          SplitException(rec.payload, &type, &message);
          detail = absl::StrCat(type, ": ", message);
        }
        o.failure = absl::StrCat("the canonical solution failed on ", IoGroupName(g),
                                 " input ", i, ": ", rec.kind == 'T' ? "time limit" : detail);
        return m;
      }
      absl::Status added = rec.kind == 'V' ? builder.AddValue(g, rec.payload, rec.cpu_us)
                                           : builder.AddDigest(g, rec.payload, rec.cpu_us);
      if (!added.ok()) {
        o.failure = absl::StrCat("the canonical solution's answer to ", IoGroupName(g),
                                 " input ", i, " could not be read: ", added.message());
        return m;
      }
    }
  }
  if (!recs.all_done || run_status != sandbox::RunStatus::kOk) {
    o.failure = absl::StrCat("the reference run ended with status ",
                             sandbox::RunStatusName(run_status));
    return m;
  }
  *needs_values = builder.needs_values();
  o = builder.Finish();
  return m;
}

// The reference run of `problem`: answers over kIoDigestOverBytes come as digests, unless
// EvalPlus's rule needs one of them as a value; then the run is made again without.
Measured MeasureReference(const Problem& problem, sandbox::Runner& runner,
                          const RuntimeContext& runtime, const sandbox::Limits& limits) {
  bool needs_values = false;
  Measured m = MeasureOnce(problem, runner, runtime, limits, kIoDigestOverBytes, &needs_values);
  if (!needs_values) return m;
  return MeasureOnce(problem, runner, runtime, limits, std::nullopt, &needs_values);
}

// --- the cache file ---
//
// JSONL: a header {"format": "fathom-io-expected", "version": 2, "key": KEY}, then one line
// per task: {"task_id", "usable", "failure"} and, when usable, "full_values",
// "expected_bytes", "digest" (IoOracle's) and per group ("base", "plus") an object with
// "cpu_us" (one per input), "digests" (64 hex per input; zeros where the value has no
// form), "flags" (one digit per input: 1 has a form, 2 is floats, 4 value kept) and
// "values" ([index, wire] per kept value). A line is checked whole (counts against the
// problem's inputs, the kept values' wire texts, and the digest recomputed).

constexpr char kCacheFormat[] = "fathom-io-expected";

nlohmann::json OracleToJson(const std::string& task_id, const IoOracle& o) {
  nlohmann::json j = {{"task_id", task_id}, {"usable", o.usable}, {"failure", o.failure}};
  if (!o.usable) return j;
  j["full_values"] = o.full_values;
  j["expected_bytes"] = o.expected_bytes;
  j["digest"] = o.digest;
  for (int g = 0; g < 2; ++g) {
    std::string digests, flags;
    nlohmann::json values = nlohmann::json::array();
    digests.reserve(64 * o.expected[g].size());
    for (size_t i = 0; i < o.expected[g].size(); ++i) {
      const IoExpected& e = o.expected[g][i];
      digests += e.has_form ? absl::BytesToHexString(absl::string_view(e.digest.data(), 32))
                            : std::string(64, '0');
      flags.push_back(static_cast<char>('0' + (e.has_form ? 1 : 0) + (e.is_floats ? 2 : 0) +
                                        (e.has_value ? 4 : 0)));
      if (e.has_value) values.push_back({i, o.ValueWire(e)});
    }
    j[IoGroupName(g)] = {{"cpu_us", o.cpu_us[g]},
                         {"digests", std::move(digests)},
                         {"flags", std::move(flags)},
                         {"values", std::move(values)}};
  }
  return j;
}

// The oracle of one cache line for `problem`; InvalidArgument names the field.
absl::StatusOr<IoOracle> OracleFromJson(const nlohmann::json& j, const Problem& problem) {
  auto field = [](const char* name) {
    return absl::InvalidArgumentError(absl::StrCat("field `", name, "` is missing or mistyped"));
  };
  IoOracle o;
  if (!j.contains("usable") || !j["usable"].is_boolean()) return field("usable");
  if (!j.contains("failure") || !j["failure"].is_string()) return field("failure");
  o.usable = j["usable"].get<bool>();
  o.failure = j["failure"].get<std::string>();
  if (!o.usable) return o;
  if (!j.contains("full_values") || !j["full_values"].is_boolean()) return field("full_values");
  if (!j.contains("expected_bytes") || !j["expected_bytes"].is_number_integer()) {
    return field("expected_bytes");
  }
  if (!j.contains("digest") || !j["digest"].is_string()) return field("digest");
  o.full_values = j["full_values"].get<bool>();
  o.expected_bytes = j["expected_bytes"].get<int64_t>();
  for (int g = 0; g < 2; ++g) {
    const char* name = IoGroupName(g);
    const size_t n = (g == kBase ? problem.base_inputs : problem.plus_inputs).size();
    auto group = j.find(name);
    if (group == j.end() || !group->is_object()) return field(name);
    const auto bad = [&](const char* what, const std::string& why) {
      return absl::InvalidArgumentError(absl::StrCat("field `", name, ".", what, "`: ", why));
    };
    auto cpu = group->find("cpu_us");
    auto digests = group->find("digests");
    auto flags = group->find("flags");
    auto values = group->find("values");
    if (cpu == group->end() || !cpu->is_array() || cpu->size() != n) {
      return bad("cpu_us", absl::StrCat("expected ", n, " CPU times (the problem's inputs)"));
    }
    if (digests == group->end() || !digests->is_string() ||
        digests->get_ref<const std::string&>().size() != 64 * n) {
      return bad("digests", absl::StrCat("expected ", 64 * n, " hex digits"));
    }
    if (flags == group->end() || !flags->is_string() ||
        flags->get_ref<const std::string&>().size() != n) {
      return bad("flags", absl::StrCat("expected ", n, " digits"));
    }
    if (values == group->end() || !values->is_array()) return bad("values", "expected a list");
    const std::string& digest_text = digests->get_ref<const std::string&>();
    const std::string& flag_text = flags->get_ref<const std::string&>();
    size_t next_value = 0;
    for (size_t i = 0; i < n; ++i) {
      const nlohmann::json& c = (*cpu)[i];
      if (!c.is_number_integer() || c.get<int64_t>() < 0) {
        return bad("cpu_us", absl::StrCat("item ", i, " is not a CPU time"));
      }
      o.cpu_us[g].push_back(c.get<int64_t>());
      const char f = flag_text[i];
      if (f < '0' || f > '7') return bad("flags", absl::StrCat("digit ", i, " is not 0-7"));
      IoExpected e;
      e.has_form = (f - '0') & 1;
      e.is_floats = (f - '0') & 2;
      if (e.has_form) {
        std::optional<std::string> raw =
            RawFromHex(absl::string_view(digest_text).substr(64 * i, 64));
        if (!raw) return bad("digests", absl::StrCat("digest ", i, " is not 64 hex digits"));
        std::copy(raw->begin(), raw->end(), e.digest.begin());
      }
      if ((f - '0') & 4) {
        const nlohmann::json* v =
            next_value < values->size() ? &(*values)[next_value] : nullptr;
        if (v == nullptr || !v->is_array() || v->size() != 2 || (*v)[0] != i ||
            !(*v)[1].is_string() || !DecodePyValue((*v)[1].get_ref<const std::string&>()).ok()) {
          return bad("values", absl::StrCat("no readable value for input ", i));
        }
        const std::string& wire = (*v)[1].get_ref<const std::string&>();
        e.has_value = true;
        e.value_offset = static_cast<uint32_t>(o.values.size());
        e.value_size = static_cast<uint32_t>(wire.size());
        o.values += wire;
        ++next_value;
      }
      o.expected[g].push_back(e);
    }
    if (next_value != values->size()) return bad("values", "values without a flag");
  }
  o.digest = OracleDigest(o);
  if (o.digest != j["digest"].get<std::string>()) {
    return absl::InvalidArgumentError("field `digest` does not match the expected outputs");
  }
  return o;
}

// Reads the cache file into `cached` (by task_id). Returns false when the file should be
// written again: another version's, or damaged lines (each logged with file and line,
// its task measured again).
bool ReadOracleCache(const std::string& path, const std::string& key,
                     const ProblemSet& problems, std::map<std::string, IoOracle>* cached,
                     std::ostream& log) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return true;
  absl::StatusOr<LineReader> reader = LineReader::Open(path);
  if (!reader.ok()) {
    log << "I/O mode: cannot read " << path << " (" << reader.status().message()
        << "); measuring again\n";
    return false;
  }
  std::string line;
  int64_t number = 0;
  bool clean = true;
  bool header = false;
  while (reader->Next(&line, &number)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!header) {
      if (j.is_discarded() || !j.is_object() || j.value("format", "") != kCacheFormat) {
        log << "I/O mode: " << path << ":" << number
            << ": not a version header (a cache of an older fathom?); measuring again\n";
        return false;
      }
      if (j.value("version", 0) != kIoExpectedFormatVersion || j.value("key", "") != key) {
        log << "I/O mode: " << path << ":" << number << ": format version "
            << j.value("version", 0) << " (this fathom reads " << kIoExpectedFormatVersion
            << ") or another key; measuring again\n";
        return false;
      }
      header = true;
      continue;
    }
    const Problem* p = nullptr;
    absl::Status s;
    if (j.is_discarded() || !j.is_object()) {
      s = absl::InvalidArgumentError("malformed JSON");
    } else if (!j.contains("task_id") || !j["task_id"].is_string()) {
      s = absl::InvalidArgumentError("field `task_id` is missing or mistyped");
    } else if ((p = problems.Find(j["task_id"].get<std::string>())) == nullptr) {
      s = absl::InvalidArgumentError("unknown task_id");
    } else {
      absl::StatusOr<IoOracle> o = OracleFromJson(j, *p);
      if (o.ok()) {
        (*cached)[p->task_id] = *std::move(o);
        continue;
      }
      s = o.status();
    }
    log << "I/O mode: " << path << ":" << number << ": " << s.message()
        << (p != nullptr ? absl::StrCat("; ", p->task_id, " is measured again") : "") << "\n";
    clean = false;
  }
  if (!reader->status().ok()) {
    log << "I/O mode: " << reader->status().message() << "\n";
    clean = false;
  }
  if (!header) return false;  // empty
  return clean;
}

}  // namespace

IoOracleSet BuildIoOracles(const ProblemSet& problems, sandbox::Runner& runner,
                           const RuntimeContext& runtime, const IoBuildOptions& options) {
  std::ostream& log = options.log != nullptr ? *options.log : std::cerr;
  IoOracleSet set;
  set.oracles.resize(problems.problems.size());
  const std::string key = OracleCacheKey(problems, options);
  // Every task's oracle the file holds or this call measures, by task_id: compact (most
  // expected outputs are a 32-byte digest), so the whole set stays small.
  std::map<std::string, IoOracle> cached;
  bool rewrite = false;
  if (!options.cache_dir.empty()) {
    set.cache_path = absl::StrCat(options.cache_dir, "/io-expected-", key, ".jsonl");
    rewrite = !ReadOracleCache(set.cache_path, key, problems, &cached, log);
  }
  std::vector<size_t> todo;
  for (size_t i = 0; i < problems.problems.size(); ++i) {
    const Problem& p = problems.problems[i];
    if (!p.has_io() || options.task_ids.count(p.task_id) == 0) continue;
    if (cached.count(p.task_id) == 0) todo.push_back(i);
  }
  if (!todo.empty()) {
    log << "I/O mode: running " << todo.size()
        << " canonical solutions for their expected outputs"
        << (set.cache_path.empty() ? "" : absl::StrCat(" (cached in ", set.cache_path, ")"))
        << "\n";
    log.flush();
    auto start = Clock::now();
    std::mutex mu;
    {
      WorkerPool pool(std::max(1, options.workers), static_cast<size_t>(options.workers) * 2);
      for (size_t i : todo) {
        pool.Submit([&, i] {
          Measured m = MeasureReference(problems.problems[i], runner, runtime, options.limits);
          std::lock_guard<std::mutex> lock(mu);
          if (m.transient) {
            log << "I/O mode: " << problems.problems[i].task_id
                << ": the canonical solution's run is not usable this time: "
                << m.oracle.failure << "\n";
            // Not cached; this run grades the task in assert mode.
            set.oracles[i].failure = m.oracle.failure;
            return;
          }
          cached[problems.problems[i].task_id] = std::move(m.oracle);
        });
      }
      pool.Finish();
    }
    set.measure_s = std::chrono::duration<double>(Clock::now() - start).count();
  } else {
    set.cached = true;
  }
  if (!set.cache_path.empty() && (!todo.empty() || rewrite)) {
    std::error_code ec;
    std::filesystem::create_directories(options.cache_dir, ec);
    std::string data =
        nlohmann::json({{"format", kCacheFormat},
                        {"version", kIoExpectedFormatVersion},
                        {"key", key}})
            .dump() +
        "\n";
    for (const Problem& p : problems.problems) {
      auto it = cached.find(p.task_id);
      if (it != cached.end()) {
        absl::StrAppend(&data, OracleToJson(p.task_id, it->second).dump(), "\n");
      }
    }
    if (absl::Status s = WriteFileAtomically(set.cache_path, data); !s.ok()) {
      log << "I/O mode: cannot write the expected outputs: " << s.message() << "\n";
    }
  }
  Sha256 all;
  all.UpdateField(absl::StrCat("io-set-v", kIoHarnessVersion));
  for (size_t i = 0; i < problems.problems.size(); ++i) {
    const Problem& p = problems.problems[i];
    auto it = cached.find(p.task_id);
    if (!p.has_io() || options.task_ids.count(p.task_id) == 0 || it == cached.end()) continue;
    IoOracle& o = set.oracles[i];
    o = std::move(it->second);
    if (!o.usable) {
      set.unusable_tasks.push_back(p.task_id);
      log << "I/O mode: " << p.task_id << ": " << o.failure
          << "; graded in assert mode\n";
      continue;
    }
    all.UpdateField(p.task_id);
    all.UpdateField(o.digest);
  }
  set.digest = all.FinalHex();
  return set;
}

}  // namespace fathom::grader
