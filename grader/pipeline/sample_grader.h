// The per-sample grading core under the grading plan (grading_plan.h): the program a
// sample becomes, one run of it through a sandbox::Runner with a fresh nonce, and the
// dedup table that grades identical programs once.
//
// SampleProgram and RunAndDecide are thread-safe (RunAndDecide as far as the runner is).
// A DedupTable is not: its owner serialises calls (grade.cc under its mutex).
#ifndef FATHOM_GRADER_PIPELINE_SAMPLE_GRADER_H_
#define FATHOM_GRADER_PIPELINE_SAMPLE_GRADER_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "grader/formats/extract.h"
#include "grader/formats/problems.h"
#include "grader/formats/sha256.h"
#include "grader/iomode/io_mode.h"
#include "grader/pipeline/result_cache.h"
#include "grader/pipeline/runtime_context.h"
#include "grader/pipeline/verdict.h"
#include "sandbox/run_spec.h"
#include "sandbox/sandbox.h"

namespace fathom::grader {

// The file the sandbox runs (or compiles) for a sample whose raw text is `code`:
// `extract` applied (with `stops` for ExtractMode::kStop), then, under `rule`
// kHarness, the assert-mode program (program.h) wrapped in the harness; under
// kExitStatus, NativeProgram. Deterministic: the same sample gives the same text (and key).
std::string SampleProgram(const Problem& problem, absl::string_view code, bool is_solution,
                          ExtractMode extract, const std::vector<std::string>& stops,
                          VerdictRule rule = VerdictRule::kHarness);

// How `runtime`'s runs become verdicts: its language's rule; kHarness without a language
// (test fakes).
VerdictRule RuleOf(const RuntimeContext& runtime);
// The runtime's `verdict.require_silence` (none without a language).
RequireSilence SilenceOf(const RuntimeContext& runtime);

// Runs `spec` (a harness program's RunSpec; its stdin is replaced) once through `runner`
// with a fresh nonce on stdin and decides the verdict. A Runner error (a cancelled run
// included) is a sandbox_error verdict.
Verdict RunAndDecide(sandbox::Runner& runner, sandbox::RunSpec spec);

// The same for an I/O-mode program (io_mode.h): the verdict compares the run's answers
// with `oracle`'s expected values outside the sandbox.
Verdict RunAndDecideIo(sandbox::Runner& runner, sandbox::RunSpec spec, const Problem& problem,
                       const IoOracle& oracle, const IoSettings& settings);

// How a sample's verdict is decided.
struct AssertMode {};  // the problem's own tests run inside the program (human-eval)
struct IoMode {        // answers compared outside the sandbox with the expected values
  const IoOracle* oracle = nullptr;      // usable; outlives the sample
  // A copy: a sample may outlive the plan that made it (serve's jobs run after AddBatch
  // returns), and the settings are a few words.
  IoSettings settings;
};
using SampleMode = std::variant<AssertMode, IoMode>;

// What the model wrote for one problem, and how to extract the code from it.
struct SampleCode {
  absl::string_view code;    // the completion, or the whole program
  bool is_solution = false;  // `code` is a whole program (EvalPlus `solution`)
  ExtractMode extract = ExtractMode::kNone;
  const std::vector<std::string>* stops = nullptr;  // for ExtractMode::kStop; null: none
};

// A sample ready to run, as `fathom grade`, `fathom serve` and the driver all build it,
// so that they give it the same program, key (and so share the disk cache) and verdict.
struct GradedSample {
  std::string program;  // the file the sandbox runs
  // Dedup and cache key: the runtime fingerprint, the limits and the program; in I/O
  // mode also the expected values' digest (the verdict depends on them and they are
  // not in the program).
  std::string key;
  sandbox::Limits limits;  // the run's (IoRunLimits in I/O mode)
  SampleMode mode;
  const Problem* problem = nullptr;  // I/O mode: the problem (outlives the sample); else null
  VerdictRule rule = VerdictRule::kHarness;  // how its run is decided (assert mode)
  // kExitStatus only: the streams a pass also needs empty: the runtime's
  // `verdict.require_silence` (MultiPL-E's Racket and Scala: stderr), and both for a
  // HumanEval-X row with quiet_pass (its JavaScript, humanevalx.h). Part of `key`.
  RequireSilence silence;
};

// Assert mode: SampleProgram under `rule`, with `silence` (the runtime's) and the
// problem's HumanEval-X quiet_pass.
// I/O mode (kHarness only): IoProgram around the extracted solution.
GradedSample MakeGradedSample(const Problem& problem, const SampleCode& code,
                              const SampleMode& mode, absl::string_view runtime_fingerprint,
                              const sandbox::Limits& limits,
                              VerdictRule rule = VerdictRule::kHarness,
                              RequireSilence silence = {});

// `spec` (built from sample.program and sample.limits) run once and decided by the
// sample's mode: RunAndDecide or RunAndDecideIo.
Verdict RunAndDecideSample(sandbox::Runner& runner, sandbox::RunSpec spec,
                           const GradedSample& sample);

// The sample's RunSpec from `runtime`, with `cancel` (null: none), run once and decided.
// When the runtime's language has a compile step, the program is compiled first (with
// the same `cancel`, through runtime.compile_cache when there is one) and its artefact
// run; a program that does not compile is a compile_error verdict and never runs.
// `trace_phases`: the run records its phases (phase_trace.h) into the verdict's trace.
Verdict RunGradedSample(sandbox::Runner& runner, const RuntimeContext& runtime,
                        const GradedSample& sample,
                        std::shared_ptr<sandbox::CancelToken> cancel = nullptr,
                        bool trace_phases = false);

// `program` (a whole program of `runtime`'s language, as SampleProgram makes it) in
// assert mode under `limits`: compiled when the language has a compile step, run once,
// decided by the runtime's rule. What calibration and self-tests run.
Verdict RunProgram(sandbox::Runner& runner, const RuntimeContext& runtime, std::string program,
                   const sandbox::Limits& limits,
                   std::shared_ptr<sandbox::CancelToken> cancel = nullptr);

// `v` as a duplicate of the sample that ran receives it: cache_hit set.
inline Verdict SharedVerdict(Verdict v) {
  v.cache_hit = true;
  return v;
}

// In-run dedup of programs by key (result_cache.h's ProgramKey): the first sample of a key
// runs, later ones wait for its verdict or take it when it is known. `Waiter` is whatever
// the owner needs to complete a waiting sample later (grade.cc: its result slot).
// Finished verdicts are kept up to `max_done_bytes` (oldest evicted first; keys in
// progress are never evicted), so memory stays flat however many distinct programs a run
// or a long stream grades: duplicates are usually close together (a task's n samples).
// Keys are held as 32 bytes (a ProgramKey's hex decoded, any other key's SHA-256), not as
// the text: a finished entry costs about 300 bytes.
template <typename Waiter>
class DedupTable {
 public:
  // 32 MiB: about 100,000 typical verdicts.
  static constexpr int64_t kDefaultMaxDoneBytes = int64_t{32} << 20;
  explicit DedupTable(int64_t max_done_bytes = kDefaultMaxDoneBytes)
      : max_done_bytes_(max_done_bytes) {}

