// Merging the shards of a `fathom eval` run (see merge_runs.h).
#include "driver/run/merge_runs.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "driver/run/engine.h"
#include "driver/run/entry.h"
#include "driver/run/run_dir.h"
#include "grader/formats/indexed_lines.h"
#include "grader/formats/line_reader.h"
#include "grader/pipeline/merge.h"

namespace fathom::driver::run {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// One shard's copy of a benchmark.
struct Part {
  size_t input = 0;
  Json entry;
  grader::IndexRuns items;  // its items' numbers among the run's
  int64_t rows = 0;         // the run's rows
  std::string shard;        // "i/N", or "" for an unsharded run
  bool predictions_per_shard = false;
};

absl::StatusOr<Part> ReadPart(size_t input, const std::string& dir, const std::string& name,
                              const Json& entry) {
  Part p;
  p.input = input;
  p.entry = entry;
  const std::string where = absl::StrCat(dir, "/report.json: benchmarks.", name);
  auto count = [&](const Json& j, const char* key) -> absl::StatusOr<int64_t> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", key, ": expected a count"));
    }
    return it->get<int64_t>();
  };
  auto shard = p.entry.find("shard");
  if (shard == p.entry.end()) {
    absl::StatusOr<int64_t> rows = count(p.entry, "rows");
    if (!rows.ok()) return rows.status();
    p.rows = *rows;
    if (p.rows > 0) p.items.emplace_back(0, p.rows);
    return p;
  }
  const Json& s = *shard;
  absl::StatusOr<int64_t> rows = s.is_object() ? count(s, "rows")
                                               : absl::InvalidArgumentError(absl::StrCat(
                                                     where, ".shard: expected an object"));
  if (!rows.ok()) return rows.status();
  p.rows = *rows;
  p.shard = s.value("shard", "");
  p.predictions_per_shard = s.value("predictions", "all") == "per_shard";
  auto items = s.find("items");
  if (items == s.end() || !items->is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".shard.items: expected a list"));
  }
  int64_t end = 0;
  for (const Json& run : *items) {
    if (!run.is_array() || run.size() != 2 || !run[0].is_number_integer() ||
        !run[1].is_number_integer() || run[0].get<int64_t>() < end || run[1].get<int64_t>() < 1 ||
        run[0].get<int64_t>() + run[1].get<int64_t>() > p.rows) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ".shard.items: expected ascending [first, count] within the rows"));
    }
    p.items.emplace_back(run[0].get<int64_t>(), run[1].get<int64_t>());
    end = run[0].get<int64_t>() + run[1].get<int64_t>();
  }
  auto def = s.find("definition");
  if (def == s.end() || !def->is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".shard.definition: missing"));
  }
  return p;
}

// The parts of the benchmark definition a tally needs, from a shard's entry.
absl::StatusOr<BenchmarkInfo> InfoOf(const Part& p, const std::string& name) {
  const Json& e = p.entry;
  const Json& d = e["shard"]["definition"];
  BenchmarkInfo info;
  try {
    info.name = name;
    info.title = e.at("title").get<std::string>();
    info.category = e.at("category").get<std::string>();
    info.setting = e.at("setting").get<std::string>();
    info.higher_is_better = e.at("higher_is_better").get<bool>();
    const std::string scoring = e.at("scoring").get<std::string>();
    info.scoring = scoring == "code"       ? Scoring::kCode
                   : scoring == "external" ? Scoring::kExternal
                                           : Scoring::kJudge;
    info.metric = d.at("metric").get<std::string>();
    info.subtask_field = d.at("subtask_field").get<std::string>();
    info.subtasks = d.at("subtasks").get<std::vector<std::string>>();
    info.pass_at_k = d.at("pass_at_k").get<std::vector<int>>();
  } catch (const nlohmann::json::exception& ex) {
    return absl::InvalidArgumentError(
        absl::StrCat("benchmarks.", name, ": the shard's entry lacks its definition (", ex.what(),
                     ")"));
  }
  return info;
}

