// I/O mode logic without a sandbox: records, verdicts, limits, program text.
#include "grader/iomode/io_mode.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "grader/iomode/evalplus_oracle.h"
#include "grader/pipeline/program.h"
#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

constexpr char kNonce[] = "n0nce";
constexpr int64_t kCap = int64_t{1} << 20;  // the runs' output cap

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

IoOracle Expect(const std::vector<PyValue>& base, const std::vector<PyValue>& plus,
                std::vector<int64_t> base_cpu_us = {}, std::vector<int64_t> plus_cpu_us = {}) {
  if (base_cpu_us.empty()) base_cpu_us.assign(base.size(), 100);
  if (plus_cpu_us.empty()) plus_cpu_us.assign(plus.size(), 100);
  return IoOracleFromValues(TwoInputProblem(), base, plus, base_cpu_us, plus_cpu_us);
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
  return DecideIoVerdict(Run(out, status), kNonce, p, o, s, kCap);
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
  Verdict v =
      DecideIoVerdict(absl::InternalError("clone failed"), kNonce, p, o, IoSettings{}, kCap);
  EXPECT_EQ(v.status, SampleStatus::kSandboxError);
  EXPECT_FALSE(v.passed);
}

TEST(IoModeTest, LimitsFollowEvalPlusRuleInCpuTime) {
  IoOracle o = Expect({PyValue::Int(1), PyValue::Int(2)}, {PyValue::Int(3)}, {100, 500000},
                      {2000000});
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

// A 'W' payload for `v`, as io_harness.py sends an answer over its digest threshold.
std::string DigestOf(const PyValue& v, int64_t wire_bytes = -1) {
  const std::string wire = EncodePyValue(v);
  absl::StatusOr<std::optional<std::string>> d = EqualityDigest(wire);
  EXPECT_TRUE(d.ok());
  return absl::StrCat(d.ok() && d->has_value() ? **d : "-", " ",
                      wire_bytes >= 0 ? wire_bytes : static_cast<int64_t>(wire.size()), " ",
                      IsFloats(v) ? "F" : "-");
}

std::string Records(const std::vector<std::string>& base, const std::string& plus) {
  std::string out;
  for (size_t i = 0; i < base.size(); ++i) out += base[i];
  return out + Rec("base", 0, 'D', "") + plus + Rec("plus", 0, 'D', "") + Rec("-", 0, 'Z', "");
}

TEST(IoModeTest, DigestedAnswersCompareByEqualityDigest) {
  const std::string plus = Rec("plus", 0, 'V', "i3;");
  // 2.0 sent as a digest equals the expected 2.
  Verdict v = Decide(Records({Rec("base", 0, 'V', "i1;"),
                              Rec("base", 1, 'W', DigestOf(PyValue::Float(2.0)))}, plus));
  EXPECT_TRUE(v.passed) << v.result;
  v = Decide(Records({Rec("base", 0, 'W', DigestOf(PyValue::Int(5))),
                      Rec("base", 1, 'V', "i2;")}, plus));
  EXPECT_EQ(v.result, "failed: base input 0: wrong output");
  for (const std::string& bad : {std::string("zz 3 -"), std::string(64, 'a') + " 3",
                                 std::string(64, 'A') + " 3 -", std::string(64, 'a') + " x -",
                                 std::string("- 3 Q")}) {
    v = Decide(Records({Rec("base", 0, 'W', bad), Rec("base", 1, 'V', "i2;")}, plus));
    EXPECT_EQ(v.result, "failed: base input 0: returned a value that could not be read") << bad;
  }
  // A value equal to nothing (a NaN inside).
  v = Decide(Records({Rec("base", 0, 'W', "- 17 F"), Rec("base", 1, 'V', "i2;")}, plus));
  EXPECT_EQ(v.result, "failed: base input 0: wrong output");
}

// A digested answer counts at its value's size against the output cap: the run stops
// where the sandbox would have cut the same answers sent as values.
TEST(IoModeTest, DigestedAnswersCountAtTheirValuesSizeAgainstTheOutputCap) {
  Problem p = TwoInputProblem();
  IoOracle o = Expect({PyValue::Int(1), PyValue::Int(2)}, {PyValue::Int(3)});
  const std::string huge = Rec("base", 1, 'W', DigestOf(PyValue::Int(2), 5000000));
  const std::string out = Records({Rec("base", 0, 'V', "i1;"), huge}, Rec("plus", 0, 'V', "i3;"));
  Verdict v = DecideIoVerdict(grader::Run(out), kNonce, p, o, IoSettings{}, 4000000);
  EXPECT_EQ(v.status, SampleStatus::kOutputLimit);
  EXPECT_EQ(v.result, "failed: output limit reached before every input ran");
  EXPECT_EQ(v.base_status, PhaseStatus::kFail);
  EXPECT_EQ(v.plus_status, PhaseStatus::kFail);
  EXPECT_TRUE(ParseIoRecords(out, kNonce, 4000000).output_cut);
  EXPECT_EQ(ParseIoRecords(out, kNonce, 4000000).groups[kBase].size(), 1u);
  // A cap it fits under: the same stream passes.
  EXPECT_TRUE(DecideIoVerdict(grader::Run(out), kNonce, p, o, IoSettings{}, 6000000).passed);
  // A wrong answer before the cut decides, as it did before the sandbox's cut.
  const std::string wrong_first =
      Records({Rec("base", 0, 'V', "i7;"), huge}, Rec("plus", 0, 'V', "i3;"));
  v = DecideIoVerdict(grader::Run(wrong_first), kNonce, p, o, IoSettings{}, 4000000);
  EXPECT_EQ(v.status, SampleStatus::kFailed);
  EXPECT_EQ(v.result, "failed: base input 0: wrong output");
  // Values count as they are: exactly the cap is not over it.
  const std::string plain = AllRecords("i1;", "i2;", "i3;");
  EXPECT_FALSE(ParseIoRecords(plain, kNonce, static_cast<int64_t>(plain.size())).output_cut);
  EXPECT_TRUE(ParseIoRecords(plain, kNonce, static_cast<int64_t>(plain.size()) - 1).output_cut);
}

TEST(IoModeTest, KeepsExpectedValuesOnlyWhereEvalPlusNeedsMoreThanEquality) {
  Problem p = TwoInputProblem();
  p.base_inputs = {"[1]", "[2]", "[3]", "[4]"};
  using K = PyValue::Kind;
  IoOracle o = IoOracleFromValues(
      p,
      {PyValue::Int(1), PyValue::Float(0.5),
       PyValue::Container(K::kList, {PyValue::Int(1), PyValue::Int(2)}), PyValue::Str("s")},
      {PyValue::Int(3)}, {1, 1, 1, 1}, {1});
  // Before the first float output atol is 0 (exact); from it on numeric arrays are kept.
  EXPECT_FALSE(o.expected[kBase][0].has_value);
  EXPECT_TRUE(o.expected[kBase][1].has_value);
  EXPECT_TRUE(o.expected[kBase][1].is_floats);
  EXPECT_TRUE(o.expected[kBase][2].has_value);
  EXPECT_FALSE(o.expected[kBase][3].has_value);  // not numeric: allclose is never true
  EXPECT_FALSE(o.expected[kPlus][0].has_value);  // the plus group starts over
  EXPECT_EQ(o.ValueWire(o.expected[kBase][1]), EncodePyValue(PyValue::Float(0.5)));
  EXPECT_FALSE(o.full_values);
  EXPECT_EQ(IoDigestOver(o), kIoDigestOverBytes);
  EXPECT_NE(IoProgram(p, "", &o, IoSettings{}).find("\"digest_over\":65536"), std::string::npos);

  // Close enough (EvalPlus's allclose) is a pass where the value is kept.
  const std::string rest = Rec("base", 2, 'V', "l2:i1;i2;") + Rec("base", 3, 'V', "s73;");
  const std::string plus = Rec("plus", 0, 'V', "i3;");
  auto decide = [&](const std::string& second) {
    return DecideIoVerdict(
        grader::Run(Records({Rec("base", 0, 'V', "i1;"), second, rest}, plus)), kNonce, p, o,
        IoSettings{}, kCap);
  };
  EXPECT_TRUE(decide(Rec("base", 1, 'V', EncodePyValue(PyValue::Float(0.5 + 1e-9)))).passed);
  EXPECT_FALSE(decide(Rec("base", 1, 'V', EncodePyValue(PyValue::Float(0.51)))).passed);
  // A close answer known by its digest alone is not equal (see evalplus_oracle.h).
  EXPECT_FALSE(decide(Rec("base", 1, 'W', DigestOf(PyValue::Float(0.5 + 1e-9)))).passed);
  EXPECT_TRUE(decide(Rec("base", 1, 'W', DigestOf(PyValue::Float(0.5)))).passed);

  // The set-equality tasks keep every value and never digest answers.
  Problem m = p;
  m.format = ProblemFormat::kMbppPlus;
  m.task_id = "Mbpp/2";
  m.entry_point = "similar_elements";
  IoOracle sets = IoOracleFromValues(m, {PyValue::Int(1), PyValue::Int(2), PyValue::Int(3),
                                         PyValue::Int(4)},
                                     {PyValue::Int(3)}, {1, 1, 1, 1}, {1});
  EXPECT_TRUE(sets.full_values);
  EXPECT_FALSE(IoDigestOver(sets).has_value());
  for (const IoExpected& e : sets.expected[kBase]) EXPECT_TRUE(e.has_value);
  EXPECT_NE(IoProgram(m, "", &sets, IoSettings{}).find("\"digest_over\":null"), std::string::npos);
}

TEST(IoModeTest, ABuilderAsksForValuesItWasSentOnlyTheDigestOf) {
  Problem p = TwoInputProblem();
  IoOracleBuilder plain(p, kIoDigestOverBytes);
  ASSERT_TRUE(plain.AddDigest(kBase, DigestOf(PyValue::Str("x"), 100000), 5).ok());
  EXPECT_FALSE(plain.needs_values());  // atol 0, no floats: equality is all it takes
  IoOracleBuilder floats(p, kIoDigestOverBytes);
  ASSERT_TRUE(floats.AddValue(kBase, EncodePyValue(PyValue::Float(1.5)), 5).ok());
  ASSERT_TRUE(floats.AddDigest(kBase, DigestOf(PyValue::Str("x"), 100000), 5).ok());
  EXPECT_TRUE(floats.needs_values());  // atol set: a numeric array must be kept
  EXPECT_FALSE(floats.AddDigest(kBase, "nonsense", 5).ok());
  EXPECT_FALSE(floats.AddValue(kBase, "l2:i1;", 5).ok());
  IoOracle o = plain.Finish();
  EXPECT_EQ(o.expected_bytes, 100000);
  EXPECT_EQ(o.cpu_us[kBase], std::vector<int64_t>{5});
}

// Runs reference programs of TwoInputProblem as the harness would: base 1 and 0.5 (a
// float: from there on numeric arrays are kept), plus 3. With `digest_floats`, 0.5 comes
// as a digest while the program has a digest threshold (as a float array over it would).
class FakeReferenceRunner final : public sandbox::Runner {
 public:
  absl::StatusOr<sandbox::RunResult> Run(const sandbox::RunSpec& spec) override {
    ++runs;
    const std::string& program = spec.files.at(0).content;
    const bool digests = program.find("\"digest_over\":null") == std::string::npos;
    const std::string nonce = spec.stdin_data.substr(0, spec.stdin_data.find('\n'));
    auto rec = [&](const std::string& group, int index, char kind, const std::string& payload) {
      return absl::StrCat("\n#", nonce, " ", group, " ", index, " ", std::string(1, kind), " ",
                          1000 * (index + 1), " ", payload.size(), "\n", payload);
    };
    const PyValue half = PyValue::Float(0.5);
    sandbox::RunResult r;
    r.status = wall_timeouts > 0 ? sandbox::RunStatus::kWallTimeout : sandbox::RunStatus::kOk;
    if (wall_timeouts > 0) --wall_timeouts;
    r.exit_code = 0;
    r.stdout_data = rec("base", 0, 'V', "i1;") +
                    (digest_floats && digests ? rec("base", 1, 'W', DigestOf(half))
                                              : rec("base", 1, 'V', EncodePyValue(half))) +
                    rec("base", 0, 'D', "") + rec("plus", 0, 'V', "i3;") +
                    rec("plus", 0, 'D', "") + rec("-", 0, 'Z', "");
    return r;
  }
  sandbox::LayerSet active_layers() const override { return {}; }
  int runs = 0;
  bool digest_floats = false;
  int wall_timeouts = 0;  // the next runs that end at the wall backstop (a busy machine)
};

class IoOracleCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("io_cache_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    problems_.path = "two.jsonl";
    problems_.content_sha256 = "two";
    problems_.problems = {TwoInputProblem()};
    problems_.by_id[problems_.problems[0].task_id] = 0;
    runtime_.make_spec = [](std::string program, const sandbox::Limits& limits) {
      sandbox::RunSpec spec;
      spec.files.push_back({"main.py", std::move(program)});
      spec.limits = limits;
      return spec;
    };
    runtime_.fingerprint = "fake";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  IoOracleSet Build() {
    IoBuildOptions o;
    o.cache_dir = dir_.string();
    o.runtime_fingerprint = "fake";
    o.task_ids = {"HumanEval/900"};
    o.log = &log_;
    return BuildIoOracles(problems_, runner_, runtime_, o);
  }

  std::vector<std::string> Lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  void Write(const std::string& path, const std::vector<std::string>& lines) {
    std::ofstream out(path, std::ios::trunc);
    for (const std::string& line : lines) out << line << "\n";
  }

  std::filesystem::path dir_;
  ProblemSet problems_;
  RuntimeContext runtime_;
  FakeReferenceRunner runner_;
  std::ostringstream log_;
};

void ExpectSameOracle(const IoOracle& a, const IoOracle& b) {
  EXPECT_EQ(a.usable, b.usable);
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.full_values, b.full_values);
  EXPECT_EQ(a.expected_bytes, b.expected_bytes);
  EXPECT_EQ(a.values, b.values);
  for (int g = 0; g < 2; ++g) {
    EXPECT_EQ(a.cpu_us[g], b.cpu_us[g]);
    ASSERT_EQ(a.expected[g].size(), b.expected[g].size());
    for (size_t i = 0; i < a.expected[g].size(); ++i) {
      const IoExpected &x = a.expected[g][i], &y = b.expected[g][i];
      EXPECT_EQ(x.digest, y.digest);
      EXPECT_EQ(std::make_tuple(x.has_form, x.is_floats, x.has_value, x.value_offset, x.value_size),
                std::make_tuple(y.has_form, y.is_floats, y.has_value, y.value_offset,
                                y.value_size));
    }
  }
}

