// The grading engine: producer (reads samples, dedups, submits), workers (run, decide,
// journal, cache), an in-order results writer, and a progress reporter.
#include "grader/pipeline/grade.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "grader/formats/indexed_lines.h"
#include "grader/formats/line_reader.h"
#include "grader/formats/samples.h"
#include "grader/formats/sha256.h"
#include "grader/pipeline/journal.h"
#include "grader/pipeline/phase_trace.h"
#include "grader/pipeline/program.h"
#include "grader/pipeline/result_cache.h"
#include "grader/pipeline/results_sidecar.h"
#include "grader/pipeline/sample_grader.h"
#include "grader/pipeline/scheduler.h"
#include "grader/pipeline/time_limits.h"

namespace fathom::grader {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Samples whose verdicts wait for an earlier sample before they can be written. The
// producer pauses above this, so memory stays flat even behind a slow head sample.
constexpr size_t kMaxReorderWindow = 4096;

// Results are written in chunks of about this size (the journal already holds them).
constexpr size_t kResultsBufferBytes = 1 << 16;

std::string RunFingerprint(const GradeOptions& o, const ProblemSet& problems,
                           const RuntimeContext& runtime) {
  Sha256 h;
  h.UpdateField("fathom-run-v2");
  h.UpdateField(absl::StrCat("harness=", kHarnessVersion));
  h.UpdateField(runtime.fingerprint);
  h.UpdateField(LimitsText(o.limits));
  h.UpdateField(problems.content_sha256);
  // The per-task limits decide verdicts too: a recalibration must not resume silently.
  if (!o.setup.task_cpu_time_ms.empty()) {
    h.UpdateField(
        absl::StrCat("task_limits=", LimitTableHash(problems, o.setup.task_cpu_time_ms)));
  }
  if (!o.setup.io.oracles.empty()) {
    h.UpdateField(absl::StrCat("mode=", GradeModeName(o.mode), " io=", o.setup.io.digest,
                               " details=", o.io_settings.test_details,
                               " min=", o.io_settings.min_time_limit_ms,
                               " factor=", o.io_settings.gt_time_limit_factor,
                               " cap=", o.io_settings.group_cap_ms,
                               " startup=", o.io_settings.startup_allowance_ms,
                               " fixed=", o.io_fixed_cpu));
  }
  h.UpdateField(o.samples_path);
  struct stat st;
  if (stat(o.samples_path.c_str(), &st) == 0) {
    h.UpdateField(absl::StrCat(st.st_size, ":", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec));
  }
  h.UpdateField(ExtractModeName(o.extract));
  if (o.extract == ExtractMode::kStop) h.UpdateField(absl::StrJoin(o.stops, "\x1f"));
  // Unsharded runs keep the fingerprint they always had (their journals resume).
  if (o.shard.sharded()) h.UpdateField(absl::StrCat("shard=", o.shard.Text()));
  return h.FinalHex();
}

// Non-blank lines of a JSONL sample file (the progress bar's total); 0 when unknown.
int64_t CountJsonlRecords(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return 0;
  absl::StatusOr<LineReader> r = LineReader::Open(path);
  if (!r.ok()) return 0;
  std::string line;
  int64_t n, count = 0;
  bool first = true;
  while (r->Next(&line, &n)) {
    size_t i = line.find_first_not_of(" \t\r");
    if (i == std::string::npos) continue;
    if (first && line[i] == '[') return 0;  // bigcode: not line-based
    first = false;
    ++count;
  }
  return count;
}

// One journal entry (journal.h) of this engine: a finished sample.
struct JournalEntry {
  int64_t index = 0;
  std::string key;
  Verdict verdict;  // cache_hit included
};

nlohmann::json JournalEntryToJson(const JournalEntry& e) {
  return nlohmann::json{{"i", e.index},
                        {"k", e.key},
                        {"h", e.verdict.cache_hit},
                        {"v", VerdictToJson(e.verdict)}};
}

bool JournalEntryFromJson(const nlohmann::json& j, JournalEntry* e) {
  auto i = j.find("i");
  auto k = j.find("k");
  auto h = j.find("h");
  auto v = j.find("v");
  if (i == j.end() || !i->is_number_integer() || k == j.end() || !k->is_string() ||
      h == j.end() || !h->is_boolean() || v == j.end()) {
    return false;
  }
  absl::StatusOr<Verdict> verdict = VerdictFromJson(*v);
  if (!verdict.ok()) return false;
  e->index = i->get<int64_t>();
  e->key = k->get<std::string>();
  e->verdict = *std::move(verdict);
  e->verdict.cache_hit = h->get<bool>();
  return true;
}

std::string FormatDuration(double s) {
  if (s < 0 || s > 1e7) return "?";
  auto t = static_cast<int64_t>(s + 0.5);
  if (t >= 3600) return absl::StrFormat("%dh%02dm", t / 3600, (t / 60) % 60);
  if (t >= 60) return absl::StrFormat("%dm%02ds", t / 60, t % 60);
  return absl::StrFormat("%ds", t);
}

class Grader {
 public:
  Grader(const GradeOptions& o, const ProblemSet& problems, sandbox::Runner& runner,
         const RuntimeContext& runtime)
      : o_(o), problems_(problems), runner_(runner), runtime_(runtime),
        plan_(problems, runtime, o.setup,
              PlanSettings{o.limits, o.mode, o.io_settings, o.io_fixed_cpu,
                           /*trace_phases=*/!o.trace_phases_path.empty()}),
        log_(o.log != nullptr ? *o.log : std::cerr),
        terminal_(o.terminal != nullptr ? *o.terminal : log_),
        task_counts_(problems.problems.size()),
        base_task_counts_(problems.problems.size()),
        file_task_counts_(problems.problems.size()) {}

