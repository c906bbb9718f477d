// Calibrated time limits: the rule, the measurement of canonical solutions, the cache file.
#include "grader/pipeline/time_limits.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "grader/formats/sha256.h"
#include "grader/pipeline/program.h"
#include "grader/pipeline/result_cache.h"
#include "grader/pipeline/sample_grader.h"
#include "grader/pipeline/scheduler.h"
#include "nlohmann/json.hpp"

namespace fathom::grader {
namespace {

namespace fs = std::filesystem;

// Fallback tasks named in one log line; the rest are counted.
constexpr size_t kMaxNamedInLog = 10;

// What decides a verdict beyond the CPU limit: the limits with the CPU and wall ones out
// (calibration runs under its own cap).
std::string NonCpuLimitsText(sandbox::Limits limits) {
  limits.cpu_time_ms = 0;
  limits.wall_time_ms = 0;
  return LimitsText(limits);
}

std::string DescribeFailure(const Verdict& v) {
  return absl::StrCat(SampleStatusName(v.status), ": ", v.result);
}

int64_t Median(std::vector<int64_t> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

}  // namespace

int64_t CalibratedLimitMs(int64_t canonical_cpu_ms, int64_t startup_cpu_ms) {
  const int64_t s = std::max<int64_t>(0, startup_cpu_ms);
  const int64_t w = std::max<int64_t>(0, canonical_cpu_ms - s);
  const auto limit =
      static_cast<int64_t>(std::ceil(kTimeLimitMargin * static_cast<double>(s + kTimeLimitPromise * w)));
  return std::max(kTimeLimitFloorMs, limit);
}

int64_t CalibrationData::StartupCpuMs() const {
  return startup_cpu_ms.empty()
             ? 0
             : *std::min_element(startup_cpu_ms.begin(), startup_cpu_ms.end());
}

int64_t CanonicalMeasurement::MaxCpuMs() const {
  return cpu_ms.empty() ? 0 : *std::max_element(cpu_ms.begin(), cpu_ms.end());
}

LimitTable LimitsFromMeasurements(const CalibrationData& data, int64_t default_ms) {
  const std::vector<CanonicalMeasurement>& m = data.canonical;
  const int64_t startup = data.StartupCpuMs();
  LimitTable t;
  t.cpu_limit_ms.resize(m.size());
  int64_t largest = 0;
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i].passed && !m[i].cpu_ms.empty()) {
      t.cpu_limit_ms[i] = CalibratedLimitMs(m[i].MaxCpuMs(), startup);
      largest = std::max(largest, t.cpu_limit_ms[i]);
    } else {
      t.fallback.push_back(i);
    }
  }
  t.fallback_ms = largest > 0 ? largest : default_ms;
  for (size_t i : t.fallback) t.cpu_limit_ms[i] = t.fallback_ms;
  return t;
}

std::string LimitTableHash(const ProblemSet& problems, const std::vector<int64_t>& cpu_limit_ms) {
  Sha256 h;
  h.UpdateField("fathom-task-limits-v1");
  for (size_t i = 0; i < cpu_limit_ms.size(); ++i) {
    h.UpdateField(i < problems.problems.size() ? problems.problems[i].task_id : "");
    h.UpdateField(absl::StrCat(cpu_limit_ms[i]));
  }
  return h.FinalHex();
}

std::string CalibrationKey(const ProblemSet& problems, const CalibrationOptions& o) {
  Sha256 h;
  h.UpdateField("fathom-calibration");
  h.UpdateField(absl::StrCat("version=", kCalibrationVersion, ",runs=", kCalibrationRuns,
                             ",startup_runs=", kStartupRuns, ",cap=", kCalibrationCpuCapMs));
  h.UpdateField(absl::StrCat("harness=", kHarnessVersion));
  h.UpdateField(problems.content_sha256);
  h.UpdateField(o.runtime_fingerprint);
  h.UpdateField(o.runner_name);
  h.UpdateField(NonCpuLimitsText(o.limits));
  h.UpdateField(o.machine);
  return h.FinalHex();
}