TEST_F(IoOracleCacheTest, RoundTripsThroughTheCacheFile) {
  IoOracleSet first = Build();
  EXPECT_EQ(runner_.runs, 1);
  EXPECT_FALSE(first.cached);
  const IoOracle& o = first.oracles[0];
  ASSERT_TRUE(o.usable) << o.failure;
  EXPECT_EQ(o.cpu_us[kBase], (std::vector<int64_t>{1000, 2000}));
  EXPECT_TRUE(o.expected[kBase][1].has_value);
  std::vector<std::string> lines = Lines(first.cache_path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("\"version\":2"), std::string::npos) << lines[0];

  IoOracleSet second = Build();
  EXPECT_EQ(runner_.runs, 1);  // nothing measured again
  EXPECT_TRUE(second.cached);
  EXPECT_EQ(second.digest, first.digest);
  ExpectSameOracle(second.oracles[0], o);
  EXPECT_EQ(log_.str().find(first.cache_path + ":"), std::string::npos) << log_.str();
}

TEST_F(IoOracleCacheTest, ADamagedLineIsNamedAndItsTaskMeasuredAgain) {
  IoOracleSet first = Build();
  std::vector<std::string> lines = Lines(first.cache_path);
  ASSERT_EQ(lines.size(), 2u);
  const std::vector<std::pair<std::string, std::string>> damages = {
      {lines[1].substr(0, lines[1].size() / 2), "malformed JSON"},
      {absl::StrReplaceAll(lines[1], {{"\"flags\":\"1", "\"flags\":\"9"}}), "field `base.flags`"},
      {absl::StrReplaceAll(lines[1], {{"\"cpu_us\":[1000,2000]", "\"cpu_us\":[1000]"}}),
       "field `base.cpu_us`"},
      {absl::StrReplaceAll(lines[1], {{"\"usable\":true", "\"usable\":1"}}), "field `usable`"},
      {absl::StrReplaceAll(lines[1], {{"\"expected_bytes\":", "\"expected_bytes\":1"}}),
       "field `digest` does not match"},
  };
  int runs = runner_.runs;
  for (const auto& [line, why] : damages) {
    ASSERT_NE(line, lines[1]) << why;
    Write(first.cache_path, {lines[0], line});
    log_.str("");
    IoOracleSet again = Build();
    EXPECT_EQ(runner_.runs, ++runs) << why;
    EXPECT_NE(log_.str().find(first.cache_path + ":2: "), std::string::npos) << log_.str();
    EXPECT_NE(log_.str().find(why), std::string::npos) << log_.str();
    if (why != "malformed JSON") {
      EXPECT_NE(log_.str().find("HumanEval/900 is measured again"), std::string::npos);
    }
    ExpectSameOracle(again.oracles[0], first.oracles[0]);
    EXPECT_EQ(Lines(first.cache_path), lines) << why;  // written again, whole
  }
}