  ~Grader() {
    if (lock_fd_ >= 0) close(lock_fd_);
  }

  absl::StatusOr<GradeReport> Run();

 private:
  struct Slot {
    int64_t index = 0;
    size_t problem = 0;
    nlohmann::ordered_json fields;
    bool done = false;
    Verdict verdict;
  };

  absl::Status PrepareFiles();
  absl::Status LoadPartialResults();
  void Produce();
  void OnRunFinished(const std::string& key, const std::shared_ptr<Slot>& slot,
                     int64_t job_id, Verdict verdict);
  // REQUIRES: mu_ held.
  void CompleteLocked(const std::shared_ptr<Slot>& slot, const std::string& key,
                      Verdict verdict);
  void DrainLocked();
  void FlushResultsLocked(bool sync);
  void CountLocked(size_t problem, const Verdict& v);
  void LogLine(const std::string& line);
  void ProgressLoop();
  int64_t CpuLimitMs(size_t problem) const {
    return plan_.TaskLimits(problem, plan_.ModeOf(problem)).cpu_time_ms;
  }

  const GradeOptions& o_;
  const ProblemSet& problems_;
  sandbox::Runner& runner_;
  const RuntimeContext& runtime_;
  const GradingPlan plan_;
  std::ostream& log_;
  std::ostream& terminal_;  // log_ unless the bar has a terminal of its own

  std::string out_path_, partial_path_, journal_path_;
  std::unique_ptr<SampleSource> source_;
  std::unique_ptr<Journal> journal_;
  std::optional<DiskCache> cache_;
  int partial_fd_ = -1;
  std::ofstream trace_out_;  // --trace-phases; GUARDED_BY(mu_)
  int lock_fd_ = -1;  // flock'ed R.lock: one writer per results file
  int64_t prefix_ = 0;  // results already in the partial file when we started

