// fathom merge's library half on hand-written shards: the order of the merged lines,
// pass@k from the merged (n, c), the sidecar round trip and its errors, and every refusal
// (fingerprints, missing and duplicated tasks, a file and its sidecar that disagree);
// EvalPlus files; IndexedLines.
#include "grader/pipeline/merge.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grader/formats/indexed_lines.h"
#include "grader/pipeline/test_util.h"
#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class MergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTestDir("merge_test");
    std::string text;
    for (int i = 0; i < 4; ++i) {
      text += nlohmann::json({{"task_id", absl::StrCat("t/", i)},
                              {"prompt", "def f():\n"},
                              {"canonical_solution", "    return 1\n"},
                              {"test", "def check(c):\n    assert c() == 1\n"},
                              {"entry_point", "f"}})
                  .dump() +
              "\n";
    }
    Write("problems.jsonl", text);
    absl::StatusOr<ProblemSet> p = LoadProblems(Path("problems.jsonl"));
    ASSERT_TRUE(p.ok()) << p.status();
    problems_ = *std::move(p);
    // The whole run: 6 samples, t/0 t/1 t/0 t/2 t/3 t/1; shard A holds t/0 and t/2 (samples
    // 0, 2, 3), shard B t/1 and t/3 (1, 4, 5).
    const char* tasks[] = {"t/0", "t/1", "t/0", "t/2", "t/3", "t/1"};
    const bool passed[] = {true, false, false, true, true, true};
    for (int i = 0; i < 6; ++i) {
      lines_.push_back(nlohmann::ordered_json({{"task_id", tasks[i]},
                                               {"completion", absl::StrCat("c", i)},
                                               {"result", passed[i] ? "passed" : "failed: "},
                                               {"passed", passed[i]},
                                               {"status", passed[i] ? "passed" : "failed"},
                                               {"cpu_ms", 5}})
                           .dump());
    }
    a_ = WriteShard("a/r.jsonl", {0, 2, 3}, {{0, 1}, {2, 2}}, {{"t/0", 2}, {"t/2", 1}}, 0);
    b_ = WriteShard("b/r.jsonl", {1, 4, 5}, {{1, 1}, {4, 2}}, {{"t/1", 2}, {"t/3", 1}}, 1);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  void Write(const std::string& name, const std::string& text) {
    fs::create_directories((dir_ / name).parent_path());
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  ResultsSidecar Sidecar(int shard) {
    ResultsSidecar s;
    s.fingerprint = {{"fathom_version", "0.1.0"}, {"problems_sha256", problems_.content_sha256},
                     {"limits", "cpu_time_ms=3000"}, {"time_limits", "auto"}};
    s.shard = ShardSpec{shard, 2};
    s.file_samples = 6;
    s.file_tasks = {{"t/0", 2}, {"t/1", 2}, {"t/2", 1}, {"t/3", 1}};
    s.ks = {1};
    s.elapsed_s = 2 + shard;
    s.ran = 3;
    return s;
  }
  std::string WriteShard(const std::string& name, const std::vector<int>& samples,
                         std::vector<std::pair<int64_t, int64_t>> runs,
                         std::vector<std::pair<std::string, int64_t>> tasks, int shard) {
    std::string text;
    for (int i : samples) text += lines_[i] + "\n";
    Write(name, text);
    ResultsSidecar s = Sidecar(shard);
    s.index_runs = std::move(runs);
    s.result_tasks = std::move(tasks);
    EXPECT_TRUE(WriteSidecar(Path(name), s).ok());
    return Path(name);
  }
  absl::StatusOr<MergeOutcome> Merge(std::vector<std::string> inputs, bool mismatch = false,
                                     bool incomplete = false) {
    MergeOptions o;
    o.inputs = std::move(inputs);
    o.out_path = Path("merged/r.jsonl");
    o.allow_mismatch = mismatch;
    o.allow_incomplete = incomplete;
    return MergeResultsFiles(problems_, o);
  }

  fs::path dir_;
  ProblemSet problems_;
  std::vector<std::string> lines_;
  std::string a_, b_;
};

