// One benchmark through the run engine, and the run directory (see engine.h).
#include "driver/run/engine.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "driver/run/entry.h"
#include "driver/run/external_scorer.h"
#include "driver/run/predictions.h"
#include "driver/run/readers.h"
#include "driver/run/run_dir.h"
#include "driver/run/stats.h"
#include "grader/formats/indexed_lines.h"
#include "grader/formats/line_reader.h"
#include "grader/formats/sha256.h"
#include "grader/formats/utf8.h"

namespace fathom::driver::run {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// benchmark.h's ModeName lives in the benchmark half; the engine needs only the names.
std::string ModeText(Mode m) { return m == Mode::kStrict ? "strict" : "faithful"; }

std::string ShotKindName(ShotSource::Kind k) {
  switch (k) {
    case ShotSource::Kind::kNone: return "none";
    case ShotSource::Kind::kSplit: return "split";
    case ShotSource::Kind::kBuiltin: return "builtin";
    case ShotSource::Kind::kTestHead: return "test_head";
  }
  return "none";
}


Json FileEntry(const std::string& path) {
  absl::StatusOr<std::string> h = FileSha256(path);
  return Json{{"path", grader::SanitizeUtf8(path)}, {"sha256", h.ok() ? *h : ""}};
}

// GPT-Fathom's recorder: event lines with a running event_id.
class Recorder {
 public:
  Recorder(AtomicFile* file, std::string run_id, std::string base)
      : file_(file), run_id_(std::move(run_id)), base_(std::move(base)) {}
  void Event(int64_t item, const char* type, Json data) {
    Json e = {{"run_id", run_id_},
              {"event_id", next_id_++},
              {"sample_id", absl::StrCat(base_, ".", item)},
              {"type", type},
              {"data", std::move(data)},
              {"created_by", "fathom"},
              {"created_at", NowTimestamp()}};
    file_->WriteLine(JsonLine(e));
  }

 private:
  AtomicFile* file_;
  std::string run_id_;
  std::string base_;
  int64_t next_id_ = 0;
};

struct Inputs {
  std::vector<DataFile> data_files;
  LoadedShots shots;
  ShotSource shot_source;
  Json report_inputs;  // data, shots, predictions hashes
  std::string hash;
};

absl::StatusOr<Inputs> ResolveInputs(const Benchmark& bench, const EvalOptions& o,
                                     bool with_predictions) {
  const BenchmarkInfo& info = bench.info();
  Inputs in;
  absl::StatusOr<std::vector<DataFile>> files = ResolveSplit(info, o.data_path, info.eval_split);
  if (!files.ok()) return files.status();
  in.data_files = *files;
  in.shot_source = bench.shots(o.mode);
  ShotOptions so{o.data_path, o.shots_path};
  absl::StatusOr<LoadedShots> shots = LoadShots(info, in.shot_source, so, in.data_files);
  if (!shots.ok()) return shots.status();
  in.shots = *std::move(shots);
  Json data = Json::array();
  for (const DataFile& f : in.data_files) data.push_back(FileEntry(f.path));
  Json shot_files = Json::array();
  for (const std::string& f : in.shots.files) shot_files.push_back(FileEntry(f));
  Json shots_json = {{"source", ShotKindName(in.shot_source.kind)},
                     {"count", in.shot_source.count}};
  if (in.shot_source.kind == ShotSource::Kind::kSplit) shots_json["split"] = in.shot_source.split;
  if (in.shot_source.kind == ShotSource::Kind::kBuiltin) shots_json["file"] = in.shot_source.file;
  shots_json["files"] = shot_files;
  in.report_inputs = {{"data", data}, {"shots", shots_json}};
  if (with_predictions) in.report_inputs["predictions"] = FileEntry(o.predictions_path);
  grader::Sha256 h;
  h.UpdateField("fathom-eval-inputs-1");
  h.UpdateField(JsonLine(in.report_inputs));
  h.UpdateField(ModeText(o.mode));
  h.UpdateField(o.api == Api::kChat ? "chat" : "completions");
  h.UpdateField(o.fathom_version);
  h.UpdateField(o.registry_hash);
  h.UpdateField(absl::StrCat(o.bootstrap, ":", o.seed));
  if (info.scoring == Scoring::kExternal) h.UpdateField(o.scorer_command);
  if (info.scoring == Scoring::kCode && o.code_grader != nullptr) {
    h.UpdateField(o.code_grader->Fingerprint().dump());
  }
  in.hash = h.FinalHex();
  return in;
}

Json PromptJson(const Prompt& p, Api api) {
  if (api == Api::kChat && !p.messages.is_null()) return Json::parse(p.messages.dump());
  return p.text;
}

// What the first pass keeps per item of a code or external benchmark until its scores
// come back.
struct PendingItem {
  size_t subtask = 0;
  size_t first_sample = 0;
  size_t samples = 0;
};

class Logger {
 public:
  Logger(const EvalOptions& o, const std::string& name, Tally* tally)
      : log_(o.log != nullptr ? *o.log : std::cerr), name_(name), tally_(tally),
        max_(o.max_errors_logged) {}
  void Error(const std::string& message) {
    // Messages quote paths and fields from the user's files: through the one validator
    // before they reach the log or report.json.
    const std::string text = grader::SanitizeUtf8(message);
    if (tally_->errors.size() < max_) log_ << "fathom eval: " << name_ << ": " << text << "\n";
    tally_->Error(text);
  }
  std::ostream& log() { return log_; }