  std::mutex mu_;
  std::condition_variable window_cv_;
  std::deque<std::shared_ptr<Slot>> reorder_;                     // GUARDED_BY(mu_)
  DedupTable<std::shared_ptr<Slot>> dedup_{o_.max_dedup_bytes};  // GUARDED_BY(mu_)
  std::unordered_map<int64_t, Verdict> journaled_;                // GUARDED_BY(mu_)
  std::map<int64_t, std::pair<std::string, Clock::time_point>> in_flight_;  // GUARDED_BY
  std::string results_buf_;                                       // GUARDED_BY(mu_)
  std::vector<TaskCount> task_counts_;                            // GUARDED_BY(mu_)
  std::vector<TaskCount> base_task_counts_;  // I/O mode: base passes; GUARDED_BY(mu_)
  int64_t io_samples_ = 0;                                        // GUARDED_BY(mu_)
  int64_t status_counts_[static_cast<size_t>(SampleStatus::kCount)] = {};
  int64_t written_ = 0;      // results lines in the partial file
  int64_t finished_now_ = 0; // verdicts produced by this invocation
  int64_t passed_now_ = 0;
  int64_t ran_ = 0, cache_hits_ = 0, resumed_ = 0, bad_records_ = 0;
  int64_t total_hint_ = 0;
  // The whole file as the producer reads it (every shard the same), for the report.
  int64_t file_samples_ = 0;
  std::vector<int64_t> file_task_counts_;                 // per problem
  std::vector<std::pair<int64_t, int64_t>> index_runs_;  // global indices of our samples
  Sha256 samples_digest_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_finish_ = Clock::now();
  bool producing_done_ = false;
  std::string io_error_;  // first write error (results or journal)
  std::string stop_reason_;
  std::condition_variable progress_cv_;
  std::mutex log_mu_;  // serialises writes to log_; taken after mu_, never before
};

void Grader::LogLine(const std::string& line) {
  std::lock_guard<std::mutex> lock(log_mu_);
  if (o_.progress && o_.progress_tty) terminal_ << "\r\033[K" << std::flush;
  log_ << line << "\n";
  log_.flush();
}

absl::Status Grader::PrepareFiles() {
  out_path_ = o_.out_path.empty() ? DefaultResultsPath(o_.samples_path) : o_.out_path;
  partial_path_ = out_path_ + ".partial";
  journal_path_ = out_path_ + ".journal";
  // One writer per results file: a second run on the same output (shards of one run
  // pointed at one path) would cut the first one's partial file short while reading it.
  lock_fd_ = open((out_path_ + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(out_path_, ".lock: cannot write: ", std::strerror(errno)));
  }
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        out_path_, ": another grading run is writing it (give each shard its own output)"));
  }
  std::error_code ec;
  if (!o_.resume) {
    fs::remove(partial_path_, ec);
    fs::remove(journal_path_, ec);
  }
  bool have_journal = fs::exists(journal_path_, ec);
  if (!have_journal) fs::remove(partial_path_, ec);  // results without a journal: redo
  if (absl::Status s = LoadPartialResults(); !s.ok()) return s;

  if (!o_.cache_dir.empty()) {
    absl::StatusOr<DiskCache> cache = DiskCache::Open(o_.cache_dir);
    if (!cache.ok()) return cache.status();
    cache_ = *std::move(cache);
    dedup_.UseCache(&*cache_);
  }
  std::string fingerprint = RunFingerprint(o_, problems_, runtime_);
  absl::StatusOr<std::unique_ptr<Journal>> journal =
      Journal::Open(journal_path_, fingerprint, [&](const nlohmann::json& j) {
        JournalEntry e;
        if (!JournalEntryFromJson(j, &e)) return false;
        dedup_.Seed(e.key, e.verdict);
        if (e.index >= prefix_) journaled_[e.index] = e.verdict;
        return true;
      });
  if (absl::IsFailedPrecondition(journal.status())) {
    return absl::FailedPreconditionError(
        absl::StrCat(journal.status().message(), "; rerun with --no-resume to start over"));
  }
  if (!journal.ok()) return journal.status();
  journal_ = *std::move(journal);
  if (have_journal && (prefix_ > 0 || !journaled_.empty())) {
    LogLine(absl::StrCat("resuming from ", journal_path_, ": ", prefix_,
                         " results written, ", journaled_.size(), " more journaled"));
  }
  if (!o_.trace_phases_path.empty()) {
    trace_out_.open(o_.trace_phases_path, std::ios::binary | std::ios::trunc);
    if (!trace_out_) {
      return absl::InvalidArgumentError(
          absl::StrCat(o_.trace_phases_path, ": cannot write: ", std::strerror(errno)));
    }
  }
  partial_fd_ = open(partial_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (partial_fd_ < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(partial_path_, ": cannot write: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// Keeps the valid prefix of R.partial (whole lines that parse) and counts it.
absl::Status Grader::LoadPartialResults() {
  std::ifstream in(partial_path_, std::ios::binary);
  if (!in) return absl::OkStatus();
  std::string line;
  int64_t valid_bytes = 0;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // torn last line
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) break;
    auto id = j.find("task_id");
    auto st = j.find("status");
    SampleStatus status;
    if (id == j.end() || st == j.end() || !st->is_string() ||
        !ParseSampleStatus(st->get<std::string>(), &status)) {
      break;
    }
    absl::StatusOr<std::string> task_id = TaskIdString(*id);
    auto it = task_id.ok() ? problems_.by_id.find(*task_id) : problems_.by_id.end();
    if (it == problems_.by_id.end()) break;
    Verdict v;
    v.status = status;
    v.passed = j.value("passed", false);
    if (auto b = j.find("base_status"); b != j.end()) {
      v.io = true;
      if (b->is_string()) ParsePhaseStatus(b->get<std::string>(), &v.base_status);
    }
    CountLocked(it->second, v);
    ++prefix_;
    valid_bytes += static_cast<int64_t>(line.size()) + 1;
  }
  in.close();
  std::error_code ec;
  fs::resize_file(partial_path_, valid_bytes, ec);
  if (ec) return absl::InternalError(absl::StrCat(partial_path_, ": ", ec.message()));
  written_ = prefix_;
  resumed_ = prefix_;
  return absl::OkStatus();
}

void Grader::CountLocked(size_t problem, const Verdict& v) {
  TaskCount& t = task_counts_[problem];
  ++t.n;
  if (v.passed) ++t.c;
  TaskCount& b = base_task_counts_[problem];
  ++b.n;
  if (v.io ? v.base_status == PhaseStatus::kPass : v.passed) ++b.c;
  if (v.io) ++io_samples_;
  ++status_counts_[static_cast<size_t>(v.status)];
}

void Grader::FlushResultsLocked(bool sync) {
  if (!results_buf_.empty()) {
    absl::Status s = WriteAll(partial_fd_, results_buf_, partial_path_);
    if (!s.ok() && io_error_.empty()) io_error_ = std::string(s.message());
    results_buf_.clear();
  }
  if (sync && partial_fd_ >= 0) fsync(partial_fd_);
}

void Grader::DrainLocked() {
  while (!reorder_.empty() && reorder_.front()->done) {
    std::shared_ptr<Slot> slot = std::move(reorder_.front());
    reorder_.pop_front();
    results_buf_ +=
        ResultLine(std::move(slot->fields), slot->verdict, CpuLimitMs(slot->problem));
    CountLocked(slot->problem, slot->verdict);
    ++written_;
  }
  if (results_buf_.size() >= kResultsBufferBytes) FlushResultsLocked(false);
  window_cv_.notify_all();
}

void Grader::CompleteLocked(const std::shared_ptr<Slot>& slot, const std::string& key,
                            Verdict verdict) {
  absl::Status s = journal_->Append(JournalEntryToJson({slot->index, key, verdict}));
  if (!s.ok() && io_error_.empty()) io_error_ = std::string(s.message());
  if (verdict.passed) ++passed_now_;
  if (verdict.cache_hit) ++cache_hits_;
  ++finished_now_;
  last_finish_ = Clock::now();
  slot->verdict = std::move(verdict);
  slot->done = true;
}

void Grader::OnRunFinished(const std::string& key, const std::shared_ptr<Slot>& slot,
                           int64_t job_id, Verdict verdict) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_.erase(job_id);
    ++ran_;
    if (trace_out_.is_open()) {
      nlohmann::ordered_json line;
      line["index"] = slot->index;
      line["task_id"] = slot->fields.value("task_id", nlohmann::ordered_json());
      line["completion_id"] = slot->fields.value("completion_id", nlohmann::ordered_json());
      line["status"] = SampleStatusName(verdict.status);
      line["phases"] = PhasesJson(sandbox::TracePhases(verdict.trace));
      trace_out_ << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
    CompleteLocked(slot, key, verdict);
    for (const auto& w : dedup_.Finish(key, verdict)) {
      CompleteLocked(w, key, SharedVerdict(verdict));
    }
    DrainLocked();
  }
  // After the journal entry: a crash between the two only costs a re-run.
  if (cache_) {
    absl::Status s = cache_->Store(key, verdict);
    if (!s.ok()) LogLine(absl::StrCat("warning: cache: ", s.message()));
  }
  progress_cv_.notify_all();
}

