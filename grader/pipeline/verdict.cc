// RunResult + harness record -> Verdict.
#include "grader/pipeline/verdict.h"

#include <csignal>

#include "absl/strings/str_cat.h"
#include "grader/formats/utf8.h"
#include "grader/pipeline/program.h"

namespace fathom::grader {
namespace {

constexpr const char* kStatusNames[] = {"passed",       "failed",       "error",
                                        "timeout",      "memory_limit", "output_limit",
                                        "syscall_violation", "sandbox_error",
                                        "compile_error"};
static_assert(std::size(kStatusNames) == static_cast<size_t>(SampleStatus::kCount));

constexpr char kNoRecordResult[] = "timed out";

// What every verdict rule takes from the run alone. MeasureRun copies its measurements.
// SandboxDecides applies the sandbox's own outcomes: sandbox_error and timeouts end the
// verdict (result set); memory_limit, output_limit and syscall_violation (with its
// syscall) set the status and leave the result to the rule. False for ok, nonzero_exit
// and signaled, which the rule decides.
void MeasureRun(const sandbox::RunResult& r, Verdict* v) {
  v->cpu_ms = r.cpu_ms;
  v->wall_ms = r.wall_ms;
  v->max_rss_kb = r.max_rss_kb;
  v->stderr_tail = Utf8Tail(r.stderr_data, kStderrTailBytes);
}

bool SandboxDecides(const sandbox::RunResult& r, Verdict* v) {
  using sandbox::RunStatus;
  switch (r.status) {
    case RunStatus::kSandboxError:
      v->status = SampleStatus::kSandboxError;
      v->result = "failed: sandbox error";
      return true;
    case RunStatus::kCpuTimeout:
    case RunStatus::kWallTimeout:
      v->status = SampleStatus::kTimeout;
      v->result = "timed out";
      return true;
    case RunStatus::kMemoryLimit:
      v->status = SampleStatus::kMemoryLimit;
      return true;
    case RunStatus::kOutputLimit:
      v->status = SampleStatus::kOutputLimit;
      return true;
    case RunStatus::kSyscallViolation:
      v->status = SampleStatus::kSyscallViolation;
      v->syscall = r.syscall;
      v->syscall_name = r.syscall_name;
      return true;
    case RunStatus::kOk:
    case RunStatus::kNonzeroExit:
    case RunStatus::kSignaled:
      break;
  }
  return false;
}

}  // namespace

const char* SampleStatusName(SampleStatus status) {
  auto i = static_cast<size_t>(status);
  return i < std::size(kStatusNames) ? kStatusNames[i] : "?";
}

bool ParseSampleStatus(absl::string_view name, SampleStatus* status) {
  for (size_t i = 0; i < std::size(kStatusNames); ++i) {
    if (name == kStatusNames[i]) {
      *status = static_cast<SampleStatus>(i);
      return true;
    }
  }
  return false;
}

Verdict DecideVerdict(const absl::StatusOr<sandbox::RunResult>& run, absl::string_view nonce) {
  Verdict v;
  if (!run.ok()) {
    v.status = SampleStatus::kSandboxError;
    v.result = SanitizeUtf8(absl::StrCat("failed: sandbox error: ", run.status().message()));
    return v;
  }
  const sandbox::RunResult& r = *run;
  MeasureRun(r, &v);
  HarnessRecord record = ParseHarnessRecord(r.stdout_data, nonce);
  v.trace = r.trace;
  v.trace.child.insert(v.trace.child.end(), record.trace.begin(), record.trace.end());
  std::string record_result =
      record.kind == HarnessRecord::Kind::kException
          ? SanitizeUtf8(absl::StrCat("failed: ", record.message))
          : std::string(kNoRecordResult);
  using sandbox::RunStatus;
  if (SandboxDecides(r, &v)) {
    if (v.result.empty()) v.result = record_result;
    return v;
  }
  if (record.kind == HarnessRecord::Kind::kPassed && r.status == RunStatus::kOk) {
    v.status = SampleStatus::kPassed;
    v.passed = true;
    v.result = "passed";
  } else if (record.kind == HarnessRecord::Kind::kException) {
    v.status = record.assertion ? SampleStatus::kFailed
               : record.memory  ? SampleStatus::kMemoryLimit
                                : SampleStatus::kError;
    v.result = record_result;
  } else {
    v.status = SampleStatus::kError;
    v.result = kNoRecordResult;
  }
  return v;
}

Verdict DecideExitVerdict(const absl::StatusOr<sandbox::RunResult>& run,
                          RequireSilence silence) {
  Verdict v;
  if (!run.ok()) {
    v.status = SampleStatus::kSandboxError;
    v.result = SanitizeUtf8(absl::StrCat("failed: sandbox error: ", run.status().message()));
    return v;
  }
  const sandbox::RunResult& r = *run;
  MeasureRun(r, &v);
  const std::string failed = absl::StrCat(
      "failed: ", r.stderr_data.empty() ? Utf8Tail(r.stdout_data, kStderrTailBytes)
                                        : v.stderr_tail);
  using sandbox::RunStatus;
  if (SandboxDecides(r, &v)) {
    if (v.result.empty()) v.result = failed;
    return v;
  }
  switch (r.status) {
    case RunStatus::kOk:
      if ((silence.on_stdout && !r.stdout_data.empty()) ||
          (silence.on_stderr && !r.stderr_data.empty())) {
        v.status = SampleStatus::kFailed;
        break;
      }
      v.status = SampleStatus::kPassed;
      v.passed = true;
      v.result = "passed";
      return v;
    case RunStatus::kNonzeroExit:
      v.status = SampleStatus::kFailed;
      break;
    case RunStatus::kSignaled:
      v.status = r.signal == SIGABRT ? SampleStatus::kFailed : SampleStatus::kError;
      break;
    default:  // decided by SandboxDecides above
      break;
  }
  v.result = failed;
  return v;
}

const char* PhaseStatusName(PhaseStatus status) {
  switch (status) {
    case PhaseStatus::kPass:
      return "pass";
    case PhaseStatus::kFail:
      return "fail";
    case PhaseStatus::kTimeout:
      return "timeout";
    case PhaseStatus::kNone:
      break;
  }
  return "";
}

bool ParsePhaseStatus(absl::string_view name, PhaseStatus* status) {
  for (PhaseStatus s : {PhaseStatus::kPass, PhaseStatus::kFail, PhaseStatus::kTimeout}) {
    if (name == PhaseStatusName(s)) {
      *status = s;
      return true;
    }
  }
  return false;
}

nlohmann::json VerdictToJson(const Verdict& v) {
  nlohmann::json j{{"status", SampleStatusName(v.status)},
                   {"passed", v.passed},
                   {"result", v.result},
                   {"cpu_ms", v.cpu_ms},
                   {"wall_ms", v.wall_ms},
                   {"max_rss_kb", v.max_rss_kb},
                   {"stderr_tail", v.stderr_tail}};
  if (v.status == SampleStatus::kSyscallViolation) {
    j["syscall"] = v.syscall;
    j["syscall_name"] = v.syscall_name;
  }
  if (v.compile_cpu_ms >= 0) j["compile_cpu_ms"] = v.compile_cpu_ms;
  if (v.io) {
    auto phase = [](PhaseStatus s) {
      return s == PhaseStatus::kNone ? nlohmann::json(nullptr) : nlohmann::json(PhaseStatusName(s));
    };
    j["base_status"] = phase(v.base_status);
    j["plus_status"] = phase(v.plus_status);
    j["base_failed"] = v.base_failed;
    j["plus_failed"] = v.plus_failed;
  }
  return j;
}

absl::StatusOr<Verdict> VerdictFromJson(const nlohmann::json& j) {
  Verdict v;
  if (!j.is_object()) return absl::InvalidArgumentError("verdict: not an object");
  auto st = j.find("status");
  if (st == j.end() || !st->is_string() ||
      !ParseSampleStatus(st->get<std::string>(), &v.status)) {
    return absl::InvalidArgumentError("verdict: bad status");
  }
  auto get_str = [&](const char* k, std::string* out) {
    auto it = j.find(k);
    if (it == j.end() || !it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  auto get_int = [&](const char* k, int64_t* out) {
    auto it = j.find(k);
    if (it == j.end() || !it->is_number_integer()) return false;
    *out = it->get<int64_t>();
    return true;
  };
  auto passed = j.find("passed");
  if (passed == j.end() || !passed->is_boolean() || !get_str("result", &v.result) ||
      !get_str("stderr_tail", &v.stderr_tail) || !get_int("cpu_ms", &v.cpu_ms) ||
      !get_int("wall_ms", &v.wall_ms) || !get_int("max_rss_kb", &v.max_rss_kb)) {
    return absl::InvalidArgumentError("verdict: missing or mistyped field");
  }
  v.passed = passed->get<bool>();
  // Optional: entries written before these fields existed read as "unknown".
  if (j.contains("syscall") &&
      (!get_int("syscall", &v.syscall) || !get_str("syscall_name", &v.syscall_name))) {
    return absl::InvalidArgumentError("verdict: mistyped syscall");
  }
  if (auto c = j.find("compile_cpu_ms"); c != j.end()) {
    if (!c->is_number_integer()) return absl::InvalidArgumentError("verdict: bad compile_cpu_ms");
    v.compile_cpu_ms = c->get<int64_t>();
  }
  if (j.contains("base_status")) {
    v.io = true;
    for (auto [key, out] : {std::make_pair("base_status", &v.base_status),
                            std::make_pair("plus_status", &v.plus_status)}) {
      auto it = j.find(key);
      if (it == j.end()) return absl::InvalidArgumentError("verdict: missing phase status");
      if (it->is_null()) continue;
      if (!it->is_string() || !ParsePhaseStatus(it->get<std::string>(), out)) {
        return absl::InvalidArgumentError("verdict: bad phase status");
      }
    }
    for (auto [key, out] : {std::make_pair("base_failed", &v.base_failed),
                            std::make_pair("plus_failed", &v.plus_failed)}) {
      auto it = j.find(key);
      if (it == j.end() || !it->is_array()) {
        return absl::InvalidArgumentError("verdict: missing failed-input list");
      }
      for (const auto& x : *it) {
        if (!x.is_number_integer()) return absl::InvalidArgumentError("verdict: bad index");
        out->push_back(x.get<int64_t>());
      }
    }
  }
  return v;
}

}  // namespace fathom::grader