TEST_F(IoOracleCacheTest, AnotherVersionsFileIsRebuiltNotRead) {
  IoOracleSet first = Build();
  std::vector<std::string> lines = Lines(first.cache_path);
  // Version 1 had no header: a task per line, wire texts in "base" / "plus".
  Write(first.cache_path, {R"({"task_id":"HumanEval/900","usable":true,"failure":"","base":["i1;","i2;"],"plus":["i3;"],"base_cpu_us":[1,1],"plus_cpu_us":[1]})"});
  log_.str("");
  IoOracleSet again = Build();
  EXPECT_EQ(runner_.runs, 2);
  EXPECT_NE(log_.str().find(first.cache_path + ":1: not a version header"), std::string::npos)
      << log_.str();
  ExpectSameOracle(again.oracles[0], first.oracles[0]);
  EXPECT_EQ(Lines(first.cache_path), lines);
  // A later version's header.
  Write(first.cache_path, {absl::StrReplaceAll(lines[0], {{"\"version\":2", "\"version\":3"}}),
                           lines[1]});
  log_.str("");
  Build();
  EXPECT_EQ(runner_.runs, 3);
  EXPECT_NE(log_.str().find("format version 3"), std::string::npos) << log_.str();
  EXPECT_EQ(Lines(first.cache_path), lines);
}