// Items missing or given twice among `parts`: ranges "first-last" (or one number).
void Coverage(const std::vector<Part>& parts, int64_t rows, std::vector<std::string>* missing,
              std::vector<std::string>* twice) {
  std::vector<std::pair<int64_t, int64_t>> all;
  for (const Part& p : parts) {
    for (const auto& [first, count] : p.items) all.emplace_back(first, first + count);
  }
  std::sort(all.begin(), all.end());
  auto range = [](int64_t a, int64_t b) {  // [a, b)
    return b - a == 1 ? absl::StrCat(a) : absl::StrCat(a, "-", b - 1);
  };
  int64_t next = 0;
  for (const auto& [first, end] : all) {
    if (first > next) missing->push_back(range(next, first));
    if (first < next) twice->push_back(range(first, std::min(next, end)));
    next = std::max(next, end);
  }
  if (next < rows) missing->push_back(range(next, rows));
}

// The item number an event line is about (its sample_id's last part), or -1.
int64_t EventItem(const Json& event) {
  auto id = event.find("sample_id");
  if (id == event.end() || !id->is_string()) return -1;
  const std::string& s = id->get_ref<const std::string&>();
  int64_t item = -1;
  const size_t dot = s.rfind('.');
  if (dot == std::string::npos || !absl::SimpleAtoi(s.substr(dot + 1), &item)) return -1;
  return item;
}

// One part's events file, read item by item.
struct EventReader {
  std::optional<grader::LineReader> reader;
  Json spec;                 // its first line
  std::optional<Json> next;  // the next item event, parsed
  int64_t next_item = -1;

  absl::Status Open(const std::string& path) {
    absl::StatusOr<grader::LineReader> r = grader::LineReader::Open(path);
    if (!r.ok()) return r.status();
    reader.emplace(*std::move(r));
    return Read();
  }
  // Reads up to the next item event (a spec or final_report line is kept or passed).
  absl::Status Read() {
    next.reset();
    std::string line;
    int64_t n = 0;
    while (reader->Next(&line, &n)) {
      Json j = Json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        return absl::InvalidArgumentError(
            absl::StrCat(reader->path(), ":", n, ": not a JSON object"));
      }
      if (j.contains("spec")) {
        spec = std::move(j);
        continue;
      }
      if (j.contains("final_report")) continue;
      next_item = EventItem(j);
      if (next_item < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(reader->path(), ":", n, ": sample_id: expected <base>.<item>"));
      }
      next = std::move(j);
      return absl::OkStatus();
    }
    return reader->status();
  }
};

}  // namespace

