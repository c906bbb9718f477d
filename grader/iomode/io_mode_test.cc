// I/O mode logic without a sandbox: records, verdicts, limits, program text.
#include "grader/iomode/io_mode.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

constexpr char kNonce[] = "n0nce";

std::string Rec(const std::string& group, int index, char kind, const std::string& payload,
                int cpu_us = 5) {
  return absl::StrCat("\n#", kNonce, " ", group, " ", index, " ", std::string(1, kind), " ",
                      cpu_us, " ", payload.size(), "\n", payload);
}

Problem TwoInputProblem() {
  Problem p;
  p.task_id = "HumanEval/900";
  p.entry_point = "f";
  p.prompt = "def f(x):\n";
  p.base_inputs = {"[1]", "[2]"};
  p.plus_inputs = {"[3]"};
  p.has_inputs = true;
  return p;
}

IoOracle Expect(std::vector<PyValue> base, std::vector<PyValue> plus) {
  IoOracle o;
  o.usable = true;
  o.expected[kBase] = std::move(base);
  o.expected[kPlus] = std::move(plus);
  o.cpu_us[kBase] = std::vector<int64_t>(o.expected[kBase].size(), 100);
  o.cpu_us[kPlus] = std::vector<int64_t>(o.expected[kPlus].size(), 100);
  return o;
}

sandbox::RunResult Run(std::string stdout_data,
                       sandbox::RunStatus status = sandbox::RunStatus::kOk) {
  sandbox::RunResult r;
  r.status = status;
  r.exit_code = status == sandbox::RunStatus::kOk ? 0 : -1;
  r.stdout_data = std::move(stdout_data);
  return r;
}

std::string AllRecords(const std::string& b0, const std::string& b1, const std::string& p0) {
  return Rec("base", 0, 'V', b0) + Rec("base", 1, 'V', b1) + Rec("base", 0, 'D', "") +
         Rec("plus", 0, 'V', p0) + Rec("plus", 0, 'D', "") + Rec("-", 0, 'Z', "");
}

TEST(IoModeTest, ParsesRecordsAndKeepsTheFirstPerIndex) {
  std::string out = "noise #n0nce base 0 V 1 1\n" + Rec("base", 0, 'V', "i1;") +
                    Rec("base", 0, 'V', "i9;") + Rec("base", 1, 'E', "ValueError\nbad") +
                    Rec("base", 0, 'D', "") + Rec("-", 0, 'Z', "") +
                    "\n#n0nce base 2 V 1 999\ncut";
  IoRecords r = ParseIoRecords(out, kNonce);
  ASSERT_EQ(r.groups[kBase].size(), 2u);
  EXPECT_EQ(r.groups[kBase][0].second.payload, "i1;");
  EXPECT_EQ(r.groups[kBase][1].second.kind, 'E');
  EXPECT_TRUE(r.group_done[kBase]);
  EXPECT_FALSE(r.group_done[kPlus]);
  EXPECT_TRUE(r.all_done);
  EXPECT_TRUE(ParseIoRecords(out, "other").groups[kBase].empty());
}

Verdict Decide(const std::string& out, sandbox::RunStatus status = sandbox::RunStatus::kOk,
               bool details = false) {
  Problem p = TwoInputProblem();
  IoOracle o = Expect({PyValue::Int(1), PyValue::Int(2)}, {PyValue::Int(3)});
  IoSettings s;
  s.test_details = details;
  return DecideIoVerdict(Run(out, status), kNonce, p, o, s);
}

TEST(IoModeTest, AllRightIsAPass) {
  Verdict v = Decide(AllRecords("i1;", "f4000000000000000", "i3;"));  // 2.0 == 2
  EXPECT_TRUE(v.passed);
  EXPECT_EQ(v.status, SampleStatus::kPassed);
  EXPECT_EQ(v.result, "passed");
  EXPECT_TRUE(v.io);
  EXPECT_EQ(v.base_status, PhaseStatus::kPass);
  EXPECT_EQ(v.plus_status, PhaseStatus::kPass);
  EXPECT_TRUE(v.base_failed.empty());
}

TEST(IoModeTest, AWrongValueFailsItsGroupOnly) {
  Verdict v = Decide(AllRecords("i1;", "i5;", "i3;"));
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.status, SampleStatus::kFailed);
  EXPECT_EQ(v.result, "failed: base input 1: wrong output");
  EXPECT_EQ(v.base_status, PhaseStatus::kFail);
  EXPECT_EQ(v.plus_status, PhaseStatus::kPass);
  EXPECT_EQ(v.base_failed, std::vector<int64_t>{1});

  v = Decide(AllRecords("i1;", "i2;", "i4;"));
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.base_status, PhaseStatus::kPass);
  EXPECT_EQ(v.plus_status, PhaseStatus::kFail);
  EXPECT_EQ(v.result, "failed: plus input 0: wrong output");
}

