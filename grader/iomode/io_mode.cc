// I/O mode: programs, records, expected outputs and verdicts.
#include "grader/iomode/io_mode.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>

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

std::string OracleDigest(const std::vector<std::string> (&wires)[2]) {
  Sha256 h;
  for (int g = 0; g < 2; ++g) {
    h.UpdateField(IoGroupName(g));
    for (const std::string& w : wires[g]) h.UpdateField(w);
  }
  return h.FinalHex();
}

// The E/X payload: type name, newline, message.
void SplitException(absl::string_view payload, std::string* type, std::string* message) {
  size_t nl = payload.find('\n');
  *type = SanitizeUtf8(payload.substr(0, nl));
  *message = nl == absl::string_view::npos ? "" : SanitizeUtf8(payload.substr(nl + 1));
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
                      const IoOracle* oracle, const IoSettings& settings) {
  const bool reference = oracle == nullptr;
  nlohmann::json config{
      {"entry", problem.entry_point},
      {"reference", reference},
      {"details", settings.test_details},
      {"not_none", IsNotNoneOracle(DatasetOf(problem), problem.entry_point)},
      {"convert", ConversionRule(problem)},
      {"limits_ms", nullptr},
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

IoRecords ParseIoRecords(absl::string_view data, absl::string_view nonce) {
  IoRecords out;
  if (nonce.empty()) return out;
  const std::string marker = absl::StrCat("\n#", nonce, " ");
  std::set<std::pair<int, int64_t>> seen;
  size_t pos = 0;
  while (true) {
    size_t at = data.find(marker, pos);
    if (at == absl::string_view::npos) break;
    size_t head_begin = at + marker.size();
    size_t head_end = data.find('\n', head_begin);
    if (head_end == absl::string_view::npos) break;
    std::vector<absl::string_view> f =
        absl::StrSplit(data.substr(head_begin, head_end - head_begin), ' ');
    int64_t index = 0, cpu_us = 0;
    uint64_t len = 0;
    if (f.size() != 5 || f[2].size() != 1 || !absl::SimpleAtoi(f[1], &index) ||
        !absl::SimpleAtoi(f[3], &cpu_us) || !absl::SimpleAtoi(f[4], &len) ||
        len > data.size() - head_end - 1) {
      break;
    }
    absl::string_view payload = data.substr(head_end + 1, len);
    pos = head_end + 1 + len;
    const char kind = f[2][0];
    int group = f[0] == "base" ? kBase : f[0] == "plus" ? kPlus : -1;
    if (group < 0) {
      if (kind == 'X' && !out.setup_failed) {
        out.setup_failed = true;
        out.setup_payload = std::string(payload);
      } else if (kind == 'Z') {
        out.all_done = true;
        out.trace = std::string(payload);
      }
      continue;
    }
    if (kind == 'D') {
      out.group_done[group] = true;
      continue;
    }
    if (kind != 'V' && kind != 'E' && kind != 'T' && kind != 'U') continue;
    if (index < 0 || !seen.insert({group, index}).second) continue;  // first one counts
    out.groups[group].push_back({index, IoRecord{kind, cpu_us, std::string(payload)}});
  }
  return out;
}

Verdict DecideIoVerdict(const absl::StatusOr<sandbox::RunResult>& run, absl::string_view nonce,
                        const Problem& problem, const IoOracle& oracle,
                        const IoSettings& settings) {
  // Run-level facts (measurements, and the status when no input explains the end).
  Verdict v = DecideVerdict(run, nonce);
  v.io = true;
  if (!run.ok() || v.status == SampleStatus::kSandboxError) return v;
  const sandbox::RunResult& r = *run;
  const bool run_timeout = r.status == sandbox::RunStatus::kCpuTimeout ||
                           r.status == sandbox::RunStatus::kWallTimeout;
  IoRecords recs = ParseIoRecords(r.stdout_data, nonce);
  ParseHarnessTrace(recs.trace, &v.trace.child);

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
    const std::vector<std::string>& inputs = g == kBase ? problem.base_inputs : problem.plus_inputs;
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
      const IoRecord& rec = *it->second;
      std::optional<Failure> f;
      // The harness's CPU timer enforces the input's limit; a program that blocks the
      // timer (SIG_IGN on SIGPROF) still reports what the call cost, and an answer
      // that came too late is a timeout, however right.
      const bool late = i < static_cast<int64_t>(limits_ms.size()) &&
                        rec.cpu_us > limits_ms[static_cast<size_t>(i)] * 1000;
      switch (late ? 'T' : rec.kind) {
        case 'V': {
          absl::StatusOr<PyValue> out = DecodePyValue(rec.payload);
          if (!out.ok()) {
            f = Failure{g, i, SampleStatus::kFailed, "returned a value that could not be read"};
          } else if (!EvalPlusAccepts(state, i < static_cast<int64_t>(inputs.size())
                                                 ? absl::string_view(inputs[i])
                                                 : absl::string_view(),
                                      *out, oracle.expected[g][i])) {
            f = Failure{g, i, SampleStatus::kFailed, "wrong output"};
          }
          break;
        }
        case 'E': {
          std::string type, message;
          SplitException(rec.payload, &type, &message);
          f = Failure{g, i,
                      type == "MemoryError" ? SampleStatus::kMemoryLimit : SampleStatus::kError,
                      message.empty() ? type : absl::StrCat(type, ": ", message)};
          break;
        }
        case 'T':
          f = Failure{g, i, SampleStatus::kTimeout, "time limit"};
          break;
        default:  // 'U'
          f = Failure{g, i, SampleStatus::kFailed, SanitizeUtf8(rec.payload)};
          break;
      }
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
  if (!all_complete || r.status != sandbox::RunStatus::kOk) {
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
        v.result = r.status == sandbox::RunStatus::kSignaled
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

std::string OracleCacheKey(const ProblemSet& problems, const IoBuildOptions& o) {
  sandbox::Limits l = o.limits;
  l.cpu_time_ms = kReferenceCpuCapMs;
  l.wall_time_ms = 0;
  l.max_output_bytes = 0;
  Sha256 h;
  h.UpdateField("fathom-io-expected-v1");
  h.UpdateField(absl::StrCat("harness=", kIoHarnessVersion));
  h.UpdateField(problems.content_sha256);
  h.UpdateField(o.runtime_fingerprint);
  h.UpdateField(LimitsText(l));
  h.UpdateField(CpuModel());
  return h.FinalHex();
}

// One problem's reference run, as cached: wire texts and CPU times.
struct Measured {
  bool usable = false;
  bool transient = false;  // sandbox error: not cached
  std::string failure;
  std::vector<std::string> wires[2];
  std::vector<int64_t> cpu_us[2];
};

nlohmann::json MeasuredToJson(const std::string& task_id, const Measured& m) {
  return {{"task_id", task_id},   {"usable", m.usable},          {"failure", m.failure},
          {"base", m.wires[0]},   {"plus", m.wires[1]},          {"base_cpu_us", m.cpu_us[0]},
          {"plus_cpu_us", m.cpu_us[1]}};
}

bool MeasuredFromJson(const nlohmann::json& j, Measured* m) {
  try {
    m->usable = j.at("usable").get<bool>();
    m->failure = j.at("failure").get<std::string>();
    m->wires[0] = j.at("base").get<std::vector<std::string>>();
    m->wires[1] = j.at("plus").get<std::vector<std::string>>();
    m->cpu_us[0] = j.at("base_cpu_us").get<std::vector<int64_t>>();
    m->cpu_us[1] = j.at("plus_cpu_us").get<std::vector<int64_t>>();
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  return true;
}

Measured MeasureReference(const Problem& problem, sandbox::Runner& runner,
                          const RuntimeContext& runtime, const sandbox::Limits& base_limits) {
  Measured m;
  sandbox::Limits limits = base_limits;
  limits.cpu_time_ms = kReferenceCpuCapMs;
  limits.wall_time_ms = 0;
  limits.max_output_bytes = std::max<int64_t>(limits.max_output_bytes, int64_t{256} << 20);
  std::string program =
      IoProgram(problem, absl::StrCat(problem.prompt, problem.canonical_solution), nullptr,
                IoSettings{});
  sandbox::RunSpec spec = runtime.make_spec(std::move(program), limits);
  AddHarnessFile(&spec);
  std::string nonce = NewNonce();
  spec.has_stdin = true;
  spec.stdin_data = nonce + "\n";
  absl::StatusOr<sandbox::RunResult> run = runner.Run(spec);
  if (!run.ok() || run->status == sandbox::RunStatus::kSandboxError) {
    m.transient = true;
    m.failure = run.ok() ? "sandbox error" : std::string(run.status().message());
    return m;
  }
  IoRecords recs = ParseIoRecords(run->stdout_data, nonce);
  if (recs.setup_failed) {
    std::string type, message;
    SplitException(recs.setup_payload, &type, &message);
    m.failure = absl::StrCat("the canonical solution raised ", type, ": ", message);
    return m;
  }
  for (int g = 0; g < 2; ++g) {
    const size_t n = (g == kBase ? problem.base_inputs : problem.plus_inputs).size();
    if (recs.groups[g].size() != n) {
      size_t at = recs.groups[g].size();
      std::string why = absl::StrCat("the run ended with status ",
                                     sandbox::RunStatusName(run->status));
      if (at > 0 && recs.groups[g].back().second.kind != 'V') at -= 1;
      m.failure = absl::StrCat("the canonical solution did not answer ", IoGroupName(g),
                               " input ", at, " (", why, ")");
      return m;
    }
    for (size_t i = 0; i < n; ++i) {
      const auto& [index, rec] = recs.groups[g][i];
      if (index != static_cast<int64_t>(i) || rec.kind != 'V') {
        std::string detail = rec.payload;
        if (rec.kind == 'E') {
          std::string type, message;
          SplitException(rec.payload, &type, &message);
          detail = absl::StrCat(type, ": ", message);
        }
        m.failure = absl::StrCat("the canonical solution failed on ", IoGroupName(g),
                                 " input ", i, ": ", rec.kind == 'T' ? "time limit" : detail);
        return m;
      }
      m.wires[g].push_back(rec.payload);
      m.cpu_us[g].push_back(rec.cpu_us);
    }
  }
  if (!recs.all_done || run->status != sandbox::RunStatus::kOk) {
    m.failure = absl::StrCat("the reference run ended with status ",
                             sandbox::RunStatusName(run->status));
    return m;
  }
  m.usable = true;
  return m;
}

bool ToOracle(const Measured& m, IoOracle* o) {
  o->usable = m.usable;
  o->failure = m.failure;
  if (!m.usable) return true;
  for (int g = 0; g < 2; ++g) {
    if (m.cpu_us[g].size() != m.wires[g].size()) return false;
    for (const std::string& w : m.wires[g]) {
      absl::StatusOr<PyValue> v = DecodePyValue(w);
      if (!v.ok()) return false;
      o->expected[g].push_back(*std::move(v));
      o->expected_bytes += static_cast<int64_t>(w.size());
    }
    o->cpu_us[g] = m.cpu_us[g];
  }
  o->digest = OracleDigest(m.wires);
  return true;
}

}  // namespace

IoOracleSet BuildIoOracles(const ProblemSet& problems, sandbox::Runner& runner,
                           const RuntimeContext& runtime, const IoBuildOptions& options) {
  std::ostream& log = options.log != nullptr ? *options.log : std::cerr;
  IoOracleSet set;
  set.oracles.resize(problems.problems.size());
  // Cached measurements by task_id.
  std::map<std::string, Measured> cached;
  if (!options.cache_dir.empty()) {
    set.cache_path = absl::StrCat(options.cache_dir, "/io-expected-",
                                  OracleCacheKey(problems, options), ".jsonl");
    std::ifstream in(set.cache_path);
    std::string line;
    while (in && std::getline(in, line)) {
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      Measured m;
      if (j.is_discarded() || !j.is_object() || !j.contains("task_id") ||
          !j["task_id"].is_string() || !MeasuredFromJson(j, &m)) {
        log << "I/O mode: ignoring a corrupt line of " << set.cache_path << "\n";
        continue;
      }
      cached[j["task_id"].get<std::string>()] = std::move(m);
    }
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
    bool any_transient = false;
    {
      WorkerPool pool(std::max(1, options.workers), static_cast<size_t>(options.workers) * 2);
      for (size_t i : todo) {
        pool.Submit([&, i] {
          Measured m = MeasureReference(problems.problems[i], runner, runtime, options.limits);
          std::lock_guard<std::mutex> lock(mu);
          if (m.transient) {
            any_transient = true;
            log << "I/O mode: " << problems.problems[i].task_id
                << ": sandbox error while running the canonical solution: " << m.failure
                << "\n";
            // Not cached; this run grades the task in assert mode.
            set.oracles[i].failure = m.failure;
            return;
          }
          cached[problems.problems[i].task_id] = std::move(m);
        });
      }
      pool.Finish();
    }
    set.measure_s = std::chrono::duration<double>(Clock::now() - start).count();
    if (!set.cache_path.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(options.cache_dir, ec);
      std::string data;
      for (const auto& [task_id, m] : cached) {
        absl::StrAppend(&data, MeasuredToJson(task_id, m).dump(), "\n");
      }
      if (absl::Status s = WriteFileAtomically(set.cache_path, data); !s.ok()) {
        log << "I/O mode: cannot write the expected outputs: " << s.message()
            << "\n";
      }
    }
    (void)any_transient;
  } else {
    set.cached = true;
  }
  Sha256 all;
  all.UpdateField(absl::StrCat("io-set-v", kIoHarnessVersion));
  for (size_t i = 0; i < problems.problems.size(); ++i) {
    const Problem& p = problems.problems[i];
    auto it = cached.find(p.task_id);
    if (!p.has_io() || options.task_ids.count(p.task_id) == 0 || it == cached.end()) continue;
    IoOracle& o = set.oracles[i];
    if (!ToOracle(it->second, &o)) {
      o = IoOracle{};
      o.failure = "corrupt cached expected outputs";
    }
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
