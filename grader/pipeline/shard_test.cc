// The shard hash against Python's hashlib (the README's one-liner), and --shard parsing
// with fake Slurm and Kubernetes environments.
#include "grader/pipeline/shard.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

using ::testing::HasSubstr;

// Values from: int.from_bytes(hashlib.sha256(k.encode()).digest()[:8], "big")
TEST(ShardHashTest, MatchesPythonsHashlib) {
  EXPECT_EQ(ShardHash("HumanEval/0"), 0xde004141fa5f04d8ULL);
  EXPECT_EQ(ShardHash("HumanEval/1"), 0x2b625257b3a2242cULL);
  EXPECT_EQ(ShardHash("Mbpp/2"), 0xe7c3bcb04b1a84a9ULL);
  EXPECT_EQ(ShardHash("11"), 0x4fc82b26aecb47d2ULL);
  EXPECT_EQ(ShardHash(""), 0xe3b0c44298fc1c14ULL);
  EXPECT_EQ(ShardHash("\xc3\xa9"), 0x4a99557e4033c353ULL);  // "é" in UTF-8
  EXPECT_EQ(ShardOf("Mbpp/2", 4), 1);
  EXPECT_EQ(ShardOf("11", 7), 1);
  EXPECT_EQ(ShardOf("\xc3\xa9", 4), 3);
}

TEST(ShardHashTest, EveryKeyInExactlyOneShard) {
  for (int n : {1, 2, 3, 4, 16}) {
    for (int t = 0; t < 200; ++t) {
      const std::string key = "HumanEval/" + std::to_string(t);
      int owners = 0;
      for (int i = 0; i < n; ++i) owners += ShardSpec{i, n}.Contains(key) ? 1 : 0;
      EXPECT_EQ(owners, 1) << key << " of " << n;
    }
  }
  EXPECT_TRUE(ShardSpec{}.Contains("anything"));
  EXPECT_EQ(ShardSpec{}.Text(), "");
  EXPECT_EQ((ShardSpec{2, 5}.Text()), "2/5");
}

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(ParseShardTest, Explicit) {
  EXPECT_EQ(*ParseShard("0/4", Env({})), (ShardSpec{0, 4}));
  EXPECT_EQ(*ParseShard("3/4", Env({})), (ShardSpec{3, 4}));
  EXPECT_EQ(*ParseShard("0/1", Env({})), (ShardSpec{0, 1}));
  for (const char* bad : {"4/4", "1/0", "-1/4", "a/4", "1", "", "1/4/2", "2/100001", "auto/0",
                          "automatic", "auto4"}) {
    EXPECT_FALSE(ParseShard(bad, Env({})).ok()) << bad;
  }
  EXPECT_THAT(ParseShard("4/4", Env({})).status().message(), HasSubstr("numbered from 0"));
}

TEST(ParseShardTest, SlurmArrayFromOne) {
  // sbatch --array=1-4: ids 1..4, min 1.
  auto env = Env({{"SLURM_ARRAY_TASK_ID", "3"}, {"SLURM_ARRAY_TASK_COUNT", "4"},
                  {"SLURM_ARRAY_TASK_MIN", "1"}, {"SLURM_ARRAY_TASK_MAX", "4"}});
  EXPECT_EQ(*ParseShard("auto", env), (ShardSpec{2, 4}));
  EXPECT_EQ(*ParseShard("auto/4", env), (ShardSpec{2, 4}));
  EXPECT_THAT(ParseShard("auto/8", env).status().message(), HasSubstr("has 4 tasks"));
}

TEST(ParseShardTest, SlurmArrayWithStep) {
  // --array=0-6:2: ids 0, 2, 4, 6.
  auto env = Env({{"SLURM_ARRAY_TASK_ID", "4"}, {"SLURM_ARRAY_TASK_COUNT", "4"},
                  {"SLURM_ARRAY_TASK_MIN", "0"}, {"SLURM_ARRAY_TASK_MAX", "6"},
                  {"SLURM_ARRAY_TASK_STEP", "2"}});
  EXPECT_EQ(*ParseShard("auto", env), (ShardSpec{2, 4}));
}

TEST(ParseShardTest, SlurmListIsRefused) {
  // --array=1,5,6: not a range, so positions are not ids.
  auto env = Env({{"SLURM_ARRAY_TASK_ID", "5"}, {"SLURM_ARRAY_TASK_COUNT", "3"},
                  {"SLURM_ARRAY_TASK_MIN", "1"}, {"SLURM_ARRAY_TASK_MAX", "6"}});
  EXPECT_THAT(ParseShard("auto", env).status().message(), HasSubstr("not a range"));
  auto no_count = Env({{"SLURM_ARRAY_TASK_ID", "0"}});
  EXPECT_THAT(ParseShard("auto", no_count).status().message(),
              HasSubstr("SLURM_ARRAY_TASK_COUNT is not"));
}

TEST(ParseShardTest, KubernetesIndexedJob) {
  EXPECT_EQ(*ParseShard("auto/5", Env({{"JOB_COMPLETION_INDEX", "4"}})), (ShardSpec{4, 5}));
  EXPECT_EQ(*ParseShard("auto", Env({{"JOB_COMPLETION_INDEX", "1"}, {"FATHOM_SHARD_COUNT", "3"}})),
            (ShardSpec{1, 3}));
  EXPECT_THAT(ParseShard("auto", Env({{"JOB_COMPLETION_INDEX", "1"}})).status().message(),
              HasSubstr("FATHOM_SHARD_COUNT"));
  EXPECT_THAT(ParseShard("auto/2", Env({{"JOB_COMPLETION_INDEX", "2"}})).status().message(),
              HasSubstr("not below"));
  EXPECT_THAT(
      ParseShard("auto/4", Env({{"JOB_COMPLETION_INDEX", "1"}, {"FATHOM_SHARD_COUNT", "3"}}))
          .status()
          .message(),
      HasSubstr("FATHOM_SHARD_COUNT says 3"));
}

TEST(ParseShardTest, AutoOutsideAScheduler) {
  EXPECT_THAT(ParseShard("auto", Env({})).status().message(), HasSubstr("give --shard i/N"));
}

}  // namespace
}  // namespace fathom::grader
