// Shard keys and the --shard syntax (see shard.h).
#include "grader/pipeline/shard.h"

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "grader/formats/sha256.h"

namespace fathom::grader {
namespace {

// A non-negative integer, or InvalidArgument naming `what`.
absl::StatusOr<int64_t> NonNegative(absl::string_view text, absl::string_view what) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(text, &v) || v < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected a non-negative integer, got '", text, "'"));
  }
  return v;
}

absl::Status CheckCount(int64_t count, absl::string_view what) {
  if (count < 1 || count > kMaxShards) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": the shard count must be 1 to ", kMaxShards, ", got ", count));
  }
  return absl::OkStatus();
}

// The shard of a Slurm array task; `count_given` (auto/N) is 0 when not given.
absl::StatusOr<ShardSpec> FromSlurm(const EnvLookup& env, int64_t count_given) {
  auto var = [&](const char* name, int64_t fallback, bool required) -> absl::StatusOr<int64_t> {
    const char* v = env(name);
    if (v == nullptr || *v == '\0') {
      if (required) {
        return absl::InvalidArgumentError(
            absl::StrCat("--shard auto: SLURM_ARRAY_TASK_ID is set but ", name, " is not"));
      }
      return fallback;
    }
    return NonNegative(v, absl::StrCat("--shard auto: ", name));
  };
  absl::StatusOr<int64_t> id = var("SLURM_ARRAY_TASK_ID", 0, true);
  absl::StatusOr<int64_t> count = var("SLURM_ARRAY_TASK_COUNT", 0, true);
  absl::StatusOr<int64_t> min = var("SLURM_ARRAY_TASK_MIN", 0, false);
  absl::StatusOr<int64_t> step = var("SLURM_ARRAY_TASK_STEP", 1, false);
  absl::StatusOr<int64_t> max = var("SLURM_ARRAY_TASK_MAX", -1, false);
  for (const auto* s : {&id, &count, &min, &step, &max}) {
    if (!s->ok()) return s->status();
  }
  if (absl::Status s = CheckCount(*count, "--shard auto: SLURM_ARRAY_TASK_COUNT"); !s.ok()) {
    return s;
  }
  if (*step < 1) *step = 1;
  // Shards are numbered by position in the array, so the array must be an arithmetic
  // range: --array=1-8 or 0-30:2, not a list like 1,5,6.
  if (*id < *min || (*id - *min) % *step != 0 ||
      (*max >= 0 && *max != *min + (*count - 1) * *step)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--shard auto: the Slurm array is not a range MIN-MAX[:STEP] (task ", *id, ", min ",
        *min, ", max ", *max, ", step ", *step, ", count ", *count,
        "); submit with --array=0-", *count - 1, " or give --shard i/N"));
  }
  ShardSpec spec{(*id - *min) / *step, *count};
  if (spec.index >= spec.count) {
    return absl::InvalidArgumentError(
        absl::StrCat("--shard auto: Slurm array task ", *id, " is past the array's ",
                     *count, " tasks"));
  }
  if (count_given > 0 && count_given != spec.count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--shard auto/", count_given, ": the Slurm array has ", spec.count,
        " tasks (SLURM_ARRAY_TASK_COUNT)"));
  }
  return spec;
}

// The shard of a Kubernetes Indexed Job's pod.
absl::StatusOr<ShardSpec> FromIndexedJob(const EnvLookup& env, int64_t count_given) {
  absl::StatusOr<int64_t> index =
      NonNegative(env("JOB_COMPLETION_INDEX"), "--shard auto: JOB_COMPLETION_INDEX");
  if (!index.ok()) return index.status();
  int64_t count = count_given;
  if (const char* c = env("FATHOM_SHARD_COUNT"); c != nullptr && *c != '\0') {
    absl::StatusOr<int64_t> from_env = NonNegative(c, "--shard auto: FATHOM_SHARD_COUNT");
    if (!from_env.ok()) return from_env.status();
    if (count_given > 0 && *from_env != count_given) {
      return absl::InvalidArgumentError(absl::StrCat("--shard auto/", count_given,
                                                     ": FATHOM_SHARD_COUNT says ", *from_env));
    }
    count = *from_env;
  }
  if (count == 0) {
    return absl::InvalidArgumentError(
        "--shard auto: JOB_COMPLETION_INDEX is set but not the count: give --shard auto/N "
        "(N = the Job's completions) or set FATHOM_SHARD_COUNT");
  }
  if (absl::Status s = CheckCount(count, "--shard auto"); !s.ok()) return s;
  if (*index >= count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--shard auto: JOB_COMPLETION_INDEX ", *index, " is not below the count ", count));
  }
  return ShardSpec{*index, count};
}

}  // namespace

bool ShardSpec::Contains(absl::string_view key) const {
  return !sharded() || ShardOf(key, count) == index;
}

std::string ShardSpec::Text() const {
  return sharded() ? absl::StrCat(index, "/", count) : "";
}

uint64_t ShardHash(absl::string_view key) {
  const std::string hex = Sha256Hex(key);
  uint64_t v = 0;
  // 16 hex digits are the first 8 bytes, most significant first.
  (void)absl::SimpleHexAtoi(absl::string_view(hex).substr(0, 16), &v);
  return v;
}

int64_t ShardOf(absl::string_view key, int64_t count) {
  return static_cast<int64_t>(ShardHash(key) % static_cast<uint64_t>(count));
}

absl::StatusOr<ShardSpec> ParseShard(absl::string_view text, const EnvLookup& env) {
  absl::string_view rest = text;
  if (absl::ConsumePrefix(&rest, "auto")) {
    int64_t count_given = 0;
    if (!rest.empty()) {
      if (!absl::ConsumePrefix(&rest, "/")) {
        return absl::InvalidArgumentError(
            absl::StrCat("--shard: expected i/N, auto or auto/N, got '", text, "'"));
      }
      absl::StatusOr<int64_t> n = NonNegative(rest, "--shard auto/N");
      if (!n.ok()) return n.status();
      if (absl::Status s = CheckCount(*n, "--shard auto/N"); !s.ok()) return s;
      count_given = *n;
    }
    if (const char* id = env("SLURM_ARRAY_TASK_ID"); id != nullptr && *id != '\0') {
      return FromSlurm(env, count_given);
    }
    if (const char* ix = env("JOB_COMPLETION_INDEX"); ix != nullptr && *ix != '\0') {
      return FromIndexedJob(env, count_given);
    }
    return absl::InvalidArgumentError(
        "--shard auto: not in a Slurm array task (SLURM_ARRAY_TASK_ID) nor a Kubernetes "
        "Indexed Job (JOB_COMPLETION_INDEX); give --shard i/N");
  }
  const size_t slash = text.find('/');
  if (slash == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--shard: expected i/N, auto or auto/N, got '", text, "'"));
  }
  absl::StatusOr<int64_t> index = NonNegative(text.substr(0, slash), "--shard i/N: i");
  if (!index.ok()) return index.status();
  absl::StatusOr<int64_t> count = NonNegative(text.substr(slash + 1), "--shard i/N: N");
  if (!count.ok()) return count.status();
  if (absl::Status s = CheckCount(*count, "--shard i/N"); !s.ok()) return s;
  if (*index >= *count) {
    return absl::InvalidArgumentError(absl::StrCat("--shard ", text, ": i must be below N (",
                                                   "shards are numbered from 0)"));
  }
  return ShardSpec{*index, *count};
}

absl::StatusOr<ShardSpec> ParseShard(absl::string_view text) {
  return ParseShard(text, [](const char* name) { return std::getenv(name); });
}

}  // namespace fathom::grader
