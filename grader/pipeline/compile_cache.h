// The compile cache: what compiling a source gave (an artefact, or the compiler's
// refusal), keyed by everything that decides it, shared by every sample of a run and,
// with a directory (`--cache DIR`), across runs.
//
// Key: SHA-256 over the runtime fingerprint (runtime_context.h: runtime, its command and
// compile command with their flags, toolchain version, policy hash, active layers), the
// compile step's limits and the source text. Programs that differ only in their
// completion are different sources: each compiles once, however many samples share it
// or however many times it runs (calibration, several limits, a rerun).
//
// In memory: outcomes up to a byte budget, least recently used dropped first. Concurrent
// requests for one key compile once; the others wait for that outcome. On disk:
// DIR/compile/<2 hex>/<key>.bin (the artefact) or <key>.err (a refusal, JSON), written
// atomically. Sandbox errors and cancelled compiles are never cached.
//
// Thread safety: every member may be called from any thread.
#ifndef FATHOM_GRADER_PIPELINE_COMPILE_CACHE_H_
#define FATHOM_GRADER_PIPELINE_COMPILE_CACHE_H_

#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grader/pipeline/language.h"
#include "sandbox/sandbox.h"

namespace fathom::grader {

struct CompileCacheStats {
  int64_t compiles = 0;     // compile runs made
  int64_t memory_hits = 0;  // outcomes found in memory (waiters on a compile included)
  int64_t disk_hits = 0;    // outcomes read from the directory
  int64_t compile_cpu_ms = 0;  // CPU of the compile runs made
};

class CompileCache {
 public:
  // 256 MiB: a thousand typical C++ artefacts, far more than a run has in flight.
  static constexpr int64_t kDefaultMemoryBytes = int64_t{256} << 20;

  // `dir` empty: memory only. Otherwise DIR/compile is created if needed (Internal names
  // it when it cannot be).
  static absl::StatusOr<std::shared_ptr<CompileCache>> Open(
      const std::string& dir, int64_t memory_bytes = kDefaultMemoryBytes);

  // The key of compiling `step` for a runtime with `fingerprint`.
  static std::string Key(absl::string_view fingerprint, const CompileStep& step);

  // The outcome of `step` (compiled through `runner` with `cancel` unless known). Its
  // cache_hit is set when it did not compile now. Errors are CompileProgram's.
  absl::StatusOr<CompileOutcome> Compile(sandbox::Runner& runner,
                                         absl::string_view fingerprint, CompileStep step,
                                         std::shared_ptr<sandbox::CancelToken> cancel);

  CompileCacheStats stats() const;
  const std::string& dir() const { return dir_; }

 private:
  struct Entry {
    bool done = false;
    CompileOutcome outcome;
    std::list<std::string>::iterator lru;  // valid when done
  };
  CompileCache(std::string dir, int64_t memory_bytes)
      : dir_(std::move(dir)), memory_bytes_(memory_bytes) {}
  std::string PathFor(const std::string& key, absl::string_view suffix) const;
  bool ReadDisk(const std::string& key, CompileOutcome* out) const;
  void WriteDisk(const std::string& key, const CompileOutcome& outcome) const;
  // REQUIRES: mu_ held.
  void RememberLocked(const std::string& key, Entry& e, CompileOutcome outcome);

  const std::string dir_;  // DIR/compile; empty: memory only
  const int64_t memory_bytes_;
  mutable std::mutex mu_;
  std::condition_variable done_cv_;
  std::unordered_map<std::string, Entry> entries_;  // GUARDED_BY(mu_)
  std::list<std::string> lru_;                       // GUARDED_BY(mu_): most recent first
  int64_t held_bytes_ = 0;                           // GUARDED_BY(mu_)
  CompileCacheStats stats_;                          // GUARDED_BY(mu_)
};

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_COMPILE_CACHE_H_
