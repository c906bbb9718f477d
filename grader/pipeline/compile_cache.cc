// Compile outcomes in memory (bounded, single-flight) and on disk.
#include "grader/pipeline/compile_cache.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "grader/formats/sha256.h"
#include "grader/pipeline/result_cache.h"
#include "nlohmann/json.hpp"

namespace fathom::grader {
namespace {

namespace fs = std::filesystem;

int64_t Cost(const std::string& key, const CompileOutcome& o) {
  return static_cast<int64_t>(key.size() + o.error.size() + o.diagnostics.size() + 128 +
                              (o.artefact != nullptr ? o.artefact->bytes.size() : 0));
}

}  // namespace

absl::StatusOr<std::shared_ptr<CompileCache>> CompileCache::Open(const std::string& dir,
                                                                int64_t memory_bytes) {
  std::string own;
  if (!dir.empty()) {
    own = (fs::path(dir) / "compile").string();
    std::error_code ec;
    fs::create_directories(own, ec);
    if (ec) return absl::InternalError(absl::StrCat(own, ": cannot create: ", ec.message()));
  }
  return std::shared_ptr<CompileCache>(new CompileCache(std::move(own), memory_bytes));
}

std::string CompileCache::Key(absl::string_view fingerprint, const CompileStep& step) {
  Sha256 h;
  h.UpdateField("fathom-compile-v1");
  h.UpdateField(fingerprint);
  h.UpdateField(LimitsText(step.spec.limits));
  h.UpdateField(step.source);
  // The argv and the file names tell a compile with the precompiled header from one
  // without (whose contents the fingerprint covers).
  for (const std::string& arg : step.spec.argv) h.UpdateField(arg);
  for (const sandbox::File& f : step.spec.files) h.UpdateField(f.name);
  return h.FinalHex();
}

std::string CompileCache::PathFor(const std::string& key, absl::string_view suffix) const {
  return absl::StrCat(dir_, "/", key.substr(0, 2), "/", key, suffix);
}

bool CompileCache::ReadDisk(const std::string& key, CompileOutcome* out) const {
  if (dir_.empty()) return false;
  auto slurp = [](const std::string& path, std::string* bytes) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream ss;
    ss << in.rdbuf();
    *bytes = ss.str();
    return static_cast<bool>(in) || in.eof();
  };
  std::string bytes;
  if (slurp(PathFor(key, ".bin"), &bytes) && !bytes.empty()) {
    out->artefact = std::make_shared<const Artefact>(Artefact{std::move(bytes)});
    return true;
  }
  if (!slurp(PathFor(key, ".err"), &bytes)) return false;
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_string() ||
      !j.contains("diagnostics") || !j["diagnostics"].is_string()) {
    return false;
  }
  out->error = j["error"].get<std::string>();
  out->diagnostics = j["diagnostics"].get<std::string>();
  return !out->error.empty();
}

void CompileCache::WriteDisk(const std::string& key, const CompileOutcome& outcome) const {
  if (dir_.empty()) return;
  std::error_code ec;
  fs::create_directories(fs::path(PathFor(key, "")).parent_path(), ec);
  // A failed write only costs a compile next time: the cache is an optimisation.
  if (outcome.ok()) {
    (void)WriteFileAtomically(PathFor(key, ".bin"), outcome.artefact->bytes);
  } else {
    nlohmann::json j{{"error", outcome.error}, {"diagnostics", outcome.diagnostics}};
    (void)WriteFileAtomically(PathFor(key, ".err"), j.dump());
  }
}

void CompileCache::RememberLocked(const std::string& key, Entry& e, CompileOutcome outcome) {
  outcome.cache_hit = false;
  e.done = true;
  e.outcome = std::move(outcome);
  lru_.push_front(key);
  e.lru = lru_.begin();
  held_bytes_ += Cost(key, e.outcome);
  // Evict the least recently used finished entries (never the one just added).
  while (held_bytes_ > memory_bytes_ && lru_.size() > 1) {
    const std::string victim = lru_.back();
    lru_.pop_back();
    auto it = entries_.find(victim);
    held_bytes_ -= Cost(victim, it->second.outcome);
    entries_.erase(it);
  }
}

absl::StatusOr<CompileOutcome> CompileCache::Compile(
    sandbox::Runner& runner, absl::string_view fingerprint, CompileStep step,
    std::shared_ptr<sandbox::CancelToken> cancel) {
  const std::string key = Key(fingerprint, step);
  {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      auto [it, inserted] = entries_.try_emplace(key);
      if (inserted) break;  // ours to compile
      if (it->second.done) {
        lru_.splice(lru_.begin(), lru_, it->second.lru);
        ++stats_.memory_hits;
        CompileOutcome hit = it->second.outcome;
        hit.cache_hit = true;
        hit.cpu_ms = hit.wall_ms = 0;
        return hit;
      }
      // In progress elsewhere: wait. If that compile fails without an outcome (a
      // sandbox error), its entry goes and this loop claims the key itself.
      done_cv_.wait(lock);
    }
  }
  CompileOutcome outcome;
  bool from_disk = ReadDisk(key, &outcome);
  absl::Status error;
  if (!from_disk) {
    absl::StatusOr<CompileOutcome> built = CompileProgram(runner, std::move(step), cancel);
    if (built.ok()) {
      outcome = *std::move(built);
      WriteDisk(key, outcome);
    } else {
      error = built.status();
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (!error.ok()) {
    entries_.erase(it);
    done_cv_.notify_all();
    return error;
  }
  if (from_disk) {
    ++stats_.disk_hits;
  } else {
    ++stats_.compiles;
    stats_.compile_cpu_ms += outcome.cpu_ms;
  }
  CompileOutcome result = outcome;
  result.cache_hit = from_disk;
  RememberLocked(key, it->second, std::move(outcome));
  done_cv_.notify_all();
  return result;
}

CompileCacheStats CompileCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace fathom::grader