void Grader::Produce() {
  SampleSource* source = source_.get();
  SampleChecker checker(&problems_);
  WorkerPool pool(o_.workers, static_cast<size_t>(o_.workers) * 2);
  int64_t next_index = 0;
  int64_t next_job = 0;
  Sample sample;
  std::string error;
  while (true) {
    ReadOutcome outcome = source->Next(&sample, &error);
    if (outcome == ReadOutcome::kEnd) break;
    if (outcome == ReadOutcome::kIoError) {
      stop_reason_ = error;
      LogLine(absl::StrCat("error: ", error));
      break;
    }
    if (outcome == ReadOutcome::kSample) {
      if (absl::Status s = checker.Check(sample); !s.ok()) {
        outcome = ReadOutcome::kBadRecord;
        error = std::string(s.message());
      }
    }
    if (outcome == ReadOutcome::kBadRecord) {
      LogLine(absl::StrCat("bad input: ", error));
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++bad_records_;
      }
      if (o_.strict) {
        stop_reason_ = absl::StrCat("--strict: stopped at bad input: ", error);
        break;
      }
      continue;
    }
    const size_t problem = problems_.by_id.at(sample.task_id);
    const int64_t file_index = file_samples_++;
    ++file_task_counts_[problem];
    samples_digest_.UpdateField(sample.task_id);
    samples_digest_.UpdateField(
        sample.fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (!o_.shard.Contains(sample.task_id)) continue;  // another shard's
    AddToRuns(&index_runs_, file_index);
    int64_t index = next_index++;
    if (index < prefix_) continue;  // already in the results file
    GradedSample graded =
        plan_.Sample(problem, SampleCode{sample.code, sample.is_solution, o_.extract, &o_.stops});
    const std::string key = graded.key;
    auto slot = std::make_shared<Slot>();
    slot->index = index;
    slot->problem = problem;
    slot->fields = std::move(sample.fields);
    {
      std::unique_lock<std::mutex> lock(mu_);
      window_cv_.wait(lock, [&] { return reorder_.size() < kMaxReorderWindow; });
      reorder_.push_back(slot);
      if (auto j = journaled_.find(index); j != journaled_.end()) {
        slot->verdict = std::move(j->second);
        slot->done = true;
        journaled_.erase(j);
        ++resumed_;
        DrainLocked();
        continue;
      }
      Verdict known;
      const auto claim = dedup_.ClaimKey(key, slot, &known);  // the disk cache too
      if (claim == DedupTable<std::shared_ptr<Slot>>::Claim::kDone) {
        CompleteLocked(slot, key, std::move(known));
        DrainLocked();
      }
      if (claim != DedupTable<std::shared_ptr<Slot>>::Claim::kRun) continue;
    }
    int64_t job_id = next_job++;
    pool.Submit([this, graded = std::make_shared<GradedSample>(std::move(graded)), slot,
                 job_id, task_id = sample.task_id] {
      {
        std::lock_guard<std::mutex> lock(mu_);
        in_flight_[job_id] = {task_id, Clock::now()};
      }
      OnRunFinished(graded->key, slot, job_id, plan_.Run(runner_, *graded));
    });
  }
  pool.Finish();
}

