// Summary rendering.
#include "grader/pipeline/summary.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace fathom::grader {

namespace {

std::string Seconds(int64_t ms) { return absl::StrFormat("%.1f s", ms / 1000.0); }

std::string TimeLimitText(const RunInfo& info) {
  const TimeLimitInfo& t = info.time_limit;
  if (!t.automatic) return absl::StrCat(Seconds(info.limits.cpu_time_ms), " CPU (fixed)");
  std::string out = absl::StrCat("auto: ", Seconds(t.median_ms), " CPU median");
  if (t.min_ms != t.max_ms) absl::StrAppend(&out, " (", Seconds(t.min_ms), " to ", Seconds(t.max_ms), ")");
  if (t.cached) {
    absl::StrAppend(&out, ", calibration cached");
  } else {
    absl::StrAppendFormat(&out, ", calibrated in %.1f s", t.measure_s);
  }
  if (!t.fallback_tasks.empty()) {
    absl::StrAppend(&out, ", ", t.fallback_tasks.size(), " on the fallback ", Seconds(t.fallback_ms));
  }
  return out;
}

}  // namespace

std::string IoTimeLimitText(const IoSettings& settings, bool fixed_cpu, int64_t cpu_time_ms) {
  return absl::StrFormat(
      "per input max(%.1f s, %g x the canonical's CPU)%s", settings.min_time_limit_ms / 1000.0,
      settings.gt_time_limit_factor,
      fixed_cpu ? absl::StrFormat(", run %.1f s CPU (fixed)", cpu_time_ms / 1000.0) : "");
}

std::string IoNote(bool cached, double measure_s, size_t unusable_tasks) {
  std::string note = cached ? "expected outputs cached"
                            : absl::StrFormat("expected outputs measured in %.1f s", measure_s);
  if (unusable_tasks > 0) {
    absl::StrAppend(&note, "; ", unusable_tasks,
                    " tasks in assert mode (canonical solution failed)");
  }
  return note;
}

std::string SummaryText(const GradeReport& r, const RunInfo& info) {
  std::string out = HumanEvalPassAtKLine(r.pass_at_k) + "\n";
  double rate = r.elapsed_s > 0 ? static_cast<double>(r.ran + r.cache_hits) / r.elapsed_s : 0;
  if (r.io_samples > 0) {
    std::string base;
    for (const auto& [k, v] : r.base_pass_at_k) {
      absl::StrAppendFormat(&base, "%spass@%d %.4f", base.empty() ? "" : ", ", k, v);
    }
    absl::StrAppendFormat(&out,
                          "  mode       %s: %d samples graded by their inputs (base tests: %s; "
                          "the line above: base + extra tests), %d in assert mode%s%s\n",
                          info.mode, r.io_samples, base.empty() ? "-" : base,
                          r.samples - r.io_samples, info.io_note.empty() ? "" : "; ",
                          info.io_note);
  }
  absl::StrAppendFormat(&out, "  tasks      %d / %d covered\n", r.tasks.size(), r.tasks_total);
  absl::StrAppendFormat(&out, "  samples    %d graded", r.samples);
  if (r.resumed > 0) absl::StrAppendFormat(&out, " (%d from the resumed run)", r.resumed);
  if (r.cache_hits > 0) absl::StrAppendFormat(&out, ", %d cache hits", r.cache_hits);
  if (r.bad_records > 0) absl::StrAppendFormat(&out, ", %d bad input records", r.bad_records);
  out += "\n  status    ";
  for (size_t i = 0; i < static_cast<size_t>(SampleStatus::kCount); ++i) {
    if (r.status_counts[i] == 0) continue;
    absl::StrAppendFormat(&out, " %s %d", SampleStatusName(static_cast<SampleStatus>(i)),
                          r.status_counts[i]);
  }
  if (r.io_samples > 0 && r.io_samples == r.samples) {
    absl::StrAppendFormat(&out, "\n  time limit %s", info.io_time_limit);
  } else if (r.io_samples > 0) {
    absl::StrAppendFormat(&out, "\n  time limit I/O mode: %s; assert mode: %s",
                          info.io_time_limit, TimeLimitText(info));
  } else {
    absl::StrAppendFormat(&out, "\n  time limit %s", TimeLimitText(info));
  }
  absl::StrAppendFormat(&out, "\n  time       %.1f s, %.1f samples/s\n", r.elapsed_s, rate);
  absl::StrAppendFormat(&out, "  results    %s%s\n", r.results_path,
                        r.completed ? "" : " (incomplete: rerun the same command to resume)");
  return out;
}

