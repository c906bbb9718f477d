// The results sidecar: writing, reading (with errors naming the field), the fingerprint.
#include "grader/pipeline/results_sidecar.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "grader/pipeline/result_cache.h"
#include "grader/pipeline/time_limits.h"
#include "nlohmann/json.hpp"

namespace fathom::grader {
namespace {

using Json = nlohmann::ordered_json;

// The limits' fields, written and read by one table.
constexpr std::pair<const char*, int64_t sandbox::Limits::*> kLimitFields[] = {
    {"cpu_time_ms", &sandbox::Limits::cpu_time_ms},
    {"wall_time_ms", &sandbox::Limits::wall_time_ms},
    {"memory_bytes", &sandbox::Limits::memory_bytes},
    {"max_output_bytes", &sandbox::Limits::max_output_bytes},
    {"max_processes", &sandbox::Limits::max_processes},
    {"max_file_bytes", &sandbox::Limits::max_file_bytes},
    {"max_open_files", &sandbox::Limits::max_open_files},
    {"tmpfs_bytes", &sandbox::Limits::tmpfs_bytes},
    {"stack_bytes", &sandbox::Limits::stack_bytes},
};

Json LimitsJson(const sandbox::Limits& l) {
  Json j = Json::object();
  for (const auto& [name, field] : kLimitFields) j[name] = l.*field;
  return j;
}

Json TimeLimitJson(const TimeLimitInfo& t) {
  return {{"automatic", t.automatic},   {"cached", t.cached},         {"measure_s", t.measure_s},
          {"cache_path", t.cache_path}, {"startup_ms", t.startup_ms}, {"min_ms", t.min_ms},
          {"median_ms", t.median_ms},   {"max_ms", t.max_ms},         {"fallback_ms", t.fallback_ms},
          {"fallback_tasks", t.fallback_tasks}};
}

Json RunInfoJson(const RunInfo& i) {
  return {{"runtime_name", i.runtime_name},
          {"interpreter", i.interpreter},
          {"interpreter_version", i.interpreter_version},
          {"policy_hash", i.policy_hash},
          {"layers", i.layers},
          {"fathom_version", i.fathom_version},
          {"limits", LimitsJson(i.limits)},
          {"time_limit", TimeLimitJson(i.time_limit)},
          {"workers", i.workers},
          {"mode", i.mode},
          {"io_note", i.io_note},
          {"io_time_limit", i.io_time_limit}};
}

Json CountsJson(const std::vector<std::pair<std::string, int64_t>>& counts) {
  Json j = Json::object();
  for (const auto& [task, n] : counts) j[task] = n;
  return j;
}

// Reads fields out of one JSON object, remembering the first problem as an error that
// names the file and the field's path.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  const Json* Find(const Json& obj, const std::string& key, const std::string& where) {
    if (!obj.is_object()) {
      Fail(where, "expected an object");
      return nullptr;
    }
    auto it = obj.find(key);
    if (it == obj.end()) {
      Fail(Path(where, key), "missing");
      return nullptr;
    }
    return &*it;
  }
  template <typename T>
  void Get(const Json& obj, const std::string& key, const std::string& where, T* out) {
    const Json* v = Find(obj, key, where);
    if (v == nullptr) return;
    bool ok;
    if constexpr (std::is_same_v<T, bool>) {
      ok = v->is_boolean();
    } else if constexpr (std::is_same_v<T, std::string>) {
      ok = v->is_string();
    } else if constexpr (std::is_same_v<T, double>) {
      ok = v->is_number();
    } else if constexpr (std::is_integral_v<T>) {
      ok = v->is_number_integer();
    } else {
      ok = v->is_array();
      if (ok) {
        for (const Json& e : *v) {
          if (!e.is_string() && !e.is_number_integer()) ok = false;
        }
      }
    }
    if (!ok) {
      Fail(Path(where, key), "wrong type");
      return;
    }
    *out = v->get<T>();
  }
  void Counts(const Json& obj, const std::string& key, const std::string& where,
              std::vector<std::pair<std::string, int64_t>>* out) {
    const Json* v = Find(obj, key, where);
    if (v == nullptr) return;
    if (!v->is_object()) return Fail(Path(where, key), "expected an object of counts");
    for (auto it = v->begin(); it != v->end(); ++it) {
      if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0) {
        return Fail(Path(Path(where, key), it.key()), "expected a count");
      }
      out->emplace_back(it.key(), it.value().get<int64_t>());
    }
  }
  void Fail(const std::string& field, const std::string& what) {
    if (error_.empty()) error_ = absl::StrCat(file_, ": ", field, ": ", what);
  }
  absl::Status status() const {
    return error_.empty() ? absl::OkStatus() : absl::InvalidArgumentError(error_);
  }

 private:
  static std::string Path(const std::string& where, const std::string& key) {
    return where.empty() ? key : absl::StrCat(where, ".", key);
  }
  std::string file_;
  std::string error_;
};

