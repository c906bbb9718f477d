// The per-sample core: program text, one decided run, and the dedup table.
#include "grader/pipeline/sample_grader.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grader/pipeline/program.h"
#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Problem HumanEvalProblem() {
  Problem p;
  p.format = ProblemFormat::kHumanEval;
  p.prompt = "def f():\n";
  p.test = "def check(c):\n    assert c() == 1";
  p.entry_point = "f";
  return p;
}

TEST(SampleProgramTest, IsTheHarnessAroundTheExtractedAssertProgram) {
  const Problem p = HumanEvalProblem();
  EXPECT_EQ(SampleProgram(p, "    return 1", false, ExtractMode::kNone, {}),
            WrapInHarness("def f():\n    return 1\ndef check(c):\n    assert c() == 1\ncheck(f)"));
  EXPECT_EQ(SampleProgram(p, "text\n```python\ndef f(): return 1\n```\nmore", true,
                          ExtractMode::kFenced, {}),
            WrapInHarness("def f(): return 1\n\ndef check(c):\n    assert c() == 1\ncheck(f)"));
}

// The runtime's `verdict.require_silence` reaches the sample (and its key); a HumanEval-X
// JavaScript row adds both streams; the harness rule takes none.
TEST(MakeGradedSampleTest, CarriesTheRuntimesSilenceIntoVerdictAndKey) {
  Problem multipl_e;
  multipl_e.format = ProblemFormat::kHumanEval;
  multipl_e.prompt = "#lang racket\n(define (f) ";
  multipl_e.test = "(require rackunit)\n(check-equal? (f) 1)";
  const SampleCode code{.code = "1)"};
  const sandbox::Limits limits;
  constexpr RequireSilence kStderr{.on_stderr = true};
  const GradedSample loud = MakeGradedSample(multipl_e, code, AssertMode{}, "fp", limits,
                                             VerdictRule::kExitStatus);
  const GradedSample quiet = MakeGradedSample(multipl_e, code, AssertMode{}, "fp", limits,
                                              VerdictRule::kExitStatus, kStderr);
  EXPECT_EQ(loud.silence, RequireSilence{});
  EXPECT_EQ(quiet.silence, kStderr);
  EXPECT_EQ(quiet.program, loud.program);
  EXPECT_NE(quiet.key, loud.key);  // the same program decided by another rule

  Problem js = multipl_e;
  js.format = ProblemFormat::kHumanEvalX;
  js.task_id = "JavaScript/0";
  const GradedSample row = MakeGradedSample(js, code, AssertMode{}, "fp", limits,
                                            VerdictRule::kExitStatus, kStderr);
  EXPECT_EQ(row.silence, (RequireSilence{.on_stdout = true, .on_stderr = true}));
  EXPECT_NE(row.key, quiet.key);

  const GradedSample harness = MakeGradedSample(HumanEvalProblem(), code, AssertMode{}, "fp",
                                                limits, VerdictRule::kHarness, kStderr);
  EXPECT_EQ(harness.silence, RequireSilence{});
}

// Runs nothing; answers every run with `result` (an exit-status runtime's run).
class FixedRunner final : public sandbox::Runner {
 public:
  absl::StatusOr<sandbox::RunResult> Run(const sandbox::RunSpec&) override { return result; }
  sandbox::LayerSet active_layers() const override { return {}; }
  sandbox::RunResult result;
};

// rackunit's failed check: exit 0 and a report on stderr, failed under the silence rule.
TEST(RunAndDecideSampleTest, SilenceRuleDecidesAnExitZeroRunThatWroteToStderr) {
  FixedRunner runner;
  runner.result.status = sandbox::RunStatus::kOk;
  runner.result.stderr_data = "FAILURE\n";
  GradedSample sample;
  sample.rule = VerdictRule::kExitStatus;
  Verdict v = RunAndDecideSample(runner, sandbox::RunSpec{}, sample);
  EXPECT_EQ(v.status, SampleStatus::kPassed);
  sample.silence = RequireSilence{.on_stderr = true};
  v = RunAndDecideSample(runner, sandbox::RunSpec{}, sample);
  EXPECT_EQ(v.status, SampleStatus::kFailed);
  EXPECT_EQ(v.result, "failed: FAILURE\n");
}