TEST_F(IoOracleCacheTest, ADigestWhereAValueIsNeededRunsTheReferenceAgainWithoutDigests) {
  runner_.digest_floats = true;
  IoOracleSet set = Build();
  EXPECT_EQ(runner_.runs, 2);
  const IoOracle& o = set.oracles[0];
  ASSERT_TRUE(o.usable) << o.failure;
  ASSERT_TRUE(o.expected[kBase][1].has_value);
  EXPECT_EQ(o.ValueWire(o.expected[kBase][1]), EncodePyValue(PyValue::Float(0.5)));
}

// io_harness.py's equality digests (its `encode` with canonical=True) against
// EqualityDigest of the same values' wire texts: an answer sent as a digest is compared
// with an expected output kept as a value (or digested on this side), so both sides must
// agree on every kind of value. Runs the harness under the real python3, unsandboxed (a
// program of this test's own): every value twice, as values and as digests.
std::string RunHarness(const std::string& program, const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) /
      absl::StrCat("io_harness_", getpid(), "_", name);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "main.py") << program;
  // The harness module's file, which a fresh interpreter reads from its work dir
  // (program.h, AddHarnessFile).
  std::ofstream(dir / absl::StrCat(HarnessModuleName(), ".py")) << HarnessModuleSource();
  std::ofstream(dir / "stdin") << kNonce << "\n";
  const std::string cmd =
      absl::StrCat("cd ", dir.string(), " && /usr/bin/python3 -I main.py < stdin > out");
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::stringstream out;
  out << std::ifstream(dir / "out").rdbuf();
  std::filesystem::remove_all(dir);
  return out.str();
}