void Grader::ProgressLoop() {
  const bool tty = o_.progress_tty;
  const auto tick = std::chrono::milliseconds(tty ? 200 : 250);
  auto last_line = Clock::now();
  auto last_stall_warning = Clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  while (!producing_done_) {
    progress_cv_.wait_for(lock, tick);
    if (producing_done_) break;
    std::lock_guard<std::mutex> log_lock(log_mu_);
    auto now = Clock::now();
    double elapsed = std::chrono::duration<double>(now - start_).count();
    int64_t done = resumed_ + finished_now_;
    double rate = elapsed > 0 ? static_cast<double>(finished_now_) / elapsed : 0;
    double pass_rate =
        finished_now_ > 0 ? 100.0 * static_cast<double>(passed_now_) / finished_now_ : 0;
    std::string eta = total_hint_ > 0 && rate > 0
                          ? FormatDuration(static_cast<double>(total_hint_ - done) / rate)
                          : "?";
    std::string total = total_hint_ > 0 ? absl::StrCat(total_hint_) : "?";
    if (tty) {
      constexpr int kWidth = 30;
      int filled = total_hint_ > 0 ? static_cast<int>(kWidth * std::min<double>(
                                         1.0, static_cast<double>(done) / total_hint_))
                                   : 0;
      terminal_ << "\r\033[K[" << std::string(filled, '#')
                << std::string(kWidth - filled, '.') << "] " << done << "/" << total
                << absl::StrFormat("  %.1f/s  ETA %s  passed %.1f%%", rate, eta, pass_rate);
      terminal_.flush();
    } else if (now - last_line >= std::chrono::milliseconds(o_.progress_interval_ms)) {
      last_line = now;
      log_ << absl::StrFormat(
                  "%d/%s samples, %.1f/s, ETA %s, passed %.1f%%, %d in flight",
                  done, total, rate, eta, pass_rate, in_flight_.size())
           << "\n";
      log_.flush();
    }
    auto stall = std::chrono::milliseconds(o_.stall_warning_ms);
    if (!in_flight_.empty() && now - last_finish_ >= stall && now - last_stall_warning >= stall) {
      last_stall_warning = now;
      std::vector<std::string> ids;
      for (const auto& [job, info] : in_flight_) ids.push_back(info.first);
      if (tty) terminal_ << "\r\033[K" << std::flush;
      log_ << absl::StrFormat("warning: nothing finished for %s; in flight: %s",
                              FormatDuration(std::chrono::duration<double>(
                                  now - last_finish_).count()),
                              absl::StrJoin(ids, ", "))
           << "\n";
      log_.flush();
    }
  }
  if (tty) {
    std::lock_guard<std::mutex> log_lock(log_mu_);
    terminal_ << "\r\033[K";
    terminal_.flush();
  }
}