 private:
  std::ostream& log_;
  std::string name_;
  Tally* tally_;
  size_t max_;
};

// The report entry's "shard" object (README "Sharded runs"): which shard, the run's row
// count, this shard's item numbers, and what `fathom merge` needs of the benchmark's
// definition to tally the merged items (merge_runs.h).
Json ShardEntry(const BenchmarkInfo& info, const grader::ShardSpec& shard, int64_t rows,
                const std::vector<std::pair<int64_t, int64_t>>& items,
                bool predictions_per_shard) {
  Json runs = Json::array();
  for (const auto& [first, count] : items) runs.push_back(Json::array({first, count}));
  Json pass_at_k = Json::array();
  for (int k : info.pass_at_k) pass_at_k.push_back(k);
  return Json{{"shard", shard.Text()},
              {"rows", rows},
              {"items", runs},
              {"predictions", predictions_per_shard ? "per_shard" : "all"},
              {"definition",
               {{"metric", info.metric},
                {"subtask_field", info.subtask_field},
                {"subtasks", info.subtasks},
                {"pass_at_k", pass_at_k}}}};
}

}  // namespace

std::string ShardKey(const Row& row) {
  return row.subtask.empty() ? row.id : absl::StrCat(row.subtask, "/", row.id);
}

absl::StatusOr<BenchmarkOutcome> EvalBenchmark(const Benchmark& bench, const EvalOptions& o,
                                               const Json* previous) {
  const BenchmarkInfo& info = bench.info();
  BenchmarkOutcome outcome;
  outcome.name = info.name;
  if (info.scoring == Scoring::kExternal && o.scorer_command.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        info.name, " is scored by an external scorer (", info.metric,
        ", GPT-Fathom: Perspective API), and none is configured: pass --scorer CMD "
        "(see `fathom eval --help` and driver/README.md \"External scorer\")"));
  }
  if (info.scoring == Scoring::kCode && o.code_grader == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(info.name, ": no code grader"));
  }
  absl::StatusOr<Inputs> inputs = ResolveInputs(bench, o, true);
  if (!inputs.ok()) return inputs.status();
  const std::string items_path = (fs::path(o.out_dir) / (info.name + ".items.jsonl")).string();
  const std::string events_path = (fs::path(o.out_dir) / (info.name + ".events.jsonl")).string();
  // The same inputs and the same shard: the benchmark is as it was.
  const std::string previous_shard =
      previous != nullptr && previous->contains("shard") && (*previous)["shard"].is_object()
          ? (*previous)["shard"].value("shard", "")
          : "";
  if (previous != nullptr && previous->value("inputs_sha256", "") == inputs->hash &&
      previous_shard == o.shard.Text() && fs::exists(items_path) && fs::exists(events_path)) {
    outcome.report = *previous;
    // A run directory written before definitions were hashed gains the hash: the inputs
    // hash covers the registry, so the definition is the one that scored it.
    if (!info.definition_sha256.empty() && !outcome.report.contains("definition_sha256")) {
      outcome.report["definition_sha256"] = info.definition_sha256;
    }
    outcome.unchanged = true;
    return outcome;
  }
  absl::StatusOr<PredictionIndex> preds = PredictionIndex::Open(o.predictions_path, info);
  if (!preds.ok()) return preds.status();

  Tally tally(info, o.max_errors_logged);
  Logger logger(o, info.name, &tally);
  for (const std::string& e : preds->errors()) logger.Error(e);
  tally.bad_predictions = static_cast<int64_t>(preds->errors().size());

  absl::StatusOr<AtomicFile> items = AtomicFile::Create(items_path);
  if (!items.ok()) return items.status();
  absl::StatusOr<AtomicFile> events = AtomicFile::Create(events_path);
  if (!events.ok()) return events.status();
  const std::string run_id = absl::StrCat("fathom-", inputs->hash.substr(0, 16));
  const std::string base = absl::StrCat(info.name, ".", info.eval_split);
  {
    Json spec = {
        {"completion_fns", Json::array({absl::StrCat("predictions:", o.predictions_path)})},
        {"eval_name", info.name},
        {"base_eval", info.name},
        {"split", info.eval_split},
        {"run_config",
         {{"completion_fns", Json::array({absl::StrCat("predictions:", o.predictions_path)})},
          {"eval_spec",
           {{"cls", ScoringName(info.scoring)},
            {"args",
             {{"mode", ModeText(o.mode)},
              {"api", o.api == Api::kChat ? "chat" : "completions"},
              {"num_few_shot", inputs->shot_source.count}}}}},
          {"seed", o.seed},
          {"max_samples", nullptr},
          {"command", o.command_line},
          {"initial_settings", {{"visible", true}}}}},
        {"created_by", "fathom"},
        {"run_id", run_id},
        {"created_at", NowTimestamp()},
        {"setting_name", info.setting}};
    events->WriteLine(JsonLine(Json{{"spec", spec}}));
  }
  Recorder rec(&*events, run_id, base);

  // Code and external benchmarks: the first pass stages items; scores come after.
  const bool staged = info.scoring != Scoring::kJudge;
  const std::string work_dir = (fs::path(o.out_dir) / (info.name + ".work")).string();
  std::unique_ptr<AtomicFile> stage;
  std::unique_ptr<AtomicFile> scorer_input;
  std::vector<PendingItem> pending;
  std::vector<CodeTask> code_tasks;
  std::map<std::string, size_t> code_task_index;
  std::vector<CodeSample> code_samples;
  std::vector<std::string> sample_errors;  // per code sample: a Program() error, or ""
  std::vector<std::string> scorer_ids;     // per scored external sample
  std::vector<int64_t> stage_items;        // the item number of each staged line
  if (staged) {
    std::error_code ec;
    fs::create_directories(work_dir, ec);
    if (ec) return absl::InternalError(absl::StrCat(work_dir, ": ", ec.message()));
    absl::StatusOr<AtomicFile> s = AtomicFile::Create(work_dir + "/items.stage");
    if (!s.ok()) return s.status();
    stage = std::make_unique<AtomicFile>(*std::move(s));
    if (info.scoring == Scoring::kExternal) {
      absl::StatusOr<AtomicFile> in = AtomicFile::Create(work_dir + "/scorer.input.jsonl");
      if (!in.ok()) return in.status();
      scorer_input = std::make_unique<AtomicFile>(*std::move(in));
    }
  }

  DataReader reader(info, inputs->data_files);
  Row row;
  std::string error;
  int64_t item = -1;
  std::map<std::string, int64_t> head_seen;  // rows read per sub-task (held-out heads)
  std::vector<std::pair<int64_t, int64_t>> my_items;  // this shard's item numbers
  // The fewest completions of any item the whole run scores: every shard reads every
  // row, so the code benchmarks' k (CodeKs) is the unsharded run's in each shard.
  int64_t min_samples = -1;
  const bool f1 = info.metric == "f1";
  while (true) {
    ReadOutcome r = reader.Next(&row, &error);
    if (r == ReadOutcome::kEnd) break;
    if (r == ReadOutcome::kIoError) return absl::NotFoundError(error);
    ++item;
    // Whose row this is: a bad row has no id, and shard 0 reports it.
    const bool mine = r == ReadOutcome::kBadRow ? !o.shard.sharded() || o.shard.index == 0
                                                : o.shard.Contains(ShardKey(row));
    const bool held_out = r != ReadOutcome::kBadRow &&
                          inputs->shot_source.kind == ShotSource::Kind::kTestHead &&
                          head_seen[row.subtask]++ < inputs->shot_source.holdout;
    if (!mine) {
      // Another shard's row: only what the whole run's numbers need from it (whether it
      // takes a prediction, and how many completions).
      if (r == ReadOutcome::kBadRow || held_out || !bench.CheckRow(row).ok()) continue;
      const std::span<const Row> shots = ShotsFor(inputs->shots.rows, row.subtask);
      if (!bench.BuildPrompt(row, shots, inputs->shot_source.count, o.mode).ok()) continue;
      absl::StatusOr<Prediction> pred = preds->Take(row.subtask, row.id);
      if (pred.ok()) {
        const auto n = static_cast<int64_t>(pred->completions.size());
        min_samples = min_samples < 0 ? n : std::min(min_samples, n);
      }
      continue;
    }
    grader::AddToRuns(&my_items, item);
    ++tally.rows;
    AtomicFile& out = staged ? *stage : *items;
    if (staged) stage_items.push_back(item);
    if (r == ReadOutcome::kBadRow) {
      logger.Error(error);
      ++tally.skipped;
      out.WriteLine(JsonLine(Json{{"id", nullptr}, {"source", error.substr(0, error.find(": "))},
                              {"skipped", error}}));
      continue;
    }
    const size_t st = tally.Subtask(row.subtask);
    // kTestHead's held-out head (LAMBADA test[:15], TruthfulQA validation[:1]): exemplars
    // only, not scored.
    if (held_out) {
      ++tally.held_out;
      out.WriteLine(JsonLine(Json{{"id", row.id}, {"subtask", row.subtask}, {"source", row.source},
                              {"holdout", true}}));
      continue;
    }
    auto skip = [&](const std::string& message) {
      std::string m = absl::StrCat(row.source, ": ", message);
      logger.Error(m);
      ++tally.skipped;
      ++tally.subtask_skipped[st];
      out.WriteLine(JsonLine(Json{{"id", row.id}, {"subtask", row.subtask}, {"source", row.source},
                              {"skipped", m}}));
    };
    if (absl::Status s = bench.CheckRow(row); !s.ok()) {
      skip(std::string(s.message()));
      continue;
    }
    const std::span<const Row> shots = ShotsFor(inputs->shots.rows, row.subtask);
    absl::StatusOr<Prompt> prompt =
        bench.BuildPrompt(row, shots, inputs->shot_source.count, o.mode);
    if (!prompt.ok()) {
      skip(absl::StrCat("prompt: ", prompt.status().message()));
      continue;
    }
    absl::StatusOr<Prediction> pred = preds->Take(row.subtask, row.id);
    if (!pred.ok()) {
      tally.Missing(st, row.id, row.subtask);
      out.WriteLine(JsonLine(Json{{"id", row.id}, {"subtask", row.subtask}, {"source", row.source},
                              {"missing", true}}));
      continue;
    }
    // GPT-Fathom's context-window fallback: a prompt sent with fewer shots than the
    // benchmark's count (the client records it) is rebuilt as sent, and any such item
    // marks the benchmark OUT OF WINDOW, as its eval classes do.
    if (pred->out_of_window || (pred->shots >= 0 && pred->shots < prompt->shots)) {
      tally.out_of_window = true;
    }
    if (pred->shots >= 0 && pred->shots < prompt->shots) {
      absl::StatusOr<Prompt> sent = bench.BuildPrompt(row, shots, pred->shots, o.mode);
      if (sent.ok()) prompt = std::move(sent);
    }
    Json it = {{"id", row.id}, {"subtask", row.subtask}, {"source", row.source},
               {"shots", prompt->shots}, {"prompt", PromptJson(*prompt, o.api)}};
    const std::vector<std::string>& cs = pred->completions;
    const auto ncs = static_cast<int64_t>(cs.size());
    min_samples = min_samples < 0 ? ncs : std::min(min_samples, ncs);
    if (cs.size() == 1) {
      it["completion"] = cs[0];
    } else {
      it["completions"] = cs;
    }
    if (info.scoring == Scoring::kJudge) {
      std::vector<Judgement> js;
      double score = 0;
      bool all = true;
      for (const std::string& c : cs) {
        js.push_back(bench.Judge(row, c, o.mode));
        score += js.back().score;
        all = all && js.back().correct;
      }
      score /= static_cast<double>(cs.size());
      if (js.size() == 1) {
        it["extracted"] = js[0].extracted;
        it["expected"] = Json::parse(js[0].expected.dump());
        it["correct"] = js[0].correct;
      } else {
        Json ex = Json::array(), co = Json::array();
        for (const Judgement& j : js) {
          ex.push_back(j.extracted);
          co.push_back(j.correct);
        }
        it["extracted"] = ex;
        it["expected"] = Json::parse(js[0].expected.dump());
        it["correct"] = co;
      }
      it["score"] = score;
      items->WriteLine(JsonLine(it));
      tally.scores[st].push_back(score);
      tally.correct_count += all ? 1 : 0;
      rec.Event(item, "sampling", Json{{"prompt", PromptJson(*prompt, o.api)}, {"sampled", cs}});
      for (size_t i = 0; i < js.size(); ++i) {
        rec.Event(item, "match",
                  Json{{"correct", js[i].correct},
                       {"expected", Json::parse(js[i].expected.dump())},
                       {"picked", js[i].extracted},
                       {"detected", js[i].detected},
                       {"sampled", cs[i]}});
        if (f1) {
          rec.Event(item, "metrics",
                    Json{{"accuracy", js[i].correct ? 1.0 : 0.0}, {"f1_score", js[i].score}});
        }
      }
      continue;
    }
    // Staged: code programs or scorer input now, the item when the scores are back.
    PendingItem p{st, info.scoring == Scoring::kCode ? code_samples.size() : scorer_ids.size(),
                  cs.size()};
    if (info.scoring == Scoring::kCode) {
      for (const std::string& c : cs) {
        absl::StatusOr<CodeProgram> prog = bench.Program(row, c, o.mode, o.api);
        CodeSample sample;
        std::string err;
        size_t task_index = 0;
        if (!prog.ok()) {
          err = absl::StrCat("program: ", prog.status().message());
          prog = CodeProgram{row.id, "", "", ""};
        }
        auto [ti, inserted] = code_task_index.try_emplace(prog->task_id, code_tasks.size());
        if (inserted) {
          // The reference the time limit is calibrated on: the dataset's own solution,
          // assembled as a completion (HumanEval) or a whole program (MBPP).
          std::string reference;
          if (row.fields.contains("canonical_solution") &&
              row.fields["canonical_solution"].is_string()) {
            absl::StatusOr<CodeProgram> ref = bench.Program(
                row, row.fields["canonical_solution"].get<std::string>(), o.mode,
                Api::kCompletions);
            if (ref.ok()) reference = ref->candidate;
          } else if (row.fields.contains("code") && row.fields["code"].is_string()) {
            reference = row.fields["code"].get<std::string>();
          }
          code_tasks.push_back({prog->task_id, prog->test, prog->entry_point, reference});
        }
        task_index = ti->second;
        sample.task = task_index;
        sample.candidate = err.empty() ? prog->candidate : "";
        code_samples.push_back(std::move(sample));
        sample_errors.push_back(err);
      }
    } else {
      for (size_t i = 0; i < cs.size(); ++i) {
        scorer_input->WriteLine(JsonLine(Json{{"benchmark", info.name},
                                          {"id", row.id},
                                          {"subtask", row.subtask},
                                          {"sample", i},
                                          {"prompt", prompt->text},
                                          {"completion", cs[i]}}));
        scorer_ids.push_back(row.id);
      }
    }
    pending.push_back(p);
    it["__pending"] = true;
    stage->WriteLine(JsonLine(it));
  }

  // Pass 2 for staged benchmarks: score, then merge the scores into the staged items.
  const std::vector<int64_t> ks = CodeKs(info, min_samples);
  if (staged) {
    if (absl::Status s = stage->Commit(); !s.ok()) return s;
    std::vector<CodeVerdict> verdicts;
    std::vector<double> external;
    if (info.scoring == Scoring::kCode) {
      if (!code_samples.empty()) {
        logger.log() << "fathom eval: " << info.name << ": grading " << code_samples.size()
                     << " programs of " << code_tasks.size() << " tasks in the sandbox\n";
        absl::StatusOr<std::vector<CodeVerdict>> v =
            o.code_grader->Grade(code_tasks, code_samples, work_dir);
        if (!v.ok()) return v.status();
        verdicts = *std::move(v);
      }
      for (size_t i = 0; i < verdicts.size(); ++i) {
        if (!sample_errors[i].empty()) verdicts[i] = {false, "error", sample_errors[i]};
        if (verdicts[i].status == "sandbox_error") ++tally.sandbox_errors;
      }
    } else {
      if (absl::Status s = scorer_input->Commit(); !s.ok()) return s;
      const std::string in_path = work_dir + "/scorer.input.jsonl";
      const std::string out_path = work_dir + "/scorer.output.jsonl";
      if (!scorer_ids.empty()) {
        if (absl::Status s = RunScorer(o.scorer_command, in_path, out_path); !s.ok()) return s;
        absl::StatusOr<grader::LineReader> lr = grader::LineReader::Open(out_path);
        if (!lr.ok()) return lr.status();
        std::string line;
        int64_t n = 0;
        while (lr->Next(&line, &n)) {
          absl::StatusOr<ExternalScore> sc = ParseScoreLine(line);
          if (absl::IsNotFound(sc.status())) continue;
          if (!sc.ok()) {
            return absl::InvalidArgumentError(
                absl::StrCat("scorer output ", out_path, ":", n, ": ", sc.status().message()));
          }
          size_t i = external.size();
          if (i >= scorer_ids.size() || sc->id != scorer_ids[i]) {
            return absl::InvalidArgumentError(absl::StrCat(
                "scorer output ", out_path, ":", n, ": id: expected '",
                i < scorer_ids.size() ? scorer_ids[i] : "(no more lines)", "', got '", sc->id, "'"));
          }
          external.push_back(sc->score);
        }
        if (external.size() != scorer_ids.size()) {
          return absl::InvalidArgumentError(absl::StrCat("scorer output ", out_path, ": ",
                                                         external.size(), " scores for ",
                                                         scorer_ids.size(), " completions"));
        }
      }
    }
    absl::StatusOr<grader::LineReader> lr = grader::LineReader::Open(work_dir + "/items.stage");
    if (!lr.ok()) return lr.status();
    std::string line;
    int64_t n = 0;
    size_t next_pending = 0;
    size_t staged_line = 0;
    while (lr->Next(&line, &n)) {
      const int64_t staged_item = stage_items[staged_line++];
      Json it = Json::parse(line);
      if (!it.contains("__pending")) {
        items->WriteLine(line);
        continue;
      }
      it.erase("__pending");
      const PendingItem& p = pending[next_pending++];
      Json sampled = it.contains("completion") ? Json::array({it["completion"]}) : it["completions"];
      rec.Event(staged_item, "sampling", Json{{"prompt", it["prompt"]}, {"sampled", sampled}});
      if (info.scoring == Scoring::kCode) {
        int64_t c = 0;
        Json passed = Json::array(), status = Json::array(), result = Json::array();
        for (size_t i = 0; i < p.samples; ++i) {
          const CodeVerdict& v = verdicts[p.first_sample + i];
          c += v.passed ? 1 : 0;
          passed.push_back(v.passed);
          status.push_back(v.status);
          result.push_back(v.result);
        }
        const int64_t ns = static_cast<int64_t>(p.samples);
        const double score = static_cast<double>(c) / static_cast<double>(ns);
        it["extracted"] = nullptr;
        it["expected"] = nullptr;
        it["correct"] = c == ns;
        it["score"] = score;
        it["passed"] = passed;
        it["status"] = status;
        it["result"] = result;
        Json metrics = Json::object();
        for (int64_t k : ks) metrics[absl::StrCat("pass_at_", k)] = CodePassAtK(ns, c, k);
        rec.Event(staged_item, "metrics", metrics);
        tally.scores[p.subtask].push_back(score);
        tally.code[p.subtask].emplace_back(ns, c);
        tally.correct_count += c == ns ? 1 : 0;
      } else {
        double sum = 0;
        Json scores = Json::array();
        for (size_t i = 0; i < p.samples; ++i) {
          sum += external[p.first_sample + i];
          scores.push_back(external[p.first_sample + i]);
          rec.Event(staged_item, "metrics", Json{{"summaryscore", external[p.first_sample + i]}});
        }
        const double score = sum / static_cast<double>(p.samples);
        it["extracted"] = nullptr;
        it["expected"] = nullptr;
        it["correct"] = nullptr;
        it["score"] = score;
        if (p.samples > 1) it["scores"] = scores;
        tally.scores[p.subtask].push_back(score);
      }
      items->WriteLine(JsonLine(it));
    }
  }

  // The report entry.
  tally.unused_predictions = preds->unused_count();
  EntryContext context;
  context.mode = ModeText(o.mode);
  context.api = o.api == Api::kChat ? "chat" : "completions";
  context.inputs = inputs->report_inputs;
  context.definition_sha256 = info.definition_sha256;
  context.bootstrap = o.bootstrap;
  context.seed = o.seed;
  context.scorer = o.scorer_command;
  if (info.scoring == Scoring::kCode) context.grader = Json::parse(o.code_grader->Fingerprint().dump());
  context.inputs_sha256 = inputs->hash;
  BuiltEntry built = BuildEntry(tally, context);
  Json& entry = built.entry;
  Json& final_report = built.final_report;
  // A shard says which shard it is and where its items sit among the whole run's, for
  // `fathom merge` (merge_runs.h).
  if (o.shard.sharded()) {
    entry["shard"] = ShardEntry(info, o.shard, item + 1, my_items, o.predictions_per_shard);
  }
  outcome.sandbox_errors = tally.sandbox_errors;
  events->WriteLine(JsonLine(Json{{"final_report", final_report}}));

  if (tally.missing > 0) {
    logger.log() << "fathom eval: " << info.name << ": " << tally.missing
                 << " rows have no prediction in " << o.predictions_path << " (not scored)\n";
  }
  if (absl::Status s = items->Commit(); !s.ok()) return s;
  if (absl::Status s = events->Commit(); !s.ok()) return s;
  outcome.report = std::move(entry);
  return outcome;
}