TEST_F(MergeTest, LinesInSampleOrderAndPassAtKFromTheMergedCounts) {
  absl::StatusOr<MergeOutcome> m = Merge({b_, a_});  // the order given does not matter
  ASSERT_TRUE(m.ok()) << m.status();
  std::string whole;
  for (const std::string& l : lines_) whole += l + "\n";
  EXPECT_EQ(Read(Path("merged/r.jsonl")), whole);
  const GradeReport& r = m->report;
  EXPECT_EQ(r.samples, 6);
  ASSERT_EQ(r.tasks.size(), 4u);
  EXPECT_EQ(r.tasks[0].first, "t/0");
  EXPECT_EQ(r.tasks[0].second.n, 2);
  EXPECT_EQ(r.tasks[0].second.c, 1);
  // pass@1: (1/2 + 1/2 + 1 + 1) / 4.
  ASSERT_EQ(r.pass_at_k.size(), 1u);
  EXPECT_DOUBLE_EQ(r.pass_at_k[0].second, 0.75);
  EXPECT_EQ(r.status_counts[static_cast<size_t>(SampleStatus::kPassed)], 4);
  EXPECT_EQ(r.status_counts[static_cast<size_t>(SampleStatus::kFailed)], 2);
  EXPECT_EQ(r.elapsed_s, 3);  // the slowest shard
  EXPECT_EQ(r.ran, 6);
  absl::StatusOr<ResultsSidecar> s = ReadSidecar(Path("merged/r.jsonl"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->shard.sharded());
  EXPECT_EQ(s->index_runs, (std::vector<std::pair<int64_t, int64_t>>{{0, 6}}));
  EXPECT_EQ(s->merged_from.size(), 2u);
  EXPECT_EQ(s->fingerprint, Sidecar(0).fingerprint);
}

TEST_F(MergeTest, DifferingFingerprintsAreRefusedUnlessAllowed) {
  ResultsSidecar s = *ReadSidecar(b_);
  s.fingerprint[2].second = "cpu_time_ms=1000";
  ASSERT_TRUE(WriteSidecar(b_, s).ok());
  absl::StatusOr<MergeOutcome> m = Merge({a_, b_});
  ASSERT_TRUE(absl::IsFailedPrecondition(m.status())) << m.status();
  EXPECT_THAT(m.status().message(), HasSubstr("limits: 'cpu_time_ms=3000'"));
  EXPECT_FALSE(fs::exists(Path("merged/r.jsonl")));
  m = Merge({a_, b_}, /*mismatch=*/true);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->sidecar.mismatched.size(), 1u);
}

TEST_F(MergeTest, TimeLimitsOfAShardThatCalibratedNothingAgree) {
  EXPECT_TRUE(FingerprintValuesAgree("time_limits", "auto", "auto abc"));
  EXPECT_TRUE(FingerprintValuesAgree("time_limits", "auto abc", "auto"));
  EXPECT_FALSE(FingerprintValuesAgree("time_limits", "auto abc", "auto def"));
  EXPECT_FALSE(FingerprintValuesAgree("time_limits", "fixed 3000 ms", "auto"));
  EXPECT_FALSE(FingerprintValuesAgree("limits", "auto", "auto abc"));
}

