// The run journal: every verdict is appended as it finishes (one JSON line, written at
// once, fdatasync'ed every kSyncEvery entries or kSyncIntervalMs), so a run killed with
// -9 resumes without re-running finished samples.
//
// File: a header line {"fathom_journal":1,"fingerprint":"<hex>"} then entries
// {"i":<sample index>,"k":"<program key>","h":<cache_hit>,"v":{<verdict>}}.
// A torn last line (a crash mid-write) is cut off when the journal is reopened.
//
// Thread safety: Append/Sync may be called from several threads (internally locked).
#ifndef FATHOM_GRADER_PIPELINE_JOURNAL_H_
#define FATHOM_GRADER_PIPELINE_JOURNAL_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "grader/pipeline/verdict.h"

namespace fathom::grader {

struct JournalEntry {
  int64_t index = 0;
  std::string key;
  Verdict verdict;  // cache_hit included
};

class Journal {
 public:
  static constexpr int kSyncEvery = 32;
  static constexpr int kSyncIntervalMs = 1000;

  // Opens `path`. When it exists with the same fingerprint, every valid entry is passed to
  // `replay` (in file order) and new entries are appended after them; a torn tail is
  // truncated. When it exists with another fingerprint: FailedPrecondition naming the
  // file. When it does not exist, it is created with the header.
  static absl::StatusOr<std::unique_ptr<Journal>> Open(
      const std::string& path, const std::string& fingerprint,
      const std::function<void(const JournalEntry&)>& replay);
  ~Journal();

  absl::Status Append(const JournalEntry& entry);
  absl::Status Sync();
  // Closes and deletes the file (the run is complete and its results are on disk).
  absl::Status Remove();
  const std::string& path() const { return path_; }

 private:
  Journal(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  absl::Status SyncLocked();

  const std::string path_;
  std::mutex mu_;
  int fd_;                   // GUARDED_BY(mu_)
  int unsynced_ = 0;         // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point last_sync_ = std::chrono::steady_clock::now();
};

// Writes all of `data` to `fd` (retrying short writes and EINTR).
absl::Status WriteAll(int fd, const std::string& data, const std::string& what);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_JOURNAL_H_
