// The run directory's file plumbing: files written atomically (a temp file beside the
// target, fsync'ed, renamed over it), a lock so that two `fathom eval` never write one run
// directory at once, and timestamps in GPT-Fathom's recorder format.
//
// Thread safety: an AtomicFile is used by one thread; the free functions are thread-safe.
#ifndef FATHOM_DRIVER_RUN_RUN_DIR_H_
#define FATHOM_DRIVER_RUN_RUN_DIR_H_

#include <cstdio>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace fathom::driver::run {

// Streams into "<path>.tmp"; Commit() flushes, fsyncs and renames it to `path`. Destroyed
// without Commit(): the temp file is removed and `path` is untouched.
class AtomicFile {
 public:
  static absl::StatusOr<AtomicFile> Create(const std::string& path);
  AtomicFile(AtomicFile&& o) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  ~AtomicFile();
  void Write(std::string_view data);
  // Appends one JSON line (`line` without its "\n").
  void WriteLine(std::string_view line) {
    Write(line);
    Write("\n");
  }
  absl::Status Commit();
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }

 private:
  AtomicFile(std::string path, std::string temp, FILE* f)
      : path_(std::move(path)), temp_(std::move(temp)), f_(f) {}
  std::string path_;
  std::string temp_;
  FILE* f_ = nullptr;
  bool failed_ = false;
};

// Writes `data` to `path` atomically.
absl::Status WriteFileAtomic(const std::string& path, std::string_view data);

// An exclusive lock on "<dir>/.lock" (flock), held while the object lives. Fails at once
// (FailedPrecondition naming the directory) when another process holds it. Creates `dir`.
class RunLock {
 public:
  static absl::StatusOr<RunLock> Acquire(const std::string& dir);
  RunLock(RunLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  RunLock& operator=(RunLock&&) = delete;
  ~RunLock();

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// `j` as one line of the run directory's JSON files (invalid UTF-8 becomes U+FFFD).
std::string JsonLine(const nlohmann::ordered_json& j);

// Now, UTC, as GPT-Fathom's recorder writes it: "2024-02-24 12:34:56.789012+00:00".
std::string NowTimestamp();

// SHA-256 of a file's bytes (64 hex characters); NotFound / Internal naming the path.
absl::StatusOr<std::string> FileSha256(const std::string& path);

}  // namespace fathom::driver::run

#endif  // FATHOM_DRIVER_RUN_RUN_DIR_H_
