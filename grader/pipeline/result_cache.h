// The content-addressed verdict cache kept across runs (--cache DIR): one small JSON file
// per program key, DIR/<first 2 hex>/<key>.json, written atomically (temp file + rename)
// so concurrent graders and crashes never leave a half-written entry behind.
//
// Key: SHA-256 over the runtime fingerprint (runtime name, interpreter, flags, interpreter
// version, policy hash), the limits and the full program text (harness included). The
// nonce is not part of the program text, so identical samples share a key.
//
// Thread safety: Lookup and Store may be called concurrently (the filesystem arbitrates).
#ifndef FATHOM_GRADER_PIPELINE_RESULT_CACHE_H_
#define FATHOM_GRADER_PIPELINE_RESULT_CACHE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grader/pipeline/verdict.h"
#include "sandbox/run_spec.h"

namespace fathom::grader {

// The cache/dedup key of a program.
std::string ProgramKey(absl::string_view runtime_fingerprint, const sandbox::Limits& limits,
                       absl::string_view program_text);

// Canonical text of every limit (part of keys and fingerprints).
std::string LimitsText(const sandbox::Limits& limits);

// Writes `data` to `path` through a temp file in the same directory and rename(), so
// readers see the old file or the new one, never a part. Internal names the file.
absl::Status WriteFileAtomically(const std::string& path, const std::string& data);

class DiskCache {
 public:
  // Creates DIR if needed. InvalidArgument / Internal name the directory.
  static absl::StatusOr<DiskCache> Open(const std::string& dir);

  // The cached verdict (cache_hit set), or nullopt on a miss or an unreadable entry.
  std::optional<Verdict> Lookup(const std::string& key) const;
  // Stores `v` under `key` (sandbox errors are never stored: they are not the program's).
  absl::Status Store(const std::string& key, const Verdict& v) const;
  const std::string& dir() const { return dir_; }

 private:
  explicit DiskCache(std::string dir) : dir_(std::move(dir)) {}
  std::string PathFor(const std::string& key) const;
  std::string dir_;
};

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_RESULT_CACHE_H_
