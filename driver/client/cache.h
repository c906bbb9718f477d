// The response cache: every answered sample in a SQLite database, written as it arrives,
// keyed by (endpoint, model, API, request body without n, sample index). It is the unit of
// resume: a rerun after kill -9 finds every committed answer and sends nothing for it.
//
// Schema (version 1):
//   meta(key TEXT PRIMARY KEY, value TEXT)            -- "schema" = "1"
//   requests(id INTEGER PRIMARY KEY, hash INTEGER, endpoint TEXT, model TEXT, api TEXT,
//            body TEXT)                               -- one row per distinct request
//   responses(request_id INTEGER, sample INTEGER, outcome TEXT, text TEXT,
//             finish_reason TEXT, prompt_tokens INTEGER, completion_tokens INTEGER,
//             error TEXT, created_ms INTEGER, PRIMARY KEY (request_id, sample))
// `hash` is a 64-bit FNV-1a of the key fields, indexed; lookups compare the full text, so a
// collision costs a comparison, never a wrong answer. Only kOk and kContextLength samples
// are stored (both are answers the server would give again); failures are not.
//
// Durability: WAL mode with synchronous=NORMAL: a committed write survives kill -9 of the
// process (it is in the WAL, which the next open replays); a power loss may lose the last
// commits. The API key is not part of any key or value.
//
// Thread safety: every method may be called from any thread (one connection behind a
// mutex). Several processes may share the file (WAL, busy timeout, BEGIN IMMEDIATE).
#ifndef FATHOM_DRIVER_CLIENT_CACHE_H_
#define FATHOM_DRIVER_CLIENT_CACHE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "driver/client/request.h"

struct sqlite3;
struct sqlite3_stmt;

namespace fathom::driver::client {

// What identifies a request in the cache.
struct CacheKey {
  std::string endpoint;  // normalised: no trailing '/'
  std::string model;
  Api api = Api::kChat;
  std::string body;      // KeyBody()
};

struct CachedSample {
  int sample = 0;
  Sample value;  // outcome, text, finish_reason, tokens, error; cache_hit set
};

class Cache {
 public:
  // Opens or creates the database at `path` (its directory must exist).
  static absl::StatusOr<std::unique_ptr<Cache>> Open(const std::string& path);
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // The stored samples of `key` with index < n, in index order.
  absl::StatusOr<std::vector<CachedSample>> Lookup(const CacheKey& key, int n);

  // One write: samples of one request. Put() stores them, replacing what was there.
  struct Entry {
    const CacheKey* key;
    int sample;
    const Sample* value;
  };
  // Stores every entry in one transaction (committed before returning).
  absl::Status Put(const std::vector<Entry>& entries);

  // How many samples are stored (all keys).
  absl::StatusOr<int64_t> CountSamples();

  const std::string& path() const { return path_; }

 private:
  Cache(std::string path, sqlite3* db);
  absl::Status Prepare();
  absl::StatusOr<std::optional<int64_t>> FindRequest(const CacheKey& key, uint64_t hash);
  absl::Status Error(std::string_view what) const;

  std::string path_;
  std::mutex mu_;
  sqlite3* db_;                          // GUARDED_BY(mu_)
  sqlite3_stmt* find_request_ = nullptr;
  sqlite3_stmt* insert_request_ = nullptr;
  sqlite3_stmt* select_samples_ = nullptr;
  sqlite3_stmt* upsert_sample_ = nullptr;
};

uint64_t CacheKeyHash(const CacheKey& key);

}  // namespace fathom::driver::client

#endif  // FATHOM_DRIVER_CLIENT_CACHE_H_
