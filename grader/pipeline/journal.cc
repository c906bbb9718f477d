// Append-only JSON journal with torn-tail recovery.
#include "grader/pipeline/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace fathom::grader {
namespace {

absl::Status PosixError(const std::string& context, int err) {
  return absl::InternalError(absl::StrCat(context, ": ", std::strerror(err)));
}

std::string HeaderLine(const std::string& fingerprint) {
  return nlohmann::json{{"fathom_journal", 1}, {"fingerprint", fingerprint}}.dump() + "\n";
}

}  // namespace

absl::Status WriteAll(int fd, const std::string& data, const std::string& what) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return PosixError(what, errno);
    done += n;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Journal>> Journal::Open(
    const std::string& path, const std::string& fingerprint,
    const std::function<bool(const nlohmann::json& entry)>& replay) {
  std::ifstream in(path, std::ios::binary);
  int64_t valid_bytes = 0;
  bool exists = static_cast<bool>(in);
  if (exists) {
    std::string line;
    bool header_seen = false;
    while (std::getline(in, line)) {
      if (in.eof()) break;  // no '\n' after it: torn
      nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded() || !j.is_object()) break;
      if (!header_seen) {
        // Compared as JSON: value() with an int or string default throws on a
        // mistyped field, and a damaged header must not crash (fuzz/journal_fuzz.cc).
        if (j.value("fathom_journal", nlohmann::json(0)) != 1) break;
        if (j.value("fingerprint", nlohmann::json("")) != fingerprint) {
          return absl::FailedPreconditionError(
              absl::StrCat(path, " was written by a run with other inputs or settings"));
        }
        header_seen = true;
      } else {
        if (!replay(j)) break;
      }
      valid_bytes += static_cast<int64_t>(line.size()) + 1;
    }
    if (!header_seen) valid_bytes = 0;
  }
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return PosixError(path, errno);
  if (ftruncate(fd, valid_bytes) != 0 || lseek(fd, valid_bytes, SEEK_SET) < 0) {
    int err = errno;
    close(fd);
    return PosixError(path, err);
  }
  auto journal = std::unique_ptr<Journal>(new Journal(path, fd));
  if (valid_bytes == 0) {
    absl::Status s = WriteAll(fd, HeaderLine(fingerprint), path);
    if (!s.ok()) return s;
    std::lock_guard<std::mutex> lock(journal->mu_);
    if (absl::Status s2 = journal->SyncLocked(); !s2.ok()) return s2;
  }
  return journal;
}

Journal::~Journal() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ >= 0) {
    fdatasync(fd_);
    close(fd_);
  }
}

absl::Status Journal::Append(const nlohmann::json& entry) {
  std::string line =
      entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) return absl::FailedPreconditionError(path_ + ": closed");
  // One write() per entry: after kill -9 the kernel has every entry whose Append returned.
  if (absl::Status s = WriteAll(fd_, line, path_); !s.ok()) return s;
  ++unsynced_;
  auto now = std::chrono::steady_clock::now();
  if (unsynced_ >= kSyncEvery ||
      now - last_sync_ >= std::chrono::milliseconds(kSyncIntervalMs)) {
    return SyncLocked();
  }
  return absl::OkStatus();
}

absl::Status Journal::SyncLocked() {
  unsynced_ = 0;
  last_sync_ = std::chrono::steady_clock::now();
  if (fdatasync(fd_) != 0) return PosixError(path_, errno);
  return absl::OkStatus();
}

absl::Status Journal::Sync() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) return absl::OkStatus();
  return SyncLocked();
}

absl::Status Journal::Remove() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  if (unlink(path_.c_str()) != 0 && errno != ENOENT) return PosixError(path_, errno);
  return absl::OkStatus();
}

}  // namespace fathom::grader
