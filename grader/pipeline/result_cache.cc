// Program keys and the on-disk verdict cache.
#include "grader/pipeline/result_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "grader/formats/sha256.h"

namespace fathom::grader {

namespace fs = std::filesystem;

std::string LimitsText(const sandbox::Limits& l) {
  return absl::StrCat("cpu_time_ms=", l.cpu_time_ms, ",wall_time_ms=", l.EffectiveWallTimeMs(),
                      ",memory_bytes=", l.memory_bytes, ",max_output_bytes=",
                      l.max_output_bytes, ",max_processes=", l.max_processes,
                      ",max_file_bytes=", l.max_file_bytes, ",max_open_files=",
                      l.max_open_files, ",tmpfs_bytes=", l.tmpfs_bytes,
                      ",stack_bytes=", l.stack_bytes);
}

std::string ProgramKey(absl::string_view runtime_fingerprint, const sandbox::Limits& limits,
                       absl::string_view program_text) {
  Sha256 h;
  h.UpdateField("fathom-program-key-v1");
  h.UpdateField(runtime_fingerprint);
  h.UpdateField(LimitsText(limits));
  h.UpdateField(program_text);
  return h.FinalHex();
}

absl::StatusOr<DiskCache> DiskCache::Open(const std::string& dir) {
  if (dir.empty()) return absl::InvalidArgumentError("empty directory name");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, ": cannot create directory: ", ec.message()));
  }
  return DiskCache(dir);
}

std::string DiskCache::PathFor(const std::string& key) const {
  return absl::StrCat(dir_, "/", key.substr(0, 2), "/", key, ".json");
}

std::optional<Verdict> DiskCache::Lookup(const std::string& key) const {
  std::ifstream in(PathFor(key), std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  // Compared as JSON: value() with a string default throws on a mistyped `key`, and a
  // damaged entry is a miss, never a crash (fuzz/result_cache_fuzz.cc).
  if (j.is_discarded() || !j.is_object() || j.value("key", nlohmann::json("")) != key) {
    return std::nullopt;
  }
  auto v = j.find("verdict");
  if (v == j.end()) return std::nullopt;
  absl::StatusOr<Verdict> verdict = VerdictFromJson(*v);
  if (!verdict.ok()) return std::nullopt;
  verdict->cache_hit = true;
  return *verdict;
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& data) {
  static std::atomic<uint64_t> counter{0};
  std::string tmp = absl::StrCat(path, ".tmp.", getpid(), ".", counter++);
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat(tmp, ": ", std::strerror(errno)));
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      close(fd);
      unlink(tmp.c_str());
      return absl::InternalError(absl::StrCat(tmp, ": ", std::strerror(err)));
    }
    done += n;
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat(path, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

absl::Status DiskCache::Store(const std::string& key, const Verdict& v) const {
  if (v.status == SampleStatus::kSandboxError) return absl::OkStatus();
  std::string final_path = PathFor(key);
  std::error_code ec;
  fs::create_directories(fs::path(final_path).parent_path(), ec);
  return WriteFileAtomically(
      final_path, nlohmann::json{{"key", key}, {"verdict", VerdictToJson(v)}}.dump(
                      -1, ' ', false, nlohmann::json::error_handler_t::replace) +
                      "\n");
}

}  // namespace fathom::grader
