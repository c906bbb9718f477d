// The prepared-setup manifest: writing, reading, and checking it against a run.
#include "grader/pipeline/prepared.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "grader/formats/line_reader.h"
#include "grader/formats/sha256.h"
#include "grader/pipeline/result_cache.h"
#include "grader/pipeline/time_limits.h"
#include "nlohmann/json.hpp"

namespace fathom::grader {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// A multi-line fingerprint on one line, for messages.
std::string OneLine(const std::string& s) { return absl::StrReplaceAll(s, {{"\n", "; "}}); }

absl::Status Differs(const std::string& dir, const std::string& what, const std::string& was,
                     const std::string& now, const std::string& hint) {
  return absl::FailedPreconditionError(
      absl::StrCat("--prepared ", dir, ": ", what, " differs: prepared with '", OneLine(was),
                   "', this run has '", OneLine(now), "'", hint.empty() ? "" : "; ", hint));
}

}  // namespace

std::string PreparedManifestPath(const std::string& dir) {
  return (fs::path(dir) / "prepared.json").string();
}

std::string PreparedLimitsText(sandbox::Limits limits) {
  limits.cpu_time_ms = 0;
  limits.wall_time_ms = 0;
  return LimitsText(limits);
}

absl::StatusOr<PreparedManifest> MakePreparedManifest(const ProblemSet& problems,
                                                      const RuntimeContext& runtime,
                                                      const SetupOptions& options,
                                                      const GradingSetup& setup,
                                                      const std::string& fathom_version) {
  PreparedManifest m;
  m.fathom_version = fathom_version;
  m.problems_path = problems.path;
  m.problems_sha256 = problems.content_sha256;
  m.runtime = runtime.fingerprint;
  m.runner = options.runner_name;
  m.machine = options.machine;
  m.limits = PreparedLimitsText(options.limits);
  m.mode = GradeModeName(options.mode);
  Sha256 id;
  id.UpdateField("fathom-prepared-v1");
  auto add_file = [&](const std::string& path, std::string* name) -> absl::Status {
    absl::StatusOr<std::string> bytes = ReadWholeFile(path);
    if (!bytes.ok()) {
      return absl::InternalError(
          absl::StrCat(path, ": the measurements were not written (", bytes.status().message(),
                       ")"));
    }
    *name = fs::path(path).filename().string();
    id.UpdateField(*name);
    id.UpdateField(*bytes);
    return absl::OkStatus();
  };
  if (!setup.task_cpu_time_ms.empty()) {
    m.calibrated = true;
    m.limit_table = LimitTableHash(problems, setup.task_cpu_time_ms);
    if (absl::Status s = add_file(setup.time_limit.cache_path, &m.calibration_file); !s.ok()) {
      return s;
    }
  }
  if (!setup.io_tasks.empty()) {
    if (absl::Status s = add_file(setup.io.cache_path, &m.expected_outputs_file); !s.ok()) {
      return s;
    }
    m.io_tasks = setup.io_tasks;
    m.unusable_tasks.insert(setup.io.unusable_tasks.begin(), setup.io.unusable_tasks.end());
  }
  m.id = id.FinalHex();
  return m;
}