void ReadLimits(Reader& r, const Json& j, const std::string& w, sandbox::Limits* l) {
  for (const auto& [name, field] : kLimitFields) r.Get(j, name, w, &(l->*field));
}

void ReadTimeLimit(Reader& r, const Json& j, const std::string& w, TimeLimitInfo* t) {
  r.Get(j, "automatic", w, &t->automatic);
  r.Get(j, "cached", w, &t->cached);
  r.Get(j, "measure_s", w, &t->measure_s);
  r.Get(j, "cache_path", w, &t->cache_path);
  r.Get(j, "startup_ms", w, &t->startup_ms);
  r.Get(j, "min_ms", w, &t->min_ms);
  r.Get(j, "median_ms", w, &t->median_ms);
  r.Get(j, "max_ms", w, &t->max_ms);
  r.Get(j, "fallback_ms", w, &t->fallback_ms);
  r.Get(j, "fallback_tasks", w, &t->fallback_tasks);
}

void ReadRunInfo(Reader& r, const Json& j, const std::string& w, RunInfo* i) {
  r.Get(j, "runtime_name", w, &i->runtime_name);
  r.Get(j, "interpreter", w, &i->interpreter);
  r.Get(j, "interpreter_version", w, &i->interpreter_version);
  r.Get(j, "policy_hash", w, &i->policy_hash);
  r.Get(j, "layers", w, &i->layers);
  r.Get(j, "fathom_version", w, &i->fathom_version);
  if (const Json* l = r.Find(j, "limits", w)) ReadLimits(r, *l, w + ".limits", &i->limits);
  if (const Json* t = r.Find(j, "time_limit", w)) {
    ReadTimeLimit(r, *t, w + ".time_limit", &i->time_limit);
  }
  r.Get(j, "workers", w, &i->workers);
  r.Get(j, "mode", w, &i->mode);
  r.Get(j, "io_note", w, &i->io_note);
  r.Get(j, "io_time_limit", w, &i->io_time_limit);
}

}  // namespace

std::string ResultsSidecar::Field(const std::string& field) const {
  for (const auto& [k, v] : fingerprint) {
    if (k == field) return v;
  }
  return "";
}

std::string SidecarPath(const std::string& results_path) {
  return results_path + ".fathom.json";
}