absl::StatusOr<MergedRun> MergeRunDirs(const MergeRunsOptions& o) {
  if (absl::Status s = grader::CheckMergeInputs(o.inputs, o.out_dir); !s.ok()) return s;
  std::vector<Json> reports;
  for (const std::string& dir : o.inputs) {
    if (!fs::exists(fs::path(dir) / "report.json")) {
      return absl::NotFoundError(absl::StrCat(dir, ": no report.json (not a fathom eval run)"));
    }
    absl::StatusOr<Json> r = ReadReport(dir);
    if (!r.ok()) return r.status();
    if (!r->contains("benchmarks") || !(*r)["benchmarks"].is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(dir, "/report.json: benchmarks: missing"));
    }
    reports.push_back(*std::move(r));
  }
  std::vector<std::string> mismatches, incomplete;
  const Json fingerprint = reports[0].value("fingerprint", Json::object());
  for (size_t i = 1; i < reports.size(); ++i) {
    const Json fp = reports[i].value("fingerprint", Json::object());
    if (fp != fingerprint) {
      mismatches.push_back(absl::StrCat("fingerprint: ", JsonLine(fingerprint), " (", o.inputs[0],
                                        ") vs ", JsonLine(fp), " (", o.inputs[i], ")"));
    }
  }
  // Benchmarks in the first run's order, then the others'.
  std::vector<std::string> names;
  for (const Json& r : reports) {
    for (const auto& [name, entry] : r["benchmarks"].items()) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  std::map<std::string, std::vector<Part>> parts;
  for (const std::string& name : names) {
    std::vector<Part>& ps = parts[name];
    for (size_t i = 0; i < reports.size(); ++i) {
      const Json& b = reports[i]["benchmarks"];
      if (!b.contains(name)) continue;
      absl::StatusOr<Part> p = ReadPart(i, o.inputs[i], name, b[name]);
      if (!p.ok()) return p.status();
      ps.push_back(*std::move(p));
    }
    const Part& first = ps.front();
    std::set<std::string> counts;
    for (const Part& p : ps) {
      if (p.entry.value("inputs_sha256", "") != first.entry.value("inputs_sha256", "")) {
        mismatches.push_back(absl::StrCat(
            name, ": inputs (data, shots, predictions, mode, grader) differ: ",
            o.inputs[first.input], " vs ", o.inputs[p.input]));
      }
      if (p.rows != first.rows) {
        mismatches.push_back(absl::StrCat(name, ": ", first.rows, " rows (", o.inputs[first.input],
                                          ") vs ", p.rows, " (", o.inputs[p.input], ")"));
      }
    }
    std::vector<std::string> missing, twice;
    Coverage(ps, first.rows, &missing, &twice);
    if (!missing.empty()) {
      incomplete.push_back(absl::StrCat(name, ": items missing: ", grader::NamedList(missing)));
    }
    if (!twice.empty()) {
      incomplete.push_back(absl::StrCat(name, ": items in two runs: ", grader::NamedList(twice)));
    }
  }
  std::vector<std::string> refusals;
  if (!mismatches.empty() && !o.allow_mismatch) {
    refusals.push_back(absl::StrCat("the runs differ (--allow-mismatch merges anyway):\n    ",
                                    absl::StrJoin(mismatches, "\n    ")));
  }
  if (!incomplete.empty() && !o.allow_incomplete) {
    refusals.push_back(absl::StrCat(
        "the runs are not one whole run (--allow-incomplete merges anyway):\n    ",
        absl::StrJoin(incomplete, "\n    ")));
  }
  if (!refusals.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot merge:\n  ", absl::StrJoin(refusals, "\n  ")));
  }

  absl::StatusOr<RunLock> lock = RunLock::Acquire(o.out_dir);
  if (!lock.ok()) return lock.status();
  MergedRun merged;
  std::vector<BenchmarkOutcome> outcomes;
  for (const std::string& name : names) {
    std::vector<Part>& ps = parts[name];
    const Part* with_definition = nullptr;
    for (const Part& p : ps) {
      if (p.entry.contains("shard") && with_definition == nullptr) with_definition = &p;
    }
    if (with_definition == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": none of the runs was made with `fathom eval --shard`: nothing to merge"));
    }
    absl::StatusOr<BenchmarkInfo> info = InfoOf(*with_definition, name);
    if (!info.ok()) return info.status();
    const Part& first = ps.front();
    const Json& fe = first.entry;
    Tally tally(*info);
    // The predictions' own errors come first, as in one run (every shard read them all).
    const int64_t bad_predictions = fe.value("bad_predictions", int64_t{0});
    const Json errors = fe.value("errors", Json::array());
    for (int64_t k = 0; k < bad_predictions && k < static_cast<int64_t>(errors.size()); ++k) {
      tally.Error(errors[static_cast<size_t>(k)].get<std::string>());
    }
    bool same_unused = true;
    for (const Part& p : ps) {
      same_unused = same_unused && p.entry.value("unused_predictions", int64_t{0}) ==
                                       fe.value("unused_predictions", int64_t{0});
      tally.out_of_window = tally.out_of_window || p.entry.value("out_of_window", false);
    }
    // Shards that read one predictions file all count the same unused ones; shards with
    // predictions of their own count theirs.
    tally.bad_predictions = bad_predictions;
    tally.unused_predictions = fe.value("unused_predictions", int64_t{0});
    if (first.predictions_per_shard || !same_unused) {
      tally.unused_predictions = 0;
      for (const Part& p : ps) tally.unused_predictions += p.entry.value("unused_predictions", int64_t{0});
    }

    // Items, in the run's order; a number given twice is taken from the first run.
    const std::string items_name = name + ".items.jsonl";
    const std::string events_name = name + ".events.jsonl";
    grader::IndexedLines lines;
    for (const Part& p : ps) {
      if (absl::Status s = lines.Add((fs::path(o.inputs[p.input]) / items_name).string(), &p.items);
          !s.ok()) {
        return s;
      }
    }
    absl::StatusOr<AtomicFile> items = AtomicFile::Create((fs::path(o.out_dir) / items_name).string());
    if (!items.ok()) return items.status();
    std::vector<std::pair<int64_t, size_t>> kept;  // (item, part)
    grader::IndexedLines::Line line;
    while (true) {
      absl::StatusOr<bool> more = lines.Next(&line);
      if (!more.ok()) return more.status();
      if (!*more) break;
      if (!kept.empty() && kept.back().first == line.index) continue;  // given twice
      const std::string where =
          absl::StrCat(o.inputs[ps[line.file].input], "/", items_name, ":", line.line_number);
      Json item = Json::parse(line.text, nullptr, false);
      if (item.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(where, ": not JSON"));
      if (absl::Status s = tally.AddItemLine(item); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": ", s.message()));
      }
      kept.emplace_back(line.index, line.file);
      items->WriteLine(line.text);
    }

    EntryContext context;
    context.mode = fe.value("mode", "");
    context.api = fe.value("api", "");
    context.inputs = fe.value("inputs", Json::object());
    context.definition_sha256 = fe.value("definition_sha256", "");
    const Json bootstrap = fe.value("bootstrap", Json::object());
    context.bootstrap = bootstrap.value("replicates", 0);
    context.seed = bootstrap.value("seed", uint64_t{0});
    context.scorer = fe.value("scorer", "");
    context.grader = fe.value("grader", Json::object());
    context.inputs_sha256 = fe.value("inputs_sha256", "");
    BuiltEntry built = BuildEntry(tally, context);

    // Events: the first run's spec line, each kept item's events from the run it was
    // taken from (renumbered), and the recomputed final_report.
    std::vector<EventReader> readers(ps.size());
    for (size_t k = 0; k < ps.size(); ++k) {
      if (absl::Status s = readers[k].Open((fs::path(o.inputs[ps[k].input]) / events_name).string());
          !s.ok()) {
        return s;
      }
    }
    absl::StatusOr<AtomicFile> events =
        AtomicFile::Create((fs::path(o.out_dir) / events_name).string());
    if (!events.ok()) return events.status();
    events->WriteLine(JsonLine(readers[0].spec));
    int64_t event_id = 0;
    for (const auto& [item, part] : kept) {
      EventReader& r = readers[part];
      while (r.next && r.next_item <= item) {
        if (r.next_item == item) {
          (*r.next)["event_id"] = event_id++;
          events->WriteLine(JsonLine(*r.next));
        }
        if (absl::Status s = r.Read(); !s.ok()) return s;
      }
    }
    events->WriteLine(JsonLine(Json{{"final_report", built.final_report}}));
    if (absl::Status s = items->Commit(); !s.ok()) return s;
    if (absl::Status s = events->Commit(); !s.ok()) return s;

    merged.sandbox_errors += tally.sandbox_errors;
    BenchmarkOutcome outcome;
    outcome.name = name;
    outcome.report = std::move(built.entry);
    outcome.sandbox_errors = tally.sandbox_errors;
    outcomes.push_back(std::move(outcome));
  }
  if (absl::Status s = CommitRun(o.out_dir, fingerprint, outcomes, names); !s.ok()) return s;
  absl::StatusOr<Json> report = ReadReport(o.out_dir);
  if (!report.ok()) return report.status();
  merged.report = *std::move(report);
  for (const std::string& n : names) {
    if (merged.report["benchmarks"].contains(n)) merged.names.push_back(n);
  }
  for (const std::string& m : mismatches) merged.notes.push_back(absl::StrCat("merged despite: ", m));
  for (const std::string& m : incomplete) merged.notes.push_back(absl::StrCat("merged despite: ", m));
  return merged;
}

}  // namespace fathom::driver::run