TEST(IoModeTest, EveryFailingInputListedOnlyWithTestDetails) {
  std::string out = AllRecords("i7;", "i8;", "i3;");
  EXPECT_EQ(Decide(out).base_failed, std::vector<int64_t>{0});
  EXPECT_EQ(Decide(out, sandbox::RunStatus::kOk, true).base_failed,
            (std::vector<int64_t>{0, 1}));
}

TEST(IoModeTest, ExceptionsTimeoutsAndNonPlainValues) {
  std::string plus_ok = Rec("plus", 0, 'V', "i3;") + Rec("plus", 0, 'D', "") + Rec("-", 0, 'Z', "");
  Verdict v = Decide(Rec("base", 0, 'E', "ZeroDivisionError\ndivision by zero") +
                     Rec("base", 0, 'D', "") + plus_ok);
  EXPECT_EQ(v.status, SampleStatus::kError);
  EXPECT_EQ(v.result, "failed: base input 0: ZeroDivisionError: division by zero");
  EXPECT_EQ(v.base_status, PhaseStatus::kFail);
  EXPECT_EQ(v.plus_status, PhaseStatus::kPass);

  v = Decide(Rec("base", 0, 'E', "MemoryError\n") + Rec("base", 0, 'D', "") + plus_ok);
  EXPECT_EQ(v.status, SampleStatus::kMemoryLimit);

  v = Decide(Rec("base", 0, 'V', "i1;") + Rec("base", 1, 'T', "") + Rec("base", 0, 'D', "") +
             plus_ok);
  EXPECT_EQ(v.status, SampleStatus::kTimeout);
  EXPECT_EQ(v.result, "timed out");
  EXPECT_EQ(v.base_status, PhaseStatus::kFail);  // EvalPlus: an input's limit is a fail
  EXPECT_EQ(v.base_failed, std::vector<int64_t>{1});

  v = Decide(Rec("base", 0, 'U', "returned a Liar, which is not plain data") +
             Rec("base", 0, 'D', "") + plus_ok);
  EXPECT_EQ(v.status, SampleStatus::kFailed);
  EXPECT_EQ(v.result, "failed: base input 0: returned a Liar, which is not plain data");

  v = Decide(AllRecords("i1;", "T", "i3;"));  // True != 2
  EXPECT_EQ(v.status, SampleStatus::kFailed);
  v = Decide(AllRecords("i1;", "garbage", "i3;"));
  EXPECT_EQ(v.result, "failed: base input 1: returned a value that could not be read");
}

TEST(IoModeTest, ARunThatEndsEarlyIsNeverAPass) {
  // os._exit(0) inside the function: no records at all, exit status 0.
  Verdict v = Decide("");
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.status, SampleStatus::kError);
  EXPECT_EQ(v.result, "failed: the program exited (status 0) before every input ran");
  EXPECT_EQ(v.base_status, PhaseStatus::kFail);
  EXPECT_EQ(v.plus_status, PhaseStatus::kFail);

  // A group marked done without its records (a forged "D") is not complete.
  v = Decide(Rec("base", 0, 'D', "") + Rec("plus", 0, 'D', "") + Rec("-", 0, 'Z', ""));
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.base_status, PhaseStatus::kFail);

  // The run's CPU limit ended the plus group: base passed, plus timed out.
  v = Decide(Rec("base", 0, 'V', "i1;") + Rec("base", 1, 'V', "i2;") + Rec("base", 0, 'D', ""),
             sandbox::RunStatus::kCpuTimeout);
  EXPECT_EQ(v.status, SampleStatus::kTimeout);
  EXPECT_EQ(v.base_status, PhaseStatus::kPass);
  EXPECT_EQ(v.plus_status, PhaseStatus::kTimeout);

  // Everything answered, but the run was then killed by the output cap.
  v = Decide(AllRecords("i1;", "i2;", "i3;"), sandbox::RunStatus::kOutputLimit);
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.status, SampleStatus::kOutputLimit);

  // The memory limit ended it in base.
  v = Decide(Rec("base", 0, 'V', "i1;"), sandbox::RunStatus::kMemoryLimit);
  EXPECT_EQ(v.status, SampleStatus::kMemoryLimit);
  EXPECT_EQ(v.result, "failed: memory limit reached before every input ran");
}