absl::Status WriteSidecar(const std::string& results_path, const ResultsSidecar& s) {
  Json fp = Json::object();
  for (const auto& [k, v] : s.fingerprint) fp[k] = v;
  Json runs = Json::array();
  for (const auto& [first, count] : s.index_runs) runs.push_back(Json::array({first, count}));
  Json j = {{"fathom_results", kResultsSidecarVersion},
            {"fingerprint", fp},
            {"shard", s.shard.sharded() ? Json(s.shard.Text()) : Json(nullptr)},
            {"samples",
             {{"path", s.samples_path},
              {"total", s.file_samples},
              {"bad_records", s.bad_records},
              {"tasks", CountsJson(s.file_tasks)}}},
            {"results", {{"tasks", CountsJson(s.result_tasks)}, {"indices", runs}}},
            {"ks", s.ks},
            {"format", s.format},
            {"extract", {{"mode", ExtractModeName(s.extract)}, {"stops", s.stops}}},
            {"summary", RunInfoJson(s.info)},
            {"run",
             {{"elapsed_s", s.elapsed_s},
              {"ran", s.ran},
              {"cache_hits", s.cache_hits},
              {"resumed", s.resumed},
              {"runner", s.runner}}}};
  if (!s.merged_from.empty()) j["merged_from"] = s.merged_from;
  if (!s.mismatched.empty()) j["mismatched"] = s.mismatched;
  return WriteFileAtomically(
      SidecarPath(results_path),
      j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

absl::StatusOr<ResultsSidecar> ReadSidecar(const std::string& results_path) {
  const std::string path = SidecarPath(results_path);
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": not found"));
  std::stringstream ss;
  ss << in.rdbuf();
  Json j = Json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a JSON object"));
  }
  Reader r(path);
  ResultsSidecar s;
  int version = 0;
  r.Get(j, "fathom_results", "", &version);
  if (r.status().ok() && version != kResultsSidecarVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": fathom_results: version ", version, " is not ",
                     kResultsSidecarVersion, " (written by another fathom version)"));
  }
  if (const Json* fp = r.Find(j, "fingerprint", "")) {
    if (!fp->is_object()) r.Fail("fingerprint", "expected an object");
    for (auto it = fp->begin(); fp->is_object() && it != fp->end(); ++it) {
      if (!it.value().is_string()) r.Fail("fingerprint." + it.key(), "expected a string");
      if (it.value().is_string()) s.fingerprint.emplace_back(it.key(), it.value().get<std::string>());
    }
  }
  if (const Json* shard = r.Find(j, "shard", ""); shard != nullptr && !shard->is_null()) {
    absl::StatusOr<ShardSpec> spec =
        shard->is_string() ? ParseShard(shard->get<std::string>(), [](const char*) {
          return static_cast<const char*>(nullptr);
        })
                           : absl::InvalidArgumentError("expected \"i/N\" or null");
    if (!spec.ok()) {
      r.Fail("shard", std::string(spec.status().message()));
    } else {
      s.shard = *spec;
    }
  }
  if (const Json* samples = r.Find(j, "samples", "")) {
    r.Get(*samples, "path", "samples", &s.samples_path);
    r.Get(*samples, "total", "samples", &s.file_samples);
    r.Get(*samples, "bad_records", "samples", &s.bad_records);
    r.Counts(*samples, "tasks", "samples", &s.file_tasks);
  }
  if (const Json* results = r.Find(j, "results", "")) {
    r.Counts(*results, "tasks", "results", &s.result_tasks);
    if (const Json* runs = r.Find(*results, "indices", "results")) {
      if (!runs->is_array()) r.Fail("results.indices", "expected a list of [first, count]");
      int64_t end = 0;
      for (size_t k = 0; runs->is_array() && k < runs->size(); ++k) {
        const Json& run = (*runs)[k];
        if (!run.is_array() || run.size() != 2 || !run[0].is_number_integer() ||
            !run[1].is_number_integer() || run[0].get<int64_t>() < end ||
            run[1].get<int64_t>() < 1) {
          r.Fail(absl::StrCat("results.indices[", k, "]"),
                 "expected [first, count], ascending and not overlapping");
          break;
        }
        s.index_runs.emplace_back(run[0].get<int64_t>(), run[1].get<int64_t>());
        end = run[0].get<int64_t>() + run[1].get<int64_t>();
      }
    }
  }
  r.Get(j, "ks", "", &s.ks);
  r.Get(j, "format", "", &s.format);
  if (const Json* extract = r.Find(j, "extract", "")) {
    std::string mode;
    r.Get(*extract, "mode", "extract", &mode);
    r.Get(*extract, "stops", "extract", &s.stops);
    if (r.status().ok()) {
      absl::StatusOr<ExtractMode> m = ParseExtractMode(mode);
      if (!m.ok()) {
        r.Fail("extract.mode", std::string(m.status().message()));
      } else {
        s.extract = *m;
      }
    }
  }
  if (const Json* info = r.Find(j, "summary", "")) ReadRunInfo(r, *info, "summary", &s.info);
  if (const Json* run = r.Find(j, "run", "")) {
    r.Get(*run, "elapsed_s", "run", &s.elapsed_s);
    r.Get(*run, "ran", "run", &s.ran);
    r.Get(*run, "cache_hits", "run", &s.cache_hits);
    r.Get(*run, "resumed", "run", &s.resumed);
    r.Get(*run, "runner", "run", &s.runner);
  }
  if (j.contains("merged_from")) r.Get(j, "merged_from", "", &s.merged_from);
  if (j.contains("mismatched")) r.Get(j, "mismatched", "", &s.mismatched);
  if (absl::Status st = r.status(); !st.ok()) return st;
  return s;
}

