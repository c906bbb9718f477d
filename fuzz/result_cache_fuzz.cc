// Fuzzes the verdict cache's reader (grader/result_cache.cc DiskCache::Lookup, and
// VerdictFromJson in verdict.cc): entries live in a directory any run may share, so one
// may be damaged. Invariants: a damaged entry is a miss, never a crash; a hit is marked
// as one, and storing it again under another key reads back the same verdict.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz/fuzz_util.h"
#include "grader/pipeline/result_cache.h"

namespace {

// Keys are 64 hex digits; the entry lives in DIR/<first two>/<key>.json.
const std::string kKey(64, 'a');
const std::string kOtherKey(64, 'b');

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fathom::fuzz::TempDir* dir = new fathom::fuzz::TempDir;
  static fathom::grader::DiskCache* cache = [] {
    absl::StatusOr<fathom::grader::DiskCache> c = fathom::grader::DiskCache::Open(dir->path());
    FUZZ_CHECK(c.ok());
    std::filesystem::create_directories(dir->path() + "/aa");
    return new fathom::grader::DiskCache(*std::move(c));
  }();
  std::ofstream(dir->path() + "/aa/" + kKey + ".json", std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));

  std::optional<fathom::grader::Verdict> hit = cache->Lookup(kKey);
  if (!hit) return 0;
  FUZZ_CHECK(hit->cache_hit);
  if (hit->status == fathom::grader::SampleStatus::kSandboxError) return 0;  // never stored
  FUZZ_CHECK(cache->Store(kOtherKey, *hit).ok());
  std::optional<fathom::grader::Verdict> again = cache->Lookup(kOtherKey);
  FUZZ_CHECK(again && *again == *hit);
  return 0;
}
