// Atomic files, the run directory lock, timestamps, file hashes (see run_dir.h).
#include "driver/run/run_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grader/formats/sha256.h"

namespace fathom::driver::run {

absl::StatusOr<AtomicFile> AtomicFile::Create(const std::string& path) {
  std::string temp = path + ".tmp";
  FILE* f = std::fopen(temp.c_str(), "wb");
  if (f == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(temp, ": ", std::strerror(errno)));
  }
  return AtomicFile(path, std::move(temp), f);
}

AtomicFile::AtomicFile(AtomicFile&& o) noexcept
    : path_(std::move(o.path_)), temp_(std::move(o.temp_)), f_(std::exchange(o.f_, nullptr)),
      failed_(o.failed_) {}

AtomicFile::~AtomicFile() {
  if (f_ != nullptr) {
    std::fclose(f_);
    std::remove(temp_.c_str());
  }
}

void AtomicFile::Write(std::string_view data) {
  if (f_ == nullptr || data.empty()) return;
  if (std::fwrite(data.data(), 1, data.size(), f_) != data.size()) failed_ = true;
}

absl::Status AtomicFile::Commit() {
  if (f_ == nullptr) return absl::FailedPreconditionError(temp_ + ": already closed");
  bool ok = !failed_ && std::fflush(f_) == 0 && fsync(fileno(f_)) == 0;
  int err = errno;
  ok = std::fclose(f_) == 0 && ok;
  f_ = nullptr;
  if (!ok || std::rename(temp_.c_str(), path_.c_str()) != 0) {
    if (ok) err = errno;
    std::remove(temp_.c_str());
    return absl::InternalError(absl::StrCat(path_, ": write failed: ", std::strerror(err)));
  }
  return absl::OkStatus();
}

absl::Status WriteFileAtomic(const std::string& path, std::string_view data) {
  absl::StatusOr<AtomicFile> f = AtomicFile::Create(path);
  if (!f.ok()) return f.status();
  f->Write(data);
  return f->Commit();
}

absl::StatusOr<RunLock> RunLock::Acquire(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(dir, ": ", ec.message()));
  std::string path = (std::filesystem::path(dir) / ".lock").string();
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return absl::PermissionDeniedError(absl::StrCat(path, ": ", std::strerror(errno)));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat(dir, ": another fathom eval is writing this run directory"));
  }
  return RunLock(fd);
}

RunLock::~RunLock() {
  if (fd_ >= 0) close(fd_);
}

std::string JsonLine(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string NowTimestamp() {
  auto now = std::chrono::system_clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return absl::StrFormat("%04d-%02d-%02d %02d:%02d:%02d.%06d+00:00", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                         static_cast<int>(us % 1000000));
}

absl::StatusOr<std::string> FileSha256(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat(path, ": ", std::strerror(errno)));
  grader::Sha256 h;
  std::string buf(1 << 16, '\0');
  while (true) {
    ssize_t got = read(fd, buf.data(), buf.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int err = errno;
      close(fd);
      return absl::InternalError(absl::StrCat(path, ": ", std::strerror(err)));
    }
    if (got == 0) break;
    h.Update(absl::string_view(buf.data(), static_cast<size_t>(got)));
  }
  close(fd);
  return h.FinalHex();
}

}  // namespace fathom::driver::run
