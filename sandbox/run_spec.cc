// Status names, limit parsing and the cancellation token for RunSpec / RunResult.
#include "sandbox/run_spec.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace fathom::sandbox {
namespace {
constexpr std::array<std::pair<RunStatus, absl::string_view>, 9> kStatusNames = {{
    {RunStatus::kOk, "ok"},
    {RunStatus::kNonzeroExit, "nonzero_exit"},
    {RunStatus::kSignaled, "signaled"},
    {RunStatus::kCpuTimeout, "cpu_timeout"},
    {RunStatus::kWallTimeout, "wall_timeout"},
    {RunStatus::kMemoryLimit, "memory_limit"},
    {RunStatus::kOutputLimit, "output_limit"},
    {RunStatus::kSyscallViolation, "syscall_violation"},
    {RunStatus::kSandboxError, "sandbox_error"},
}};

struct LimitField {
  absl::string_view key;
  int64_t Limits::*field;
  int64_t min;
};
constexpr std::array<LimitField, 9> kLimitFields = {{
    {"cpu_time_ms", &Limits::cpu_time_ms, 1},
    {"wall_time_ms", &Limits::wall_time_ms, 0},
    {"memory_bytes", &Limits::memory_bytes, 1 << 20},
    {"max_output_bytes", &Limits::max_output_bytes, 0},
    {"max_processes", &Limits::max_processes, 1},
    {"max_file_bytes", &Limits::max_file_bytes, 0},
    {"max_open_files", &Limits::max_open_files, 8},
    {"tmpfs_bytes", &Limits::tmpfs_bytes, 1 << 20},
    {"stack_bytes", &Limits::stack_bytes, 1 << 16},
}};
}  // namespace

absl::string_view RunStatusName(RunStatus status) {
  for (const auto& [s, name] : kStatusNames) {
    if (s == status) return name;
  }
  return "sandbox_error";
}

bool ParseRunStatus(absl::string_view name, RunStatus* status) {
  for (const auto& [s, n] : kStatusNames) {
    if (n == name) {
      *status = s;
      return true;
    }
  }
  return false;
}

absl::Status SetLimit(Limits& limits, absl::string_view key, absl::string_view value) {
  for (const LimitField& f : kLimitFields) {
    if (f.key != key) continue;
    int64_t v = 0;
    if (!absl::SimpleAtoi(value, &v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("limit ", key, ": '", value, "' is not an integer"));
    }
    if (v < f.min) {
      return absl::InvalidArgumentError(
          absl::StrCat("limit ", key, ": ", v, " is below the minimum ", f.min));
    }
    limits.*(f.field) = v;
    return absl::OkStatus();
  }
  std::string known;
  for (const LimitField& f : kLimitFields) absl::StrAppend(&known, known.empty() ? "" : ", ", f.key);
  return absl::InvalidArgumentError(
      absl::StrCat("unknown limit '", key, "' (known: ", known, ")"));
}

absl::StatusOr<std::shared_ptr<CancelToken>> CancelToken::Create() {
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return absl::InternalError(absl::StrCat("eventfd: ", strerror(errno)));
  return std::shared_ptr<CancelToken>(new CancelToken(fd));
}

CancelToken::~CancelToken() { close(fd_); }

void CancelToken::Cancel() {
  if (cancelled_.exchange(true, std::memory_order_acq_rel)) return;
  // Never read back: the counter stays non-zero, so the fd stays readable for every poll.
  const uint64_t one = 1;
  (void)!write(fd_, &one, sizeof(one));
}

std::vector<PhaseTime> TracePhases(const RunTrace& trace) {
  std::vector<PhaseTime> out;
  auto zygote_phase = [&](absl::string_view name) {
    for (const ZygotePhase& z : trace.zygote) {
      if (z.name == name) {
        out.push_back({z.name, (z.end_wall_ns - z.start_wall_ns) / 1000, z.cpu_ns / 1000,
                       z.minflt, /*in_zygote=*/true});
      }
    }
  };
  zygote_phase("fork");
  std::vector<TracePoint> points = trace.child;
  std::stable_sort(points.begin(), points.end(),
                   [](const TracePoint& a, const TracePoint& b) { return a.wall_ns < b.wall_ns; });
  for (size_t i = 1; i < points.size(); ++i) {
    const TracePoint& a = points[i - 1];
    const TracePoint& b = points[i];
    out.push_back({b.name, (b.wall_ns - a.wall_ns) / 1000, (b.cpu_ns - a.cpu_ns) / 1000,
                   a.minflt >= 0 && b.minflt >= 0 ? b.minflt - a.minflt : -1,
                   /*in_zygote=*/false});
  }
  zygote_phase("reap");
  return out;
}

}  // namespace fathom::sandbox