absl::StatusOr<GradeReport> Grader::Run() {
  if (o_.workers < 1) return absl::InvalidArgumentError("workers: must be at least 1");
  const std::vector<int64_t>& task_cpu_time_ms = o_.setup.task_cpu_time_ms;
  if (!task_cpu_time_ms.empty() && task_cpu_time_ms.size() != problems_.problems.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("per-task time limits: ", task_cpu_time_ms.size(), " for ",
                     problems_.problems.size(), " problems"));
  }
  // Unreadable samples fail before any output file is touched.
  absl::StatusOr<std::unique_ptr<SampleSource>> source = OpenSamples(o_.samples_path, &problems_);
  if (!source.ok()) return source.status();
  source_ = *std::move(source);
  if (absl::Status s = PrepareFiles(); !s.ok()) return s;
  if (o_.progress) {
    total_hint_ = o_.total_samples >= 0 ? o_.total_samples : CountJsonlRecords(o_.samples_path);
  }
  start_ = last_finish_ = Clock::now();
  std::thread progress;
  if (o_.progress) progress = std::thread([this] { ProgressLoop(); });
  Produce();
  {
    std::lock_guard<std::mutex> lock(mu_);
    producing_done_ = true;
    DrainLocked();
    FlushResultsLocked(/*sync=*/true);
  }
  progress_cv_.notify_all();
  if (progress.joinable()) progress.join();
  if (absl::Status s = journal_->Sync(); !s.ok() && io_error_.empty()) {
    io_error_ = std::string(s.message());
  }

  GradeReport report;
  report.results_path = out_path_;
  report.tasks_total = problems_.problems.size();
  report.tasks = CoveredTasks(problems_, task_counts_);
  report.pass_at_k = MeanPassAtK(report.tasks, o_.ks);
  report.base_tasks = CoveredTasks(problems_, base_task_counts_);
  report.base_pass_at_k = MeanPassAtK(report.base_tasks, o_.ks);
  report.io_samples = io_samples_;
  report.samples = written_;
  report.file_samples = file_samples_;
  report.index_runs = index_runs_;
  report.samples_digest = samples_digest_.FinalHex();
  for (size_t p = 0; p < file_task_counts_.size(); ++p) {
    if (file_task_counts_[p] > 0) {
      report.file_tasks.emplace_back(problems_.problems[p].task_id, file_task_counts_[p]);
    }
  }
  std::copy(std::begin(status_counts_), std::end(status_counts_), report.status_counts);
  report.bad_records = bad_records_;
  report.resumed = resumed_;
  report.ran = ran_;
  report.cache_hits = cache_hits_;
  report.elapsed_s = std::chrono::duration<double>(Clock::now() - start_).count();
  if (!io_error_.empty() && stop_reason_.empty()) stop_reason_ = io_error_;
  report.completed = stop_reason_.empty();
  report.stop_reason = stop_reason_;
  close(partial_fd_);
  partial_fd_ = -1;
  if (report.completed) {
    std::error_code ec;
    // A sidecar of an earlier run would describe other results: it goes first, and the
    // caller writes this run's (results_sidecar.h) after the rename.
    fs::remove(SidecarPath(out_path_), ec);
    fs::rename(partial_path_, out_path_, ec);
    if (ec) {
      report.completed = false;
      report.stop_reason = absl::StrCat(out_path_, ": ", ec.message());
    } else {
      // The results file is complete and durable before the journal goes.
      int dir_fd = open(fs::path(out_path_).parent_path().empty()
                            ? "."
                            : fs::path(out_path_).parent_path().c_str(),
                        O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dir_fd >= 0) {
        fsync(dir_fd);
        close(dir_fd);
      }
      (void)journal_->Remove();
      fs::remove(out_path_ + ".lock", ec);
    }
  }
  return report;
}

}  // namespace