TEST(IoModeTest, AnAnswerOverItsInputsLimitIsATimeout) {
  // The limit of every input here is 1 s (canonical 100 us x 4, floor 1 s); the right
  // answer to base input 1 came after 3 s of CPU (the program ignored the timer).
  Verdict v = Decide(Rec("base", 0, 'V', "i1;") + Rec("base", 1, 'V', "i2;", 3000000) +
                     Rec("base", 0, 'D', "") + Rec("plus", 0, 'V', "i3;") +
                     Rec("plus", 0, 'D', "") + Rec("-", 0, 'Z', ""));
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.status, SampleStatus::kTimeout);
  EXPECT_EQ(v.base_status, PhaseStatus::kFail);
  EXPECT_EQ(v.base_failed, std::vector<int64_t>{1});
  EXPECT_EQ(v.plus_status, PhaseStatus::kPass);
}

TEST(IoModeTest, ASetupFailureFailsBothGroups) {
  Verdict v = Decide(Rec("-", 0, 'X', "SyntaxError\ninvalid syntax (<string>, line 1)"));
  EXPECT_EQ(v.status, SampleStatus::kError);
  EXPECT_EQ(v.result, "failed: invalid syntax (<string>, line 1)");
  EXPECT_EQ(v.base_status, PhaseStatus::kFail);
  EXPECT_EQ(v.plus_status, PhaseStatus::kFail);
}

TEST(IoModeTest, SandboxErrorsStaySandboxErrors) {
  Problem p = TwoInputProblem();
  IoOracle o = Expect({PyValue::Int(1), PyValue::Int(2)}, {PyValue::Int(3)});
  Verdict v = DecideIoVerdict(absl::InternalError("clone failed"), kNonce, p, o, IoSettings{});
  EXPECT_EQ(v.status, SampleStatus::kSandboxError);
  EXPECT_FALSE(v.passed);
}

TEST(IoModeTest, LimitsFollowEvalPlusRuleInCpuTime) {
  IoOracle o = Expect({PyValue::Int(1), PyValue::Int(2)}, {PyValue::Int(3)});
  o.cpu_us[kBase] = {100, 500000};
  o.cpu_us[kPlus] = {2000000};
  IoSettings s;
  EXPECT_EQ(IoInputLimitsMs(o, kBase, s), (std::vector<int64_t>{1000, 2001}));
  EXPECT_EQ(IoInputLimitsMs(o, kPlus, s), (std::vector<int64_t>{8001}));
  sandbox::Limits l = IoRunLimits(o, s, sandbox::Limits{}, /*fixed_cpu=*/false);
  EXPECT_EQ(l.cpu_time_ms, 2000 + 3001 + 8001);
  s.group_cap_ms = 5000;
  EXPECT_EQ(IoRunLimits(o, s, sandbox::Limits{}, false).cpu_time_ms, 2000 + 3001 + 5000);
  sandbox::Limits fixed;
  fixed.cpu_time_ms = 700;
  EXPECT_EQ(IoRunLimits(o, s, fixed, /*fixed_cpu=*/true).cpu_time_ms, 700);
  EXPECT_GE(l.max_output_bytes, sandbox::Limits::kDefaultMaxOutputBytes);
}

TEST(IoModeTest, ProgramsAreDeterministicAndCarryTheInputsVerbatim) {
  Problem p = TwoInputProblem();
  p.plus_inputs = {"[99999999999999999999999]", "[-Infinity]"};
  IoOracle o = Expect({PyValue::Int(1), PyValue::Int(2)}, {PyValue::Int(3), PyValue::Int(4)});
  std::string a = IoProgram(p, "def f(x): return x", &o, IoSettings{});
  EXPECT_EQ(a, IoProgram(p, "def f(x): return x", &o, IoSettings{}));
  EXPECT_NE(a.find("[[99999999999999999999999],[-Infinity]]"), std::string::npos);
  EXPECT_NE(a, IoProgram(p, "def f(x): return x", nullptr, IoSettings{}));  // reference
  Problem m = p;
  m.format = ProblemFormat::kMbppPlus;
  m.task_id = "Mbpp/2";
  EXPECT_NE(IoProgram(m, "", &o, IoSettings{}).find("each_arg_tuple"), std::string::npos);
  EXPECT_EQ(IoSolutionCode(p, "    return x", false), "def f(x):\n    return x");
  EXPECT_EQ(IoSolutionCode(p, "def f(x): return x", true), "def f(x): return x");
}

TEST(IoModeTest, ModeSelection) {
  Problem p = TwoInputProblem();
  EXPECT_TRUE(UsesIoMode(GradeMode::kAuto, p));
  EXPECT_TRUE(UsesIoMode(GradeMode::kIo, p));
  EXPECT_FALSE(UsesIoMode(GradeMode::kAssert, p));
  p.has_inputs = false;
  EXPECT_FALSE(UsesIoMode(GradeMode::kAuto, p));
  EXPECT_FALSE(ParseGradeMode("fast").ok());
  EXPECT_EQ(*ParseGradeMode("io"), GradeMode::kIo);
}

}  // namespace
}  // namespace fathom::grader
