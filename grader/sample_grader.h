// The per-sample grading core shared by `fathom grade` (grade.cc) and `fathom serve`
// (service/): the program a sample becomes, one run of it through a sandbox::Runner with
// a fresh nonce, and the dedup table that grades identical programs once.
//
// SampleProgram and RunAndDecide are thread-safe (RunAndDecide as far as the runner is).
// A DedupTable is not: its owner serialises calls (grade.cc under its mutex).
#ifndef FATHOM_GRADER_SAMPLE_GRADER_H_
#define FATHOM_GRADER_SAMPLE_GRADER_H_

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
template <typename Waiter>
class DedupTable {
 public:
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
    Entry& e = entries_[key];
    if (e.done) return;
    verdict.cache_hit = false;
    e.done = true;
    e.verdict = std::move(verdict);
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
      it->second.done = true;
      it->second.verdict = verdict;
      it->second.verdict.cache_hit = false;
    }
    return waiters;
  }

 private:
  struct Entry {
    bool done = false;
    Verdict verdict;
    std::vector<Waiter> waiters;
  };
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_SAMPLE_GRADER_H_