// Answers with the record the harness would write for `outcome`, using the nonce it was
// given on stdin; or fails as a runner when `fail` is set.
class RecordRunner final : public sandbox::Runner {
 public:
  absl::StatusOr<sandbox::RunResult> Run(const sandbox::RunSpec& spec) override {
    last_stdin = spec.stdin_data;
    if (fail) return absl::CancelledError("run cancelled");
    sandbox::RunResult r;
    r.status = sandbox::RunStatus::kOk;
    r.exit_code = 0;
    r.cpu_ms = 12;
    r.stdout_data = absl::StrCat("\nFATHOM-", spec.stdin_data.substr(0, 32), " ", outcome, "\n");
    return r;
  }
  sandbox::LayerSet active_layers() const override { return {}; }
  std::string outcome = R"({"outcome":"passed"})";
  bool fail = false;
  std::string last_stdin;
};

TEST(RunAndDecideTest, FreshNonceOnStdinAndTheRecordDecides) {
  RecordRunner runner;
  sandbox::RunSpec spec;
  spec.stdin_data = "ignored";
  Verdict v = RunAndDecide(runner, spec);
  EXPECT_EQ(v.status, SampleStatus::kPassed);
  EXPECT_TRUE(v.passed);
  EXPECT_EQ(v.cpu_ms, 12);
  ASSERT_EQ(runner.last_stdin.size(), 33u);
  const std::string first_nonce = runner.last_stdin;
  RunAndDecide(runner, spec);
  EXPECT_NE(runner.last_stdin, first_nonce);

  runner.outcome =
      R"({"outcome":"exception","type":"AssertionError","message":"x","assertion":true,"memory":false})";
  v = RunAndDecide(runner, spec);
  EXPECT_EQ(v.status, SampleStatus::kFailed);
  EXPECT_EQ(v.result, "failed: x");

  runner.fail = true;
  v = RunAndDecide(runner, spec);
  EXPECT_EQ(v.status, SampleStatus::kSandboxError);
  EXPECT_EQ(v.result, "failed: sandbox error: run cancelled");
}

Verdict MakeVerdict(SampleStatus status, const std::string& result) {
  Verdict v;
  v.status = status;
  v.passed = status == SampleStatus::kPassed;
  v.result = result;
  return v;
}

TEST(DedupTableTest, FirstRunsOthersWaitThenShare) {
  DedupTable<int> table;
  Verdict v;
  EXPECT_EQ(table.ClaimKey("k", 0, &v), DedupTable<int>::Claim::kRun);
  EXPECT_EQ(table.ClaimKey("k", 1, &v), DedupTable<int>::Claim::kWait);
  EXPECT_EQ(table.ClaimKey("k", 2, &v), DedupTable<int>::Claim::kWait);
  EXPECT_EQ(table.ClaimKey("other", 3, &v), DedupTable<int>::Claim::kRun);
  EXPECT_THAT(table.Finish("k", MakeVerdict(SampleStatus::kPassed, "passed")), ElementsAre(1, 2));
  EXPECT_EQ(table.ClaimKey("k", 4, &v), DedupTable<int>::Claim::kDone);
  EXPECT_EQ(v.status, SampleStatus::kPassed);
  EXPECT_TRUE(v.cache_hit);
}

