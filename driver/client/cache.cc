// The SQLite response cache (see cache.h for the schema and its guarantees).
#include "driver/client/cache.h"

#include <sqlite3.h>

#include <chrono>

#include "absl/strings/str_cat.h"

namespace fathom::driver::client {

namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', '1');
CREATE TABLE IF NOT EXISTS requests(
  id INTEGER PRIMARY KEY,
  hash INTEGER NOT NULL,
  endpoint TEXT NOT NULL,
  model TEXT NOT NULL,
  api TEXT NOT NULL,
  body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS requests_hash ON requests(hash);
CREATE TABLE IF NOT EXISTS responses(
  request_id INTEGER NOT NULL REFERENCES requests(id),
  sample INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  text TEXT NOT NULL,
  finish_reason TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  error TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (request_id, sample)) WITHOUT ROWID;
)sql";

// A transaction that rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {}
  ~Transaction() {
    if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  int Begin() {
    int rc = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    open_ = rc == SQLITE_OK;
    return rc;
  }
  int Commit() {
    int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) open_ = false;
    return rc;
  }

 private:
  sqlite3* db_;
  bool open_ = false;
};

void BindText(sqlite3_stmt* stmt, int index, std::string_view text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

std::string_view ColumnText(sqlite3_stmt* stmt, int column) {
  const unsigned char* p = sqlite3_column_text(stmt, column);
  if (p == nullptr) return {};
  return {reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt, column))};
}

std::optional<Outcome> ParseOutcome(std::string_view name) {
  if (name == "ok") return Outcome::kOk;
  if (name == "context_length") return Outcome::kContextLength;
  return std::nullopt;
}

// Resets a statement when the scope ends, whatever path it leaves by.
struct Reset {
  sqlite3_stmt* stmt;
  ~Reset() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};

}  // namespace

uint64_t CacheKeyHash(const CacheKey& key) {
  uint64_t h = 1469598103934665603ull;
  auto feed = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
    h ^= 0xff;  // a separator no UTF-8 text contains
    h *= 1099511628211ull;
  };
  feed(key.endpoint);
  feed(key.model);
  feed(ApiName(key.api));
  feed(key.body);
  return h;
}

absl::StatusOr<std::unique_ptr<Cache>> Cache::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return absl::UnavailableError(absl::StrCat("cache ", path, ": ", message));
  }
  std::unique_ptr<Cache> cache(new Cache(path, db));
  sqlite3_busy_timeout(db, 30000);
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"}) {
    if (sqlite3_exec(db, pragma, nullptr, nullptr, nullptr) != SQLITE_OK) {
      return cache->Error(pragma);
    }
  }
  if (sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return cache->Error("creating the schema");
  }
  if (absl::Status s = cache->Prepare(); !s.ok()) return s;
  return cache;
}