TEST(IoModeTest, HarnessDigestsAreEqualityDigests) {
  // Equal values of different kinds and wire sizes, long strings and integers (sent
  // as SHA-256 on the wire), NaN inside containers, sets and dicts in any order.
  const std::vector<std::string> values = {
      "1", "True", "1.0", "complex(1, 0)", "0", "False", "-0.0", "0.0", "complex(-0.0, 0)",
      "2.5", "complex(2.5, -0.0)", "complex(-0.0, 1.5)", "complex(0.0, 1.5)", "float('inf')",
      "-float('inf')", "float('nan')", "1e300", "10**300", "2**70", "-(2**70)", "10**6000",
      "float(2**70)", "'a' * 5000", "'a' * 4999 + 'b'", "'\u00e9\\n'", "''", "None", "[]",
      "()", "[1, 2.0]", "[1.0, 2]", "(1,)", "[(1,)]", "[float('nan')]", "{1, 2.0, 3}",
      "frozenset({3.0, 2, 1})", "{3, 2, 1, 0}", "set()", "frozenset()",
      "{1: 'a', 'k': [1.0]}", "{'k': [1], True: 'a'}", "{1: 'a', 'k': [1.5]}",
      "{'x': float('nan')}", "{(1, 2): {3}, (3, 4.0): frozenset()}",
      "{(3, 4): set(), (1.0, 2): {3.0}}", "[{1}, {'a': {2}}]", "{frozenset({1}), (2, 'x')}",
      "[[1, [2, [3, [4]]]]]", "[[1.0, [2, [3, [4.0]]]]]",
      // Over the harness's 64 KiB hashing chunk.
      "[1.5] * 5000", "[1.5, 2.5] * 2500", "[1] * 30000", "[1.0] * 30000"};
  Problem p;
  p.task_id = "HumanEval/901";
  p.entry_point = "f";
  p.prompt = absl::StrCat("import sys\nsys.set_int_max_str_digits(0)\nVALUES = [",
                          absl::StrJoin(values, ", "), "]\ndef f(i):\n");
  p.canonical_solution = "    return VALUES[i]\n";
  for (size_t i = 0; i < values.size(); ++i) p.base_inputs.push_back(absl::StrCat("[", i, "]"));
  p.has_inputs = true;
  const std::string solution = p.prompt + p.canonical_solution;
  const std::string as_values =
      RunHarness(IoProgram(p, solution, nullptr, IoSettings{}, std::nullopt), "values");
  const std::string as_digests =
      RunHarness(IoProgram(p, solution, nullptr, IoSettings{}, 0), "digests");
  IoRecords v = ParseIoRecords(as_values, kNonce);
  IoRecords d = ParseIoRecords(as_digests, kNonce);
  ASSERT_EQ(v.groups[kBase].size(), values.size()) << as_values.substr(0, 2000);
  ASSERT_EQ(d.groups[kBase].size(), values.size()) << as_digests.substr(0, 2000);
  std::vector<PyValue> decoded;
  std::vector<std::string> digests;
  for (size_t i = 0; i < values.size(); ++i) {
    const IoRecord& value = v.groups[kBase][i].second;
    const IoRecord& digest = d.groups[kBase][i].second;
    ASSERT_EQ(value.kind, 'V') << values[i];
    ASSERT_EQ(digest.kind, 'W') << values[i];
    absl::StatusOr<PyValue> out = DecodePyValue(value.payload);
    ASSERT_TRUE(out.ok()) << values[i];
    absl::StatusOr<std::optional<std::string>> mine = EqualityDigest(value.payload);
    ASSERT_TRUE(mine.ok()) << values[i];
    // "DIGEST WIRE_BYTES FLOATS"
    const std::string expected = absl::StrCat(mine->value_or("-"), " ", value.payload.size(),
                                              " ", IsFloats(*out) ? "F" : "-");
    EXPECT_EQ(digest.payload, expected) << values[i];
    decoded.push_back(*std::move(out));
    digests.push_back(mine->value_or(""));
  }
  // And the digests decide as Python's == (PyEquals) on every pair.
  for (size_t i = 0; i < values.size(); ++i) {
    for (size_t j = 0; j < values.size(); ++j) {
      const bool same = !digests[i].empty() && digests[i] == digests[j];
      EXPECT_EQ(same, PyEquals(decoded[i], decoded[j])) << values[i] << " vs " << values[j];
    }
  }
}