absl::StatusOr<PromptsOutcome> WritePrompts(const Benchmark& bench, const EvalOptions& o) {
  const BenchmarkInfo& info = bench.info();
  absl::StatusOr<Inputs> inputs = ResolveInputs(bench, o, false);
  if (!inputs.ok()) return inputs.status();
  PromptsOutcome out;
  out.path = (fs::path(o.out_dir) / (info.name + ".prompts.jsonl")).string();
  absl::StatusOr<AtomicFile> f = AtomicFile::Create(out.path);
  if (!f.ok()) return f.status();
  Tally tally(info, o.max_errors_logged);  // its errors: what the log showed
  Logger logger(o, info.name, &tally);
  DataReader reader(info, inputs->data_files);
  Row row;
  std::string error;
  std::map<std::string, int64_t> head;
  while (true) {
    ReadOutcome r = reader.Next(&row, &error);
    if (r == ReadOutcome::kEnd) break;
    if (r == ReadOutcome::kIoError) return absl::NotFoundError(error);
    if (r == ReadOutcome::kBadRow) {
      logger.Error(error);
      ++out.skipped;
      continue;
    }
    if (inputs->shot_source.kind == ShotSource::Kind::kTestHead &&
        head[row.subtask]++ < inputs->shot_source.holdout) {
      continue;  // held out: exemplars only
    }
    absl::Status s = bench.CheckRow(row);
    absl::StatusOr<Prompt> p = s.ok() ? bench.BuildPrompt(row, ShotsFor(inputs->shots.rows, row.subtask),
                                                          inputs->shot_source.count, o.mode)
                                      : absl::StatusOr<Prompt>(s);
    if (!p.ok()) {
      logger.Error(absl::StrCat(row.source, ": ", p.status().message()));
      ++out.skipped;
      continue;
    }
    f->WriteLine(JsonLine(Json{{"id", row.id},
                           {"subtask", row.subtask},
                           {"text", p->text},
                           {"messages", Json::parse(p->messages.dump())},
                           {"shots", p->shots}}));
    ++out.prompts;
  }
  if (absl::Status s = f->Commit(); !s.ok()) return s;
  return out;
}