nlohmann::ordered_json SummaryJson(const GradeReport& r, const RunInfo& info) {
  nlohmann::ordered_json j;
  nlohmann::ordered_json pass = nlohmann::ordered_json::object();
  for (const auto& [k, v] : r.pass_at_k) pass[absl::StrCat("pass@", k)] = v;
  j["pass_at_k"] = pass;
  j["mode"] = info.mode;
  if (r.io_samples > 0) {
    nlohmann::ordered_json base = nlohmann::ordered_json::object();
    for (const auto& [k, v] : r.base_pass_at_k) base[absl::StrCat("pass@", k)] = v;
    j["base_pass_at_k"] = base;
    j["io"] = {{"samples", r.io_samples}, {"note", info.io_note}};
  }
  nlohmann::ordered_json tasks = nlohmann::ordered_json::object();
  for (const auto& [id, t] : r.tasks) tasks[id] = {{"n", t.n}, {"c", t.c}};
  j["tasks"] = tasks;
  nlohmann::ordered_json counts = nlohmann::ordered_json::object();
  for (size_t i = 0; i < static_cast<size_t>(SampleStatus::kCount); ++i) {
    // compile_error only when there is one: interpreted runtimes' summaries stay as they were.
    if (static_cast<SampleStatus>(i) == SampleStatus::kCompileError && r.status_counts[i] == 0) {
      continue;
    }
    counts[SampleStatusName(static_cast<SampleStatus>(i))] = r.status_counts[i];
  }
  j["status_counts"] = counts;
  j["coverage"] = {{"tasks_covered", r.tasks.size()},
                   {"tasks_total", r.tasks_total},
                   {"samples", r.samples},
                   {"bad_input", r.bad_records}};
  const sandbox::Limits& l = info.limits;
  const TimeLimitInfo& t = info.time_limit;
  // Per task under --time-limit auto: see "time_limit".
  nlohmann::ordered_json cpu, wall;
  if (!t.automatic) cpu = l.cpu_time_ms;
  if (!t.automatic || l.wall_time_ms > 0) wall = l.EffectiveWallTimeMs();
  j["limits"] = {{"cpu_time_ms", cpu},
                 {"wall_time_ms", wall},
                 {"memory_bytes", l.memory_bytes},
                 {"max_output_bytes", l.max_output_bytes},
                 {"max_processes", l.max_processes},
                 {"max_file_bytes", l.max_file_bytes},
                 {"max_open_files", l.max_open_files},
                 {"tmpfs_bytes", l.tmpfs_bytes},
                 {"stack_bytes", l.stack_bytes}};
  if (t.automatic) {
    j["time_limit"] = {{"mode", "auto"},
                       {"floor_ms", kTimeLimitFloorMs},
                       {"promise", kTimeLimitPromise},
                       {"margin", kTimeLimitMargin},
                       {"startup_cpu_ms", t.startup_ms},
                       {"calibration", t.cached ? "cached" : "measured"},
                       {"calibration_s", t.measure_s},
                       {"cache_file", t.cache_path.empty() ? nlohmann::ordered_json()
                                                           : nlohmann::ordered_json(t.cache_path)},
                       {"cpu_limit_ms", {{"min", t.min_ms}, {"median", t.median_ms},
                                         {"max", t.max_ms}}},
                       {"fallback_ms", t.fallback_ms},
                       {"fallback_tasks", t.fallback_tasks}};
  } else {
    j["time_limit"] = {{"mode", "fixed"}, {"cpu_time_ms", l.cpu_time_ms}};
  }
  j["runtime"] = {{"name", info.runtime_name},
                  {"interpreter", info.interpreter},
                  {"interpreter_version", info.interpreter_version},
                  {"policy_hash", info.policy_hash},
                  {"layers", info.layers},
                  {"fathom_version", info.fathom_version}};
  j["run"] = {{"workers", info.workers},
              {"elapsed_s", r.elapsed_s},
              {"ran", r.ran},
              {"cache_hits", r.cache_hits},
              {"resumed", r.resumed},
              {"completed", r.completed},
              {"results_file", r.results_path}};
  if (!r.completed) j["run"]["stop_reason"] = r.stop_reason;
  return j;
}

}  // namespace fathom::grader