TEST_F(MergeTest, MissingAndDuplicatedTasksAreNamed) {
  absl::StatusOr<MergeOutcome> m = Merge({a_});
  ASSERT_TRUE(absl::IsFailedPrecondition(m.status())) << m.status();
  EXPECT_THAT(m.status().message(), HasSubstr("missing shards: 1/2"));
  EXPECT_THAT(m.status().message(), HasSubstr("missing tasks (2): t/1, t/3"));
  m = Merge({a_}, false, /*incomplete=*/true);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->report.tasks.size(), 2u);
  EXPECT_EQ(m->missing_tasks, (std::vector<std::string>{"t/1", "t/3"}));

  fs::create_directories(Path("copy"));
  fs::copy_file(a_, Path("copy/r.jsonl"));
  fs::copy_file(a_ + ".fathom.json", Path("copy/r.jsonl.fathom.json"));
  m = Merge({a_, b_, Path("copy/r.jsonl")});
  ASSERT_TRUE(absl::IsFailedPrecondition(m.status())) << m.status();
  EXPECT_THAT(m.status().message(), HasSubstr("duplicated tasks (2): t/0 (in "));
  m = Merge({a_, b_, Path("copy/r.jsonl")}, false, true);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->report.samples, 6);
}

TEST_F(MergeTest, AFileThatDisagreesWithItsSidecarIsAnError) {
  std::string text = Read(b_);
  Write("b/r.jsonl", text.substr(0, text.rfind('\n', text.size() - 2) + 1));  // one line less
  absl::StatusOr<MergeOutcome> m = Merge({a_, b_});
  ASSERT_TRUE(absl::IsInvalidArgument(m.status())) << m.status();
  EXPECT_THAT(m.status().message(), HasSubstr(b_));
  // A line of an unknown task names the file and line.
  const std::string unknown = "{\"task_id\": \"t/9\", \"passed\": true}\n";
  Write("b/r.jsonl", unknown + unknown + unknown);
  m = Merge({a_, b_});
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("is not in"));
}

TEST_F(MergeTest, FilesWithoutSidecarsNeedAllowMismatchAndAreConcatenated) {
  fs::remove(b_ + ".fathom.json");
  absl::StatusOr<MergeOutcome> m = Merge({a_, b_});
  ASSERT_TRUE(absl::IsFailedPrecondition(m.status())) << m.status();
  EXPECT_THAT(m.status().message(), HasSubstr("no sidecar"));
  m = Merge({a_, b_}, /*mismatch=*/true);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_FALSE(m->have_info);
  EXPECT_EQ(Read(Path("merged/r.jsonl")), Read(a_) + Read(b_));
  EXPECT_EQ(m->report.samples, 6);
}