CalibrationData MeasureCanonicalSolutions(const ProblemSet& problems, sandbox::Runner& runner,
                                          const RuntimeContext& runtime,
                                          const sandbox::Limits& limits, int workers) {
  const size_t n = problems.problems.size();
  CalibrationData data;
  std::vector<CanonicalMeasurement>& out = data.canonical;
  out.resize(n);
  sandbox::Limits run_limits = limits;
  run_limits.cpu_time_ms = kCalibrationCpuCapMs;
  run_limits.wall_time_ms = 0;  // derived from the cap
  std::mutex mu;
  // One round: every problem in `todo` runs once more (a failed run ends its calibration);
  // `startup_runs` empty programs run first, under the same load.
  auto round = [&](const std::vector<size_t>& todo, int startup_runs) {
    const int w = std::max(1, workers);
    WorkerPool pool(w, static_cast<size_t>(w) * 2);
    const VerdictRule rule = RuleOf(runtime);
    for (int k = 0; k < startup_runs; ++k) {
      if (rule != VerdictRule::kHarness) {
        // No harness starts before the test: the program is the test, and its start-up
        // (a native binary's, a VM's) is part of what the limit must cover.
        data.startup_cpu_ms.push_back(0);
        continue;
      }
      pool.Submit([&, spec = runtime.make_spec(WrapInHarness(""), run_limits)]() mutable {
        Verdict v = RunAndDecide(runner, std::move(spec));
        std::lock_guard<std::mutex> lock(mu);
        if (v.passed) data.startup_cpu_ms.push_back(v.cpu_ms);
      });
    }
    for (size_t i : todo) {
      const Problem& p = problems.problems[i];
      std::string program = rule == VerdictRule::kHarness
                                ? WrapInHarness(CanonicalAssertProgram(p))
                                : NativeProgram(p, p.canonical_solution,
                                                p.format != ProblemFormat::kHumanEval &&
                                                    p.format != ProblemFormat::kHumanEvalX);
      pool.Submit([&, i, program = std::move(program)]() mutable {
        Verdict v = RunProgram(runner, runtime, std::move(program), run_limits);
        std::lock_guard<std::mutex> lock(mu);
        CanonicalMeasurement& m = out[i];
        if (v.passed) {
          m.cpu_ms.push_back(v.cpu_ms);
        } else {
          m.passed = false;
          m.failure = DescribeFailure(v);
          m.transient = v.status == SampleStatus::kSandboxError;
          m.cpu_ms.clear();
        }
      });
    }
    pool.Finish();
  };
  std::vector<size_t> todo;
  for (size_t i = 0; i < n; ++i) {
    if (problems.problems[i].canonical_solution.empty()) {
      out[i].failure = "no canonical solution in the problem file";
      continue;
    }
    out[i].passed = true;  // until a run fails
    todo.push_back(i);
  }
  round(todo, kStartupRuns);
  const int64_t startup = data.StartupCpuMs();
  for (int r = 1; r < kCalibrationRuns; ++r) {
    std::vector<size_t> again;
    for (size_t i : todo) {
      // A repeat matters only if a run up to twice as slow would lift the limit off the
      // floor (the same work varies by at most 1.6x here).
      if (out[i].passed &&
          CalibratedLimitMs(2 * out[i].cpu_ms.front(), startup) > kTimeLimitFloorMs) {
        again.push_back(i);
      }
    }
    if (again.empty()) break;
    round(again, 0);
    todo = std::move(again);
  }
  return data;
}

namespace {

// Reads `key` of `j` as a list of 1..max_size integers >= 0.
absl::Status ReadCpuList(const nlohmann::json& j, const char* key, size_t max_size,
                         const std::string& where, std::vector<int64_t>* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array() || it->empty() || it->size() > max_size) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, key, ": expected 1 to ", max_size, " values"));
  }
  for (const nlohmann::json& v : *it) {
    if (!v.is_number_integer() || v.get<int64_t>() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, key, ": expected integers >= 0"));
    }
    out->push_back(v.get<int64_t>());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CalibrationData> ReadCalibrationFile(const std::string& path,
                                                    const std::string& key,
                                                    const ProblemSet& problems) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": not found"));
  std::stringstream ss;
  ss << in.rdbuf();
  auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
  };
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  if (j.value("fathom_calibration", 0) != kCalibrationVersion) return bad("unknown version");
  if (j.value("key", "") != key) return bad("key does not match");
  CalibrationData data;
  if (absl::Status s = ReadCpuList(j, "startup_cpu_ms", kStartupRuns, "", &data.startup_cpu_ms);
      !s.ok()) {
    return bad(std::string(s.message()));
  }
  auto tasks = j.find("tasks");
  if (tasks == j.end() || !tasks->is_array() || tasks->size() != problems.problems.size()) {
    return bad("\"tasks\" is not one entry per problem");
  }
  data.canonical.resize(problems.problems.size());
  for (size_t i = 0; i < data.canonical.size(); ++i) {
    const nlohmann::json& t = (*tasks)[i];
    const std::string where = absl::StrCat("tasks[", i, "].");
    if (!t.is_object() || t.value("task_id", "") != problems.problems[i].task_id) {
      return bad(absl::StrCat(where, "task_id: expected ", problems.problems[i].task_id));
    }
    CanonicalMeasurement& m = data.canonical[i];
    auto failure = t.find("failure");
    if (failure != t.end() && failure->is_string()) {
      m.failure = failure->get<std::string>();
    } else if (absl::Status s = ReadCpuList(t, "cpu_ms", kCalibrationRuns, where, &m.cpu_ms);
               !s.ok()) {
      return bad(std::string(s.message()));
    } else {
      m.passed = true;
    }
  }
  return data;
}