Cache::Cache(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

Cache::~Cache() {
  for (sqlite3_stmt* s : {find_request_, insert_request_, select_samples_, upsert_sample_}) {
    sqlite3_finalize(s);
  }
  sqlite3_close(db_);
}

absl::Status Cache::Error(std::string_view what) const {
  return absl::InternalError(absl::StrCat("cache ", path_, ": ", std::string(what), ": ", sqlite3_errmsg(db_)));
}

absl::Status Cache::Prepare() {
  struct {
    sqlite3_stmt** stmt;
    const char* sql;
  } statements[] = {
      {&find_request_,
       "SELECT id FROM requests WHERE hash = ?1 AND endpoint = ?2 AND model = ?3 AND api = ?4 "
       "AND body = ?5 ORDER BY id LIMIT 1"},
      {&insert_request_,
       "INSERT INTO requests(hash, endpoint, model, api, body) VALUES (?1, ?2, ?3, ?4, ?5)"},
      {&select_samples_,
       "SELECT sample, outcome, text, finish_reason, prompt_tokens, completion_tokens, error "
       "FROM responses WHERE request_id = ?1 AND sample < ?2 ORDER BY sample"},
      {&upsert_sample_,
       "INSERT OR REPLACE INTO responses(request_id, sample, outcome, text, finish_reason, "
       "prompt_tokens, completion_tokens, error, created_ms) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"},
  };
  for (auto& s : statements) {
    if (sqlite3_prepare_v3(db_, s.sql, -1, SQLITE_PREPARE_PERSISTENT, s.stmt, nullptr) !=
        SQLITE_OK) {
      return Error("preparing a statement");
    }
  }
  return absl::OkStatus();
}

// REQUIRES: mu_ held.
absl::StatusOr<std::optional<int64_t>> Cache::FindRequest(const CacheKey& key, uint64_t hash) {
  Reset reset{find_request_};
  sqlite3_bind_int64(find_request_, 1, static_cast<int64_t>(hash));
  BindText(find_request_, 2, key.endpoint);
  BindText(find_request_, 3, key.model);
  BindText(find_request_, 4, ApiName(key.api));
  BindText(find_request_, 5, key.body);
  int rc = sqlite3_step(find_request_);
  if (rc == SQLITE_ROW) return std::optional<int64_t>(sqlite3_column_int64(find_request_, 0));
  if (rc == SQLITE_DONE) return std::optional<int64_t>();
  return Error("looking up a request");
}

absl::StatusOr<std::vector<CachedSample>> Cache::Lookup(const CacheKey& key, int n) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<std::optional<int64_t>> id = FindRequest(key, CacheKeyHash(key));
  if (!id.ok()) return id.status();
  std::vector<CachedSample> out;
  if (!id->has_value()) return out;
  Reset reset{select_samples_};
  sqlite3_bind_int64(select_samples_, 1, **id);
  sqlite3_bind_int(select_samples_, 2, n);
  int rc;
  while ((rc = sqlite3_step(select_samples_)) == SQLITE_ROW) {
    std::optional<Outcome> outcome = ParseOutcome(ColumnText(select_samples_, 1));
    if (!outcome) continue;  // written by a newer version: ask again
    CachedSample c;
    c.sample = sqlite3_column_int(select_samples_, 0);
    c.value.outcome = *outcome;
    c.value.text = ColumnText(select_samples_, 2);
    c.value.finish_reason = ColumnText(select_samples_, 3);
    c.value.prompt_tokens = sqlite3_column_int64(select_samples_, 4);
    c.value.completion_tokens = sqlite3_column_int64(select_samples_, 5);
    c.value.error = ColumnText(select_samples_, 6);
    c.value.cache_hit = true;
    out.push_back(std::move(c));
  }
  if (rc != SQLITE_DONE) return Error("reading samples");
  return out;
}

absl::Status Cache::Put(const std::vector<Entry>& entries) {
  if (entries.empty()) return absl::OkStatus();
  std::lock_guard<std::mutex> lock(mu_);
  Transaction txn(db_);
  if (txn.Begin() != SQLITE_OK) return Error("beginning a write");
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const CacheKey* last_key = nullptr;
  int64_t request_id = 0;
  for (const Entry& e : entries) {
    if (e.key != last_key) {
      uint64_t hash = CacheKeyHash(*e.key);
      absl::StatusOr<std::optional<int64_t>> id = FindRequest(*e.key, hash);
      if (!id.ok()) return id.status();
      if (id->has_value()) {
        request_id = **id;
      } else {
        Reset reset{insert_request_};
        sqlite3_bind_int64(insert_request_, 1, static_cast<int64_t>(hash));
        BindText(insert_request_, 2, e.key->endpoint);
        BindText(insert_request_, 3, e.key->model);
        BindText(insert_request_, 4, ApiName(e.key->api));
        BindText(insert_request_, 5, e.key->body);
        if (sqlite3_step(insert_request_) != SQLITE_DONE) return Error("storing a request");
        request_id = sqlite3_last_insert_rowid(db_);
      }
      last_key = e.key;
    }
    Reset reset{upsert_sample_};
    sqlite3_bind_int64(upsert_sample_, 1, request_id);
    sqlite3_bind_int(upsert_sample_, 2, e.sample);
    BindText(upsert_sample_, 3, OutcomeName(e.value->outcome));
    BindText(upsert_sample_, 4, e.value->text);
    BindText(upsert_sample_, 5, e.value->finish_reason);
    sqlite3_bind_int64(upsert_sample_, 6, e.value->prompt_tokens);
    sqlite3_bind_int64(upsert_sample_, 7, e.value->completion_tokens);
    BindText(upsert_sample_, 8, e.value->error);
    sqlite3_bind_int64(upsert_sample_, 9, now_ms);
    if (sqlite3_step(upsert_sample_) != SQLITE_DONE) return Error("storing a sample");
  }
  if (txn.Commit() != SQLITE_OK) return Error("committing");
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Cache::CountSamples() {
  std::lock_guard<std::mutex> lock(mu_);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT count(*) FROM responses", -1, &stmt, nullptr) != SQLITE_OK) {
    return Error("counting");
  }
  int64_t count = -1;
  if (sqlite3_step(stmt) == SQLITE_ROW) count = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  if (count < 0) return Error("counting");
  return count;
}

}  // namespace fathom::driver::client