  // From now on, a key claimed first is looked up in `cache` (which must outlive the
  // table) before it is given to run. Null: no disk cache.
  void UseCache(const DiskCache* cache) { cache_ = cache; }

  enum class Claim {
    kRun,   // first of its key: the caller runs it, then calls Finish(key, ...)
    kDone,  // the verdict is known (here or in the disk cache): *verdict, cache_hit set
    kWait,  // a run of the key is in progress: `waiter` is returned by its Finish
  };

  Claim ClaimKey(const std::string& key, Waiter waiter, Verdict* verdict) {
    auto [it, inserted] = entries_.try_emplace(CompactKey(key));
    if (inserted) {
      if (cache_ == nullptr) return Claim::kRun;
      std::optional<Verdict> hit = cache_->Lookup(key);
      if (!hit) return Claim::kRun;
      Finish(key, *hit);  // nothing waits on it yet
      *verdict = *std::move(hit);
      return Claim::kDone;
    }
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
    const Key k = CompactKey(key);
    Entry& e = entries_[k];
    if (e.done) return;
    verdict.cache_hit = false;
    Remember(k, key.size(), e, std::move(verdict));
  }

  // The run claimed with kRun (or a Seed for a claimed key) is over: returns the waiters,
  // each of which takes SharedVerdict(verdict). After a sandbox error the key is
  // forgotten, so a later duplicate runs again.
  std::vector<Waiter> Finish(const std::string& key, const Verdict& verdict) {
    const Key k = CompactKey(key);
    auto it = entries_.find(k);
    if (it == entries_.end()) return {};
    std::vector<Waiter> waiters = std::move(it->second.waiters);
    it->second.waiters.clear();
    if (verdict.status == SampleStatus::kSandboxError) {
      if (it->second.done) done_bytes_ -= it->second.cost;
      entries_.erase(it);
    } else {
      Verdict kept = verdict;
      kept.cache_hit = false;
      Remember(k, key.size(), it->second, std::move(kept));
    }
    return waiters;
  }