absl::Status WritePreparedManifest(const std::string& dir, const PreparedManifest& m) {
  Json j = {{"fathom_prepared", kPreparedVersion},
            {"fathom_version", m.fathom_version},
            {"problems", {{"path", m.problems_path}, {"sha256", m.problems_sha256}}},
            {"runtime", m.runtime},
            {"runner", m.runner},
            {"machine", m.machine},
            {"limits", m.limits},
            {"mode", m.mode},
            {"time_limits",
             {{"calibrated", m.calibrated}, {"file", m.calibration_file}, {"table", m.limit_table}}},
            {"expected_outputs",
             {{"file", m.expected_outputs_file},
              {"tasks", m.io_tasks},
              {"unusable_tasks", m.unusable_tasks}}},
            {"id", m.id}};
  return WriteFileAtomically(PreparedManifestPath(dir),
                             j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

absl::StatusOr<PreparedManifest> ReadPreparedManifest(const std::string& dir) {
  const std::string path = PreparedManifestPath(dir);
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) {
    return absl::NotFoundError(absl::StrCat(
        path, ": not found (make the directory with `fathom prepare --out ", dir, "`)"));
  }
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a JSON object"));
  }
  PreparedManifest m;
  std::string field;
  try {
    field = "fathom_prepared";
    if (j.at(field).get<int>() != kPreparedVersion) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": fathom_prepared: unknown version (another fathom version)"));
    }
    field = "fathom_version";
    m.fathom_version = j.at(field).get<std::string>();
    field = "problems.path";
    m.problems_path = j.at("problems").at("path").get<std::string>();
    field = "problems.sha256";
    m.problems_sha256 = j.at("problems").at("sha256").get<std::string>();
    for (auto [name, out] : {std::pair{"runtime", &m.runtime}, {"runner", &m.runner},
                             {"machine", &m.machine}, {"limits", &m.limits},
                             {"mode", &m.mode}, {"id", &m.id}}) {
      field = name;
      *out = j.at(name).get<std::string>();
    }
    const nlohmann::json& t = j.at("time_limits");
    field = "time_limits.calibrated";
    m.calibrated = t.at("calibrated").get<bool>();
    field = "time_limits.file";
    m.calibration_file = t.at("file").get<std::string>();
    field = "time_limits.table";
    m.limit_table = t.at("table").get<std::string>();
    const nlohmann::json& e = j.at("expected_outputs");
    field = "expected_outputs.file";
    m.expected_outputs_file = e.at("file").get<std::string>();
    field = "expected_outputs.tasks";
    m.io_tasks = e.at("tasks").get<std::set<std::string>>();
    field = "expected_outputs.unusable_tasks";
    m.unusable_tasks = e.at("unusable_tasks").get<std::set<std::string>>();
  } catch (const nlohmann::json::exception&) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", field, ": missing or mistyped"));
  }
  for (const std::string* f : {&m.calibration_file, &m.expected_outputs_file}) {
    if (!f->empty() && !fs::is_regular_file(fs::path(dir) / *f)) {
      return absl::NotFoundError(absl::StrCat(
          path, ": names ", *f, ", which is not in ", dir, " (copy the whole directory)"));
    }
  }
  return m;
}

absl::Status CheckPrepared(const PreparedManifest& m, const std::string& dir,
                           const ProblemSet& problems, const RuntimeContext& runtime,
                           const SetupOptions& options, const std::set<std::string>& tasks,
                           const std::set<std::string>& io_tasks) {
  if (m.problems_sha256 != problems.content_sha256) {
    return Differs(dir, "the problem file", m.problems_path + " " + m.problems_sha256,
                   problems.path + " " + problems.content_sha256,
                   "prepare with the same --problems");
  }
  if (m.runtime != runtime.fingerprint) {
    return Differs(dir, "the runtime (interpreter, version, policy, isolation layers)",
                   m.runtime, runtime.fingerprint,
                   "run `fathom prepare` where the shards run (the same image, node type "
                   "and `fathom doctor` layers)");
  }
  if (m.runner != options.runner_name) {
    return Differs(dir, "the runner", m.runner, options.runner_name,
                   "give both or neither --no-zygote");
  }
  if (m.limits != PreparedLimitsText(options.limits)) {
    return Differs(dir, "the limits", m.limits, PreparedLimitsText(options.limits),
                   "give prepare the same --limit flags");
  }
  if (m.mode != GradeModeName(options.mode)) {
    return Differs(dir, "--mode", m.mode, GradeModeName(options.mode), "");
  }
  bool needs_calibration = false;
  for (const std::string& t : tasks) {
    if (io_tasks.count(t) == 0 || m.unusable_tasks.count(t) > 0) needs_calibration = true;
    if (io_tasks.count(t) > 0 && m.io_tasks.count(t) == 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--prepared ", dir, ": no expected outputs for ", t,
          " (prepared for ", m.io_tasks.size(), " tasks; prepare without --samples, or with "
          "the samples file every shard reads)"));
    }
  }
  if (needs_calibration && options.auto_time_limit && !m.calibrated) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--prepared ", dir, ": this run needs calibrated time limits and the directory has "
        "none (prepared with a fixed time limit, or for tasks that all had I/O mode)"));
  }
  return absl::OkStatus();
}

}  // namespace fathom::grader