// A reference run ended by the wall-clock backstop says the machine was busy, not that
// the canonical solution fails: the task is graded in assert mode this time, not cached,
// and measured again by the next build.
TEST_F(IoOracleCacheTest, AWallTimeoutOfTheReferenceIsNotCached) {
  runner_.wall_timeouts = 1;
  IoOracleSet first = Build();
  EXPECT_FALSE(first.oracles[0].usable);
  EXPECT_NE(log_.str().find("wall-clock backstop"), std::string::npos) << log_.str();
  IoOracleSet second = Build();
  EXPECT_EQ(runner_.runs, 2);
  EXPECT_TRUE(second.oracles[0].usable) << second.oracles[0].failure;
  EXPECT_EQ(Build().oracles[0].digest, second.oracles[0].digest);
  EXPECT_EQ(runner_.runs, 2);  // read from the cache
}

// What a parse yields, as plain values (records copied out of the text they point into).
struct Parsed {
  std::vector<std::tuple<int, int64_t, char, int64_t, std::string>> records;
  bool done[2] = {false, false};
  bool all_done = false, setup_failed = false, output_cut = false;
  void Add(const IoRecords& r) {
    for (int g = 0; g < 2; ++g) {
      for (const auto& [i, rec] : r.groups[g]) {
        records.emplace_back(g, i, rec.kind, rec.cpu_us, std::string(rec.payload));
      }
      done[g] = done[g] || r.group_done[g];
    }
    all_done = all_done || r.all_done;
    setup_failed = setup_failed || r.setup_failed;
    output_cut = output_cut || r.output_cut;
  }
  bool operator==(const Parsed& o) const {
    // One parse lists base's records before plus's; the pieces list them as they came.
    auto a = records, b = o.records;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    return a == b && done[0] == o.done[0] && done[1] == o.done[1] &&
           all_done == o.all_done && setup_failed == o.setup_failed &&
           output_cut == o.output_cut;
  }
};

