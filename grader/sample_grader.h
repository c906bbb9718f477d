// The per-sample grading core shared by `fathom grade` (grade.cc) and `fathom serve`
// (service/): the program a sample becomes, one run of it through a sandbox::Runner with
// a fresh nonce, and the dedup table that grades identical programs once.
//
// SampleProgram and RunAndDecide are thread-safe (RunAndDecide as far as the runner is).
// A DedupTable is not: its owner serialises calls (grade.cc under its mutex).
#ifndef FATHOM_GRADER_SAMPLE_GRADER_H_
#define FATHOM_GRADER_SAMPLE_GRADER_H_

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "grader/extract.h"
#include "grader/problems.h"
#include "grader/verdict.h"
#include "sandbox/run_spec.h"
#include "sandbox/sandbox.h"

namespace fathom::grader {

// The file the sandbox runs for a sample whose raw text is `code`: `extract` applied (with
// `stops` for ExtractMode::kStop), then the assert-mode program (program.h), wrapped in
// the harness. Deterministic: the same sample gives the same text (and key).
std::string SampleProgram(const Problem& problem, absl::string_view code, bool is_solution,
                          ExtractMode extract, const std::vector<std::string>& stops);

// Runs `spec` (a harness program's RunSpec; its stdin is replaced) once through `runner`
// with a fresh nonce on stdin and decides the verdict. A Runner error (a cancelled run
// included) is a sandbox_error verdict.
Verdict RunAndDecide(sandbox::Runner& runner, sandbox::RunSpec spec);

// `v` as a duplicate of the sample that ran receives it: cache_hit set.
inline Verdict SharedVerdict(Verdict v) {
  v.cache_hit = true;
  return v;
}

// In-run dedup of programs by key (result_cache.h's ProgramKey): the first sample of a key
// runs, later ones wait for its verdict or take it when it is known. `Waiter` is whatever
// the owner needs to complete a waiting sample later (grade.cc: its result slot).
// Bounded: finished verdicts are kept while they hold at most `max_bytes` (keys, result
// strings, stderr tails), oldest forgotten first, so memory stays flat however many
// distinct programs a run grades (duplicates are usually close: the n samples of a task).
template <typename Waiter>
class DedupTable {
 public:
  explicit DedupTable(int64_t max_bytes = int64_t{32} << 20) : max_bytes_(max_bytes) {}

  enum class Claim {
    kRun,   // first of its key: the caller runs it, then calls Finish(key, ...)
    kDone,  // the verdict is known: *verdict is it, cache_hit set
    kWait,  // a run of the key is in progress: `waiter` is returned by its Finish
  };

  Claim ClaimKey(const std::string& key, Waiter waiter, Verdict* verdict) {
    auto [it, inserted] = entries_.try_emplace(key);
    if (inserted) return Claim::kRun;
    if (it->second.done) {
      *verdict = SharedVerdict(it->second.verdict);
      return Claim::kDone;
    }
    it->second.waiters.push_back(std::move(waiter));
    return Claim::kWait;
  }

  // A verdict known without running (a journal, a disk cache): kept (cache_hit cleared)
  // unless the key is already done. Sandbox errors are not the program's: ignored.
  void Seed(const std::string& key, Verdict verdict) {
    if (verdict.status == SampleStatus::kSandboxError) return;
    auto it = entries_.try_emplace(key).first;
    if (it->second.done) return;
    verdict.cache_hit = false;
    Remember(it, std::move(verdict));
  }

  // The run claimed with kRun (or a Seed for a claimed key) is over: returns the waiters,
  // each of which takes SharedVerdict(verdict). After a sandbox error the key is
  // forgotten, so a later duplicate runs again.
  std::vector<Waiter> Finish(const std::string& key, const Verdict& verdict) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return {};
    std::vector<Waiter> waiters = std::move(it->second.waiters);
    if (verdict.status == SampleStatus::kSandboxError) {
      entries_.erase(it);
    } else {
      Verdict kept = verdict;
      kept.cache_hit = false;
      Remember(it, std::move(kept));
    }
    return waiters;
  }

 private:
  struct Entry {
    bool done = false;
    Verdict verdict;
    std::vector<Waiter> waiters;
  };
  using Map = std::unordered_map<std::string, Entry>;

  static int64_t Cost(const std::string& key, const Verdict& v) {
    return static_cast<int64_t>(key.size() + v.result.size() + v.stderr_tail.size() + 160);
  }
  void Remember(typename Map::iterator it, Verdict verdict) {
    if (it->second.done) bytes_ -= Cost(it->first, it->second.verdict);
    it->second.done = true;
    it->second.verdict = std::move(verdict);
    bytes_ += Cost(it->first, it->second.verdict);
    done_order_.push_back(it->first);
    while (bytes_ > max_bytes_ && !done_order_.empty()) {
      auto old = entries_.find(done_order_.front());
      if (old != entries_.end() && old->second.done && old->second.waiters.empty()) {
        bytes_ -= Cost(old->first, old->second.verdict);
        entries_.erase(old);
      }
      done_order_.pop_front();
    }
  }

  const int64_t max_bytes_;
  Map entries_;
  std::deque<std::string> done_order_;  // finished keys, oldest first
  int64_t bytes_ = 0;
};

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_SAMPLE_GRADER_H_