TEST(DedupTableTest, SandboxErrorIsForgottenSoTheNextDuplicateRunsAgain) {
  DedupTable<int> table;
  Verdict v;
  ASSERT_EQ(table.ClaimKey("k", 0, &v), DedupTable<int>::Claim::kRun);
  ASSERT_EQ(table.ClaimKey("k", 1, &v), DedupTable<int>::Claim::kWait);
  EXPECT_THAT(table.Finish("k", MakeVerdict(SampleStatus::kSandboxError, "failed: sandbox error")),
              ElementsAre(1));
  EXPECT_EQ(table.ClaimKey("k", 2, &v), DedupTable<int>::Claim::kRun);
}

TEST(DedupTableTest, SeedKeepsTheFirstKnownVerdictAndIgnoresSandboxErrors) {
  DedupTable<int> table;
  Verdict v;
  table.Seed("bad", MakeVerdict(SampleStatus::kSandboxError, "failed: sandbox error"));
  EXPECT_EQ(table.ClaimKey("bad", 0, &v), DedupTable<int>::Claim::kRun);
  Verdict hit = MakeVerdict(SampleStatus::kFailed, "failed: a");
  hit.cache_hit = true;
  table.Seed("k", hit);
  table.Seed("k", MakeVerdict(SampleStatus::kPassed, "passed"));
  EXPECT_EQ(table.ClaimKey("k", 1, &v), DedupTable<int>::Claim::kDone);
  EXPECT_EQ(v.result, "failed: a");
  EXPECT_THAT(table.Finish("unknown", hit), IsEmpty());
}

// Keys are held as 32 bytes: a ProgramKey's hex decoded, any other key hashed. Keys that
// differ stay apart, however they are written.
TEST(DedupTableTest, KeysStayDistinctWhateverTheirForm) {
  DedupTable<int> table;
  Verdict v;
  const std::string hex(64, 'a');
  std::string upper(64, 'A');
  std::string other = hex;
  other[63] = 'b';
  for (const std::string& key : {hex, upper, other, hex.substr(1), std::string(32, '\xaa')}) {
    EXPECT_EQ(table.ClaimKey(key, 0, &v), DedupTable<int>::Claim::kRun) << key;
    table.Finish(key, MakeVerdict(SampleStatus::kPassed, key));
  }
  for (const std::string& key : {hex, upper, other, hex.substr(1), std::string(32, '\xaa')}) {
    ASSERT_EQ(table.ClaimKey(key, 1, &v), DedupTable<int>::Claim::kDone) << key;
    EXPECT_EQ(v.result, key);
  }
}

TEST(DedupTableTest, FinishedVerdictsAreBoundedOldestFirst) {
  // Room for about two verdicts: the third finished key evicts the first.
  DedupTable<int> table(2 * (1 + 6 + 160) + 10);
  Verdict v;
  for (const char* key : {"a", "b", "c"}) {
    ASSERT_EQ(table.ClaimKey(key, 0, &v), DedupTable<int>::Claim::kRun);
    table.Finish(key, MakeVerdict(SampleStatus::kPassed, "passed"));
  }
  EXPECT_LE(table.done_bytes(), 2 * (1 + 6 + 160) + 10);
  EXPECT_EQ(table.ClaimKey("c", 1, &v), DedupTable<int>::Claim::kDone);
  EXPECT_EQ(table.ClaimKey("b", 1, &v), DedupTable<int>::Claim::kDone);
  EXPECT_EQ(table.ClaimKey("a", 1, &v), DedupTable<int>::Claim::kRun);  // evicted: runs again
  // A key in progress is never evicted: its waiter still gets the verdict.
  ASSERT_EQ(table.ClaimKey("a", 2, &v), DedupTable<int>::Claim::kWait);
  for (const char* key : {"d", "e", "f"}) {
    ASSERT_EQ(table.ClaimKey(key, 0, &v), DedupTable<int>::Claim::kRun);
    table.Finish(key, MakeVerdict(SampleStatus::kFailed, "failed"));
  }
  EXPECT_THAT(table.Finish("a", MakeVerdict(SampleStatus::kPassed, "passed")), ElementsAre(2));
}

}  // namespace
}  // namespace fathom::grader