TEST(IoModeTest, ParsingPieceByPieceYieldsWhatOneParseDoes) {
  const std::string huge = Rec("base", 1, 'W', DigestOf(PyValue::Int(2), 5000000));
  const std::vector<std::pair<std::string, int64_t>> streams = {
      {AllRecords("i1;", "i2;", "i3;"), kCap},
      {"noise #n0nce base 0 V 1 1\n" + Rec("base", 0, 'V', "i1;") + Rec("base", 0, 'V', "i9;") +
           Rec("base", 1, 'E', "ValueError\nbad") + Rec("base", 0, 'D', "") +
           Rec("-", 0, 'X', "X\ny") + "\n#n0nce base 2 V x 1\nmalformed" +
           Rec("plus", 0, 'V', "i3;"),
       kCap},
      {Records({Rec("base", 0, 'V', "i1;"), huge}, Rec("plus", 0, 'V', "i3;")), 4000000},
      {AllRecords("i1;", "i2;", "i3;"), 200},  // over the cap at its end only
  };
  for (const auto& [text, cap] : streams) {
    Parsed whole;
    whole.Add(ParseIoRecords(text, kNonce, cap));
    for (size_t step : {size_t{1}, size_t{7}, size_t{64}}) {
      IoRecordParser parser(kNonce, cap);
      Parsed pieces;
      for (size_t n = 0; n < text.size(); n += step) {
        IoRecords r;
        parser.Feed(absl::string_view(text).substr(0, n), &r);
        pieces.Add(r);
      }
      IoRecords r;
      parser.Finish(text, &r);
      pieces.Add(r);
      EXPECT_TRUE(pieces == whole) << "step " << step << " of\n" << text;
    }
  }
}

Problem ThreePlusProblem() {
  Problem p = TwoInputProblem();
  p.plus_inputs = {"[3]", "[4]", "[5]"};
  return p;
}

// The byte count of `text` after which `stop` first says stop, fed one byte at a time
// (as a slow pipe would); npos when it never does.
size_t StopsAfter(const std::function<bool(absl::string_view)>& stop, const std::string& text) {
  for (size_t n = 1; n <= text.size(); ++n) {
    if (stop(absl::string_view(text).substr(0, n))) return n;
  }
  return std::string::npos;
}