absl::StatusOr<Json> ReadReport(const std::string& out_dir) {
  const std::string path = (fs::path(out_dir) / "report.json").string();
  if (!fs::exists(path)) return Json::object();
  absl::StatusOr<std::string> text = grader::ReadWholeFile(path);
  if (!text.ok()) return text.status();
  Json j = Json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a fathom eval report"));
  }
  return j;
}

absl::Status CommitRun(const std::string& out_dir, const Json& fingerprint,
                       const std::vector<BenchmarkOutcome>& outcomes,
                       const std::vector<std::string>& order) {
  absl::StatusOr<Json> old = ReadReport(out_dir);
  if (!old.ok()) return old.status();
  std::map<std::string, Json> entries;
  if (old->contains("benchmarks") && (*old)["benchmarks"].is_object()) {
    for (auto& [k, v] : (*old)["benchmarks"].items()) entries[k] = v;
  }
  for (const BenchmarkOutcome& b : outcomes) entries[b.name] = b.report;
  std::vector<std::string> names;
  for (const std::string& n : order) {
    if (entries.count(n) > 0) names.push_back(n);
  }
  for (const auto& [k, v] : entries) {
    if (std::find(names.begin(), names.end(), k) == names.end()) names.push_back(k);
  }
  Json benchmarks = Json::object();
  for (const std::string& n : names) benchmarks[n] = entries[n];
  Json report = {{"fathom_eval_report", 1}, {"fingerprint", fingerprint}, {"benchmarks", benchmarks}};
  // Every string in the report went through grader::SanitizeUtf8 or a JSON parser; the
  // replacing dump is a backstop, not the check.
  const std::string report_text =
      report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  const std::string events_path = (fs::path(out_dir) / "events.jsonl").string();
  const std::string report_path = (fs::path(out_dir) / "report.json").string();
  absl::StatusOr<std::string> old_text = grader::ReadWholeFile(report_path);
  if (old_text.ok() && *old_text == report_text && fs::exists(events_path)) {
    return absl::OkStatus();  // nothing changed (the same command again)
  }
  // events.jsonl: the benchmarks' logs copied in report order, a chunk at a time.
  absl::StatusOr<AtomicFile> events = AtomicFile::Create(events_path);
  if (!events.ok()) return events.status();
  std::string buf(1 << 20, '\0');
  for (const std::string& n : names) {
    const std::string seg = (fs::path(out_dir) / (n + ".events.jsonl")).string();
    FILE* f = std::fopen(seg.c_str(), "rb");
    if (f == nullptr) continue;
    size_t got;
    while ((got = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
      events->Write(std::string_view(buf.data(), got));
    }
    std::fclose(f);
  }
  if (absl::Status s = events->Commit(); !s.ok()) return s;
  return WriteFileAtomic(report_path, report_text);
}

std::string ReportTable(const Json& report, const std::vector<std::string>& names) {
  std::string out = absl::StrFormat("%-14s %-14s %-9s %22s %7s %7s %7s\n", "benchmark",
                                    "category", "metric", "value (95% CI)", "n", "skipped",
                                    "missing");
  if (!report.contains("benchmarks")) return out;
  const Json& b = report["benchmarks"];
  for (const std::string& n : names) {
    if (!b.contains(n)) continue;
    const Json& e = b[n];
    const double v = e.value("value", 0.0) * 100;
    const Json& ci = e["ci95"];
    std::string value = absl::StrFormat("%.1f [%.1f, %.1f]", v, ci[0].get<double>() * 100,
                                        ci[1].get<double>() * 100);
    out += absl::StrFormat("%-14s %-14s %-9s %22s %7d %7d %7d\n", n, e.value("category", ""),
                           e.value("metric", ""), value, e.value("n", int64_t{0}),
                           e.value("skipped", int64_t{0}), e.value("missing", int64_t{0}));
  }
  return out;
}

}  // namespace fathom::driver::run
