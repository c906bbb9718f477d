// A run journal: every finished piece of work is appended as one JSON line (written at
// once, fdatasync'ed every kSyncEvery entries or kSyncIntervalMs), so a run killed with
// -9 resumes without redoing it. What an entry holds is the user's: `fathom grade`
// journals {"i":<sample index>,"k":"<program key>","h":<cache_hit>,"v":{<verdict>}}
// (grade.cc); the eval driver can journal its own items the same way.
//
// File: a header line {"fathom_journal":1,"fingerprint":"<hex>"} then one JSON object
// per line. A torn last line (a crash mid-write), or the first entry the reader refuses,
// is cut off with everything after it when the journal is reopened.
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
#include "nlohmann/json.hpp"

namespace fathom::grader {

class Journal {
 public:
  static constexpr int kSyncEvery = 32;
  static constexpr int kSyncIntervalMs = 1000;

  // Opens `path`. When it exists with the same fingerprint, every entry is passed to
  // `replay` (in file order) until it returns false (an entry it cannot read), and new
  // entries are appended after the last accepted one; the rest is truncated. When it
  // exists with another fingerprint: FailedPrecondition naming the file. When it does not
  // exist, it is created with the header.
  static absl::StatusOr<std::unique_ptr<Journal>> Open(
      const std::string& path, const std::string& fingerprint,
      const std::function<bool(const nlohmann::json& entry)>& replay);
  ~Journal();

  // Appends `entry` (a JSON object) as one line; invalid UTF-8 in it becomes U+FFFD.
  absl::Status Append(const nlohmann::json& entry);
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