  // Bytes of finished verdicts held (for tests).
  int64_t done_bytes() const { return done_bytes_; }

 private:
  using Key = std::array<char, 32>;
  struct KeyHash {
    size_t operator()(const Key& k) const {
      size_t h;
      std::memcpy(&h, k.data(), sizeof h);  // already uniform
      return h;
    }
  };
  struct Entry {
    bool done = false;
    int64_t cost = 0;  // when done: what it counts against max_done_bytes_
    Verdict verdict;
    std::vector<Waiter> waiters;
  };
  // 64 lowercase hex digits (every ProgramKey) decoded; any other key hashed.
  static Key CompactKey(const std::string& key) {
    Key out;
    if (key.size() == 64 && std::all_of(key.begin(), key.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        })) {
      for (size_t i = 0; i < 32; ++i) {
        auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
        out[i] = static_cast<char>(nibble(key[2 * i]) * 16 + nibble(key[2 * i + 1]));
      }
      return out;
    }
    Sha256 h;
    h.Update(key);
    return h.FinalBytes();
  }
  // An estimate of a finished entry's bytes, by its key's text size (eviction depends on
  // it, not on how the key is held).
  static int64_t Cost(size_t key_size, const Verdict& v) {
    return static_cast<int64_t>(key_size + v.result.size() + v.stderr_tail.size() + 160);
  }
  void Remember(const Key& key, size_t key_size, Entry& e, Verdict verdict) {
    if (e.done) done_bytes_ -= e.cost;
    e.done = true;
    e.verdict = std::move(verdict);
    e.cost = Cost(key_size, e.verdict);
    done_bytes_ += e.cost;
    done_order_.push_back(key);
    while (done_bytes_ > max_done_bytes_ && !done_order_.empty()) {
      auto it = entries_.find(done_order_.front());
      done_order_.pop_front();
      if (it != entries_.end() && it->second.done && it->second.waiters.empty()) {
        done_bytes_ -= it->second.cost;
        entries_.erase(it);
      }
    }
  }

  const int64_t max_done_bytes_;
  const DiskCache* cache_ = nullptr;
  std::unordered_map<Key, Entry, KeyHash> entries_;
  std::deque<Key> done_order_;  // finished keys, oldest first (may hold stale ones)
  int64_t done_bytes_ = 0;
};

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_SAMPLE_GRADER_H_