std::vector<std::pair<std::string, std::string>> GradeFingerprint(
    const GradeReport& report, const GradeOptions& o, const ProblemSet& problems,
    const RuntimeContext& runtime, const RunInfo& info, const std::string& setup) {
  std::string time_limits;
  // io_fixed_cpu is "a fixed limit was given" (GradeOptions); time_limit.automatic is
  // only set where something was calibrated.
  if (o.io_fixed_cpu) {
    time_limits = absl::StrCat("fixed ", o.limits.cpu_time_ms, " ms");
  } else if (o.setup.task_cpu_time_ms.empty()) {
    time_limits = "auto";
  } else {
    time_limits =
        absl::StrCat("auto ", LimitTableHash(problems, o.setup.task_cpu_time_ms));
  }
  std::string mode = GradeModeName(o.mode);
  if (!o.setup.io_tasks.empty()) {
    const IoSettings& io = o.io_settings;
    absl::StrAppend(&mode, absl::StrFormat(
                               "; io: min %d ms, factor %g, cap %d ms, startup %d ms, details "
                               "%d, fixed cpu %d",
                               io.min_time_limit_ms, io.gt_time_limit_factor, io.group_cap_ms,
                               io.startup_allowance_ms, io.test_details, o.io_fixed_cpu));
  }
  std::string extract = ExtractModeName(o.extract);
  if (o.extract == ExtractMode::kStop) {
    absl::StrAppend(&extract, " ", nlohmann::json(o.stops).dump());
  }
  return {{"fathom_version", info.fathom_version},
          {"problems_sha256", problems.content_sha256},
          {"samples_sha256", report.samples_digest},
          {"runtime", runtime.fingerprint},
          {"policy_hash", info.policy_hash},
          {"limits", LimitsText(o.limits)},
          {"time_limits", time_limits},
          {"mode", mode},
          {"setup", setup},
          {"extract", extract}};
}

std::string PreparedSetupText(const std::string& prepared_id) {
  return absl::StrCat("prepared ", prepared_id);
}

std::string MeasuredSetupText(const GradingSetup& setup, const std::string& machine) {
  const bool measured = !setup.task_cpu_time_ms.empty() || !setup.io_tasks.empty();
  return measured ? absl::StrCat("measured on ", machine) : "none";
}

bool FingerprintValuesAgree(const std::string& field, const std::string& a,
                            const std::string& b) {
  if (a == b) return true;
  if (field != "time_limits") return false;
  // A shard whose tasks were all graded in I/O mode calibrated nothing ("auto"); the
  // calibrated table of another covers every task of the problem file.
  return (a == "auto" && absl::StartsWith(b, "auto ")) ||
         (b == "auto" && absl::StartsWith(a, "auto "));
}

}  // namespace fathom::grader