TEST(IoModeTest, EarlyStopComesRightAfterTheFirstFailedPlusAnswerOnceBaseIsDone) {
  Problem p = ThreePlusProblem();
  IoOracle o = IoOracleFromValues(p, {PyValue::Int(1), PyValue::Int(2)},
                                  {PyValue::Int(3), PyValue::Int(4), PyValue::Int(5)},
                                  {100, 100}, {100, 100, 100});
  auto stop = [&] { return IoEarlyStop(kNonce, p, o, IoSettings{}, kCap); };
  const std::string base = Rec("base", 0, 'V', "i1;") + Rec("base", 1, 'V', "i2;") +
                           Rec("base", 0, 'D', "");
  const std::string wrong = Rec("plus", 1, 'V', "i9;");
  // plus 0 right, plus 1 wrong: stopped as soon as plus 1's record is complete.
  std::string head = base + Rec("plus", 0, 'V', "i3;") + wrong;
  std::string text = head + Rec("plus", 2, 'V', "i5;") + Rec("plus", 0, 'D', "");
  EXPECT_EQ(StopsAfter(stop(), text), head.size());
  // A timeout or an exception is a failure too, as is a right answer after its limit.
  for (const std::string& fail : {Rec("plus", 0, 'T', ""), Rec("plus", 0, 'E', "KeyError\n1"),
                                  Rec("plus", 0, 'V', "i3;", 3000000)}) {
    EXPECT_EQ(StopsAfter(stop(), base + fail + Rec("plus", 0, 'D', "")), (base + fail).size());
  }
  // Every plus answer right: never (nor when base failed: plus_status is reported).
  EXPECT_EQ(StopsAfter(stop(), AllRecords("i1;", "i2;", "i3;")), std::string::npos);
  EXPECT_EQ(StopsAfter(stop(), Rec("base", 0, 'V', "i8;") + Rec("base", 0, 'D', "") +
                                   Rec("plus", 0, 'V', "i3;") + Rec("plus", 1, 'V', "i4;")),
            std::string::npos);
  // Answers out of input order (a forged stream): judged in input order.
  head = base + wrong;
  EXPECT_EQ(StopsAfter(stop(), head + Rec("plus", 0, 'V', "i3;")), head.size() + Rec("plus", 0, 'V', "i3;").size());
  EXPECT_EQ(StopsAfter(stop(), head + Rec("plus", 0, 'V', "i7;")), head.size() + Rec("plus", 0, 'V', "i7;").size());
  // A plus failure before base's end waits for it.
  head = Rec("base", 0, 'V', "i1;") + Rec("plus", 0, 'V', "i9;") + Rec("base", 1, 'V', "i2;");
  EXPECT_EQ(StopsAfter(stop(), head + Rec("base", 0, 'D', "")),
            (head + Rec("base", 0, 'D', "")).size());
  EXPECT_EQ(StopsAfter(stop(), head), std::string::npos);
  // Test details list every failing input: never stopped.
  IoSettings details;
  details.test_details = true;
  EXPECT_EQ(IoEarlyStop(kNonce, p, o, details, kCap), nullptr);
}

TEST(IoModeTest, AStoppedRunHasTheVerdictOfTheWholeRun) {
  Problem p = ThreePlusProblem();
  IoOracle o = IoOracleFromValues(p, {PyValue::Int(1), PyValue::Int(2)},
                                  {PyValue::Int(3), PyValue::Int(4), PyValue::Int(5)},
                                  {100, 100}, {100, 100, 100});
  const std::vector<std::string> runs = {
      Rec("base", 0, 'V', "i1;") + Rec("base", 1, 'V', "i2;") + Rec("base", 0, 'D', "") +
          Rec("plus", 0, 'V', "i3;") + Rec("plus", 1, 'V', "i9;") + Rec("plus", 2, 'V', "i5;") +
          Rec("plus", 0, 'D', "") + Rec("-", 0, 'Z', ""),
      Rec("base", 0, 'V', "i7;") + Rec("base", 1, 'V', "i2;") + Rec("base", 0, 'D', "") +
          Rec("plus", 0, 'E', "ValueError\nx") + Rec("plus", 0, 'D', "") + Rec("-", 0, 'Z', ""),
  };
  for (const std::string& whole : runs) {
    const size_t at = StopsAfter(IoEarlyStop(kNonce, p, o, IoSettings{}, kCap), whole);
    ASSERT_NE(at, std::string::npos) << whole;
    sandbox::RunResult stopped = grader::Run(whole.substr(0, at), sandbox::RunStatus::kSignaled);
    stopped.signal = SIGKILL;
    stopped.stopped = true;
    Verdict a = DecideIoVerdict(grader::Run(whole), kNonce, p, o, IoSettings{}, kCap);
    Verdict b = DecideIoVerdict(stopped, kNonce, p, o, IoSettings{}, kCap);
    EXPECT_FALSE(b.passed);
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.result, b.result);
    EXPECT_EQ(a.base_status, b.base_status);
    EXPECT_EQ(a.plus_status, b.plus_status);
    EXPECT_EQ(a.base_failed, b.base_failed);
    EXPECT_EQ(a.plus_failed, b.plus_failed);
  }
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