TEST_F(MergeTest, SidecarRoundTripAndFieldErrors) {
  ResultsSidecar s = Sidecar(1);
  s.index_runs = {{3, 2}};
  s.result_tasks = {{"t/2", 2}};
  s.format = "evalplus";
  s.extract = ExtractMode::kStop;
  s.stops = {"\nclass"};
  s.info.time_limit.automatic = true;
  s.info.time_limit.fallback_tasks = {"t/1"};
  s.info.layers = {"user_ns", "seccomp"};
  ASSERT_TRUE(WriteSidecar(Path("x.jsonl"), s).ok());
  absl::StatusOr<ResultsSidecar> back = ReadSidecar(Path("x.jsonl"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->fingerprint, s.fingerprint);
  EXPECT_EQ(back->shard, s.shard);
  EXPECT_EQ(back->index_runs, s.index_runs);
  EXPECT_EQ(back->file_tasks, s.file_tasks);
  EXPECT_EQ(back->stops, s.stops);
  EXPECT_EQ(back->extract, ExtractMode::kStop);
  EXPECT_EQ(back->info.time_limit.fallback_tasks, s.info.time_limit.fallback_tasks);
  EXPECT_EQ(back->info.layers, s.info.layers);

  nlohmann::json j = nlohmann::json::parse(Read(Path("x.jsonl.fathom.json")));
  j["summary"]["limits"]["memory_bytes"] = "lots";
  Write("x.jsonl.fathom.json", j.dump());
  EXPECT_THAT(ReadSidecar(Path("x.jsonl")).status().message(),
              HasSubstr("x.jsonl.fathom.json: summary.limits.memory_bytes: wrong type"));
  j["results"]["indices"] = {{5, 1}, {2, 1}};
  Write("x.jsonl.fathom.json", j.dump());
  EXPECT_THAT(ReadSidecar(Path("x.jsonl")).status().message(),
              HasSubstr("results.indices[1]: expected [first, count], ascending"));
  Write("x.jsonl.fathom.json", "{");
  EXPECT_TRUE(absl::IsInvalidArgument(ReadSidecar(Path("x.jsonl")).status()));
  EXPECT_TRUE(absl::IsNotFound(ReadSidecar(Path("none.jsonl")).status()));
}

TEST_F(MergeTest, EvalPlusFilesMergeInProblemOrder) {
  auto entry = [](const std::string& task, const std::string& base, const std::string& plus) {
    return absl::StrCat("{\"task_id\": \"", task, "\", \"solution\": \"x\", \"base_status\": \"",
                        base, "\", \"plus_status\": \"", plus,
                        "\", \"base_fail_tests\": [], \"plus_fail_tests\": [[Infinity]]}");
  };
  Write("e1.eval_results.json",
        absl::StrCat("{\"date\": \"d\", \"hash\": \"h\", \"eval\": {\"t/2\": [",
                     entry("t/2", "pass", "fail"), "]}, \"pass_at_k\": {}}\n"));
  Write("e2.eval_results.json",
        absl::StrCat("{\"date\": \"d\", \"hash\": \"h\", \"eval\": {\"t/0\": [",
                     entry("t/0", "pass", "pass"), ", ", entry("t/0", "fail", "fail"),
                     "]}, \"pass_at_k\": {}}\n"));
  MergeOptions o;
  o.inputs = {Path("e1.eval_results.json"), Path("e2.eval_results.json")};
  o.out_path = Path("m.eval_results.json");
  o.ks = {1};
  absl::StatusOr<MergeOutcome> m = MergeEvalPlusFiles(problems_, o);
  ASSERT_TRUE(m.ok()) << m.status();
  const std::string text = Read(o.out_path);
  EXPECT_LT(text.find("\"t/0\": ["), text.find("\"t/2\": ["));
  EXPECT_THAT(text, HasSubstr("[[Infinity]]"));  // inputs kept as written
  ASSERT_EQ(m->evalplus.base.size(), 1u);
  EXPECT_DOUBLE_EQ(m->evalplus.base[0].second, 0.75);  // (1/2 + 1) / 2
  EXPECT_DOUBLE_EQ(m->evalplus.plus[0].second, 0.25);  // (1/2 + 0) / 2
  o.inputs.push_back(Path("e1.eval_results.json"));
  m = MergeEvalPlusFiles(problems_, o);
  ASSERT_TRUE(absl::IsFailedPrecondition(m.status()));
  EXPECT_THAT(m.status().message(), HasSubstr("duplicated tasks (1): t/2"));
}

TEST_F(MergeTest, IndexedLinesInterleaveByNumber) {
  Write("x", "x1\nx4\nx5\n");
  Write("y", "y0\n\ny2\ny3\n");  // a blank line has no number
  IndexRuns xr = {{1, 1}, {4, 2}}, yr = {{0, 1}, {2, 2}};
  IndexedLines lines;
  ASSERT_TRUE(lines.Add(Path("x"), &xr).ok());
  ASSERT_TRUE(lines.Add(Path("y"), &yr).ok());
  std::string order;
  IndexedLines::Line line;
  while (*lines.Next(&line)) order += line.text + " ";
  EXPECT_EQ(order, "y0 x1 y2 y3 x4 x5 ");
  IndexRuns too_many = {{0, 4}};
  IndexedLines bad;
  ASSERT_TRUE(bad.Add(Path("x"), &too_many).ok());
  absl::StatusOr<bool> next;
  while ((next = bad.Next(&line)).ok() && *next) {
  }
  EXPECT_THAT(next.status().message(), HasSubstr("fewer lines"));
}

}  // namespace
}  // namespace fathom::grader