absl::Status WriteCalibrationFile(const std::string& path, const std::string& key,
                                  const ProblemSet& problems, const CalibrationData& data) {
  auto dump = [](const nlohmann::ordered_json& v) {
    return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  // One task per line: small, and readable with grep.
  std::string text = absl::StrCat(
      "{\"fathom_calibration\": ", kCalibrationVersion, ", \"key\": ", dump(key),
      ",\n \"problems\": ", dump(problems.path), ", \"problems_sha256\": ",
      dump(problems.content_sha256), ",\n \"startup_cpu_ms\": ",
      dump(data.startup_cpu_ms), ",\n \"tasks\": [");
  for (size_t i = 0; i < data.canonical.size() && i < problems.problems.size(); ++i) {
    const CanonicalMeasurement& m = data.canonical[i];
    nlohmann::ordered_json t;
    t["task_id"] = problems.problems[i].task_id;
    if (m.passed) {
      t["cpu_ms"] = m.cpu_ms;
    } else {
      t["failure"] = m.failure;
    }
    absl::StrAppend(&text, i == 0 ? "\n  " : ",\n  ", dump(t));
  }
  text += "\n]}\n";
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  return WriteFileAtomically(path, text);
}

Calibration CalibrateTimeLimits(const ProblemSet& problems, sandbox::Runner& runner,
                                const RuntimeContext& runtime,
                                const CalibrationOptions& options) {
  std::ostream& log = options.log != nullptr ? *options.log : std::cerr;
  auto log_line = [&](const std::string& line) {
    log << "time limits: " << line << "\n";
    log.flush();
  };
  Calibration c;
  const std::string key = CalibrationKey(problems, options);
  if (!options.cache_dir.empty()) {
    c.cache_path = absl::StrCat(options.cache_dir, "/calibration-", key, ".json");
    absl::StatusOr<CalibrationData> cached = ReadCalibrationFile(c.cache_path, key, problems);
    if (cached.ok()) {
      c.data = *std::move(cached);
      c.cached = true;
    } else if (!absl::IsNotFound(cached.status())) {
      log_line(absl::StrCat("ignoring the calibration cache (", cached.status().message(),
                            "); measuring again"));
    }
  }
  if (!c.cached) {
    log_line(absl::StrCat("measuring the canonical solutions of ", problems.problems.size(),
                          " problems (up to ", kCalibrationRuns, " runs each)"));
    auto start = std::chrono::steady_clock::now();
    c.data =
        MeasureCanonicalSolutions(problems, runner, runtime, options.limits, options.workers);
    c.measure_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bool transient = false;
    std::vector<int64_t> cpu;
    for (const CanonicalMeasurement& m : c.data.canonical) {
      transient = transient || m.transient;
      if (m.passed) cpu.push_back(m.MaxCpuMs());
    }
    std::sort(cpu.begin(), cpu.end());
    log_line(absl::StrFormat(
        "measured in %.1f s; start-up %d ms; canonical CPU ms median %d, p90 %d, max %d",
        c.measure_s, c.data.StartupCpuMs(), Median(cpu), cpu.empty() ? 0 : cpu[std::min(cpu.size() - 1, cpu.size() * 9 / 10)],
        cpu.empty() ? 0 : cpu.back()));
    if (c.cache_path.empty()) {
      // Nothing to do: no cache directory.
    } else if (transient) {
      log_line("not cached: some runs hit sandbox_error (measuring again next time)");
    } else if (absl::Status s = WriteCalibrationFile(c.cache_path, key, problems, c.data);
               !s.ok()) {
      log_line(absl::StrCat("not cached (", s.message(), "); measuring again next time"));
    }
  }
  c.table = LimitsFromMeasurements(c.data, options.limits.cpu_time_ms);
  if (!c.table.fallback.empty()) {
    std::vector<std::string> named;
    for (size_t k = 0; k < c.table.fallback.size() && k < kMaxNamedInLog; ++k) {
      size_t i = c.table.fallback[k];
      named.push_back(absl::StrCat(problems.problems[i].task_id, " (",
                                   c.data.canonical[i].failure.substr(0, 120), ")"));
    }
    std::string more = c.table.fallback.size() > kMaxNamedInLog
                           ? absl::StrCat(" and ", c.table.fallback.size() - kMaxNamedInLog,
                                          " more")
                           : "";
    log_line(absl::StrCat("canonical solution did not pass, fallback limit ",
                          c.table.fallback_ms, " ms: ", absl::StrJoin(named, "; "), more));
  }
  return c;
}

TimeLimitInfo AutoTimeLimitInfo(const Calibration& c, const ProblemSet& problems) {
  TimeLimitInfo t;
  t.automatic = true;
  t.cached = c.cached;
  t.measure_s = c.measure_s;
  t.startup_ms = c.data.StartupCpuMs();
  t.cache_path = c.cache_path;
  std::vector<int64_t> sorted = c.table.cpu_limit_ms;
  std::sort(sorted.begin(), sorted.end());
  if (!sorted.empty()) {
    t.min_ms = sorted.front();
    t.median_ms = sorted[sorted.size() / 2];
    t.max_ms = sorted.back();
  }
  t.fallback_ms = c.table.fallback_ms;
  for (size_t i : c.table.fallback) t.fallback_tasks.push_back(problems.problems[i].task_id);
  return t;
}

std::string DefaultCacheDir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] == '/') return absl::StrCat(xdg, "/fathom");
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') return absl::StrCat(home, "/.cache/fathom");
  return "";
}

}  // namespace fathom::grader
