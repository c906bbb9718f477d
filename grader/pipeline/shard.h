// Shards of a batch run: which part of one grading or eval run a job does, so that N
// jobs (a Slurm array, a Kubernetes Indexed Job, a CI matrix) split the work and
// `fathom merge` puts it back together.
//
// Work is split by task, never inside one: every sample of a task lands in the same shard,
// so a shard's pass@k inputs (per task n and c) are whole and merging only adds them up.
// The shard of a key is a stable hash, the same on every machine, compiler and version:
//
//   shard(key, N) = int.from_bytes(sha256(key.encode("utf-8")).digest()[:8], "big") % N
//
// (Python; the first 8 bytes of the SHA-256 of the key's UTF-8 bytes, read as a big-endian
// unsigned 64-bit integer, modulo N.) The key is the sample's task_id as text (an integer
// task_id, MBPP's, is its decimal digits); `fathom eval` uses the row's id (README).
//
// Pure functions; thread-safe.
#ifndef FATHOM_GRADER_PIPELINE_SHARD_H_
#define FATHOM_GRADER_PIPELINE_SHARD_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fathom::grader {

// One shard of `count`: index in [0, count). count 0 means "not sharded" (everything).
struct ShardSpec {
  int64_t index = 0;
  int64_t count = 0;

  bool sharded() const { return count > 0; }
  // Whether `key` belongs to this shard (always, when not sharded).
  bool Contains(absl::string_view key) const;
  // "i/N", or "" when not sharded.
  std::string Text() const;
  bool operator==(const ShardSpec&) const = default;
};

// The largest shard count accepted: far above any cluster's array size, small enough that
// a typo (an index given as the count) is caught.
inline constexpr int64_t kMaxShards = 100000;

// The first 8 bytes of SHA-256(key), big-endian.
uint64_t ShardHash(absl::string_view key);
// ShardHash(key) % count. REQUIRES: count >= 1.
int64_t ShardOf(absl::string_view key, int64_t count);

// Reads an environment variable; returns null when unset. Tests pass their own.
using EnvLookup = std::function<const char*(const char*)>;

// Parses --shard:
//   "i/N"     shard i of N (0 <= i < N <= kMaxShards);
//   "auto"    from the scheduler's environment: a Slurm array task
//             (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP of
//             SLURM_ARRAY_TASK_COUNT, else a Kubernetes Indexed Job's JOB_COMPLETION_INDEX
//             of FATHOM_SHARD_COUNT (Kubernetes does not tell a pod its Job's completions);
//   "auto/N"  the same, and N is the count: it must agree with SLURM_ARRAY_TASK_COUNT or
//             FATHOM_SHARD_COUNT when those are set (a job script and its array disagree).
// InvalidArgument says what is wrong and which variable held it.
absl::StatusOr<ShardSpec> ParseShard(absl::string_view text, const EnvLookup& env);
// ... with the process environment.
absl::StatusOr<ShardSpec> ParseShard(absl::string_view text);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_PIPELINE_SHARD_H_