std::string ResultLine(nlohmann::ordered_json fields, const Verdict& v, int64_t cpu_limit_ms) {
  fields["result"] = v.result;
  fields["passed"] = v.passed;
  fields["status"] = SampleStatusName(v.status);
  fields["cpu_ms"] = v.cpu_ms;
  fields["cpu_limit_ms"] = cpu_limit_ms;
  fields["wall_ms"] = v.wall_ms;
  fields["max_rss_kb"] = v.max_rss_kb;
  fields["stderr_tail"] = v.stderr_tail;
  fields["cache_hit"] = v.cache_hit;
  if (v.compile_cpu_ms >= 0) fields["compile_cpu_ms"] = v.compile_cpu_ms;
  if (v.status == SampleStatus::kSyscallViolation) {
    fields["syscall"] = v.syscall;
    fields["syscall_name"] = v.syscall_name;
  }
  if (v.io) {
    auto phase = [](PhaseStatus s) {
      return s == PhaseStatus::kNone ? nlohmann::ordered_json(nullptr)
                                     : nlohmann::ordered_json(PhaseStatusName(s));
    };
    fields["base_status"] = phase(v.base_status);
    fields["plus_status"] = phase(v.plus_status);
    fields["base_failed_inputs"] = v.base_failed;
    fields["plus_failed_inputs"] = v.plus_failed;
  }
  return fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

absl::StatusOr<GradeReport> Grade(const GradeOptions& options, const ProblemSet& problems,
                                  sandbox::Runner& runner, const RuntimeContext& runtime) {
  Grader grader(options, problems, runner, runtime);
  return grader.Run();
}

}  // namespace fathom::grader
