// The Language interface: Python as it always ran, and a fake compiled language that
// proves the pipeline compiles, runs the artefact, and keeps a compile failure apart.
#include "grader/pipeline/language.h"

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grader/pipeline/grading_plan.h"
#include "grader/pipeline/runtime_context.h"
#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;

constexpr char kCompiler[] = "/fake/cc";

// "Compiles" by copying the source; a source containing SYNTAX does not compile.
class FakeCompiledLanguage final : public Language {
 public:
  absl::string_view name() const override { return "fake-cc"; }
  std::string Identity() const override { return "runtime=fake-cc"; }
  sandbox::RunSpec VersionSpec(const sandbox::Limits& limits) const override {
    sandbox::RunSpec spec;
    spec.argv = {kCompiler, "--version"};
    spec.limits = limits;
    return spec;
  }
  std::optional<CompileStep> Compile(std::string source) const override {
    CompileStep step;
    step.source = source;
    step.spec.argv = {kCompiler, "main.src"};
    step.spec.files.push_back({"main.src", std::move(source)});
    step.spec.limits.cpu_time_ms = 10000;  // the compile step's own limits
    return step;
  }
  sandbox::RunSpec RunSpecFor(std::string, const Artefact* artefact,
                              const sandbox::Limits& limits) const override {
    sandbox::RunSpec spec;
    spec.argv = {"/tmp/main"};
    spec.files.push_back({"main", artefact->bytes, /*executable=*/true});
    spec.limits = limits;
    return spec;
  }
};

// Plays the compiler and the built program; records what it was asked to run.
class FakeToolchainRunner final : public sandbox::Runner {
 public:
  absl::StatusOr<sandbox::RunResult> Run(const sandbox::RunSpec& spec) override {
    sandbox::RunResult r;
    r.status = sandbox::RunStatus::kOk;
    r.exit_code = 0;
    std::lock_guard<std::mutex> lock(mu_);
    if (spec.argv[0] == kCompiler) {
      compiled_cpu_ms.push_back(spec.limits.cpu_time_ms);
      calls.push_back("compile");
      if (spec.argv[1] == "--version") {
        r.stdout_data = "1.2.3";
        return r;
      }
      const std::string& source = spec.files.at(0).content;
      if (absl::StrContains(source, "SYNTAX")) {
        r.status = sandbox::RunStatus::kNonzeroExit;
        r.exit_code = 1;
        r.stderr_data = "main.src:2: error: expected ';'\n";
      } else {
        r.stdout_data = source;
      }
      return r;
    }
    // The built program: the artefact is the run's executable file.
    const bool has_artefact = spec.files.size() == 1 && spec.files[0].executable;
    calls.push_back(has_artefact ? "run" : "run without artefact");
    ran_artefacts.push_back(has_artefact ? spec.files[0].content : "");
    r.stdout_data = absl::StrCat("\nFATHOM-", spec.stdin_data.substr(0, 32),
                                 R"( {"outcome":"passed"})", "\n");
    return r;
  }
  sandbox::LayerSet active_layers() const override { return {}; }

  std::vector<std::string> calls;
  std::vector<int64_t> compiled_cpu_ms;
  std::vector<std::string> ran_artefacts;

 private:
  std::mutex mu_;
};

ProblemSet OneProblem() {
  ProblemSet set;
  Problem p;
  p.task_id = "t/0";
  p.format = ProblemFormat::kHumanEval;
  p.prompt = "def f():\n";
  p.test = "def check(c):\n    assert c() == 1";
  p.entry_point = "f";
  set.problems.push_back(p);
  set.by_id["t/0"] = 0;
  return set;
}

TEST(CompiledLanguageTest, ThePipelineCompilesThenRunsTheArtefact) {
  FakeToolchainRunner runner;
  const RuntimeContext runtime =
      MakeRuntimeContext(std::make_shared<FakeCompiledLanguage>(), "1.2.3", "hash", {});
  EXPECT_EQ(runtime.fingerprint, "runtime=fake-cc\nversion=1.2.3\npolicy=hash\nlayers=");
  const ProblemSet problems = OneProblem();
  const GradingSetup setup;
  const GradingPlan plan(problems, runtime, setup, PlanSettings{});
  const GradedSample sample = plan.Sample(0, SampleCode{"    return 1"});

  const Verdict v = plan.Run(runner, sample);
  EXPECT_EQ(v.status, SampleStatus::kPassed);
  EXPECT_THAT(runner.calls, ElementsAre("compile", "run"));
  EXPECT_THAT(runner.compiled_cpu_ms, ElementsAre(10000));
  EXPECT_THAT(runner.ran_artefacts, ElementsAre(sample.program));
  EXPECT_EQ(v.compile_cpu_ms, 0);
}

TEST(CompiledLanguageTest, AProgramThatDoesNotCompileIsACompileErrorAndNeverRuns) {
  FakeToolchainRunner runner;
  const RuntimeContext runtime =
      MakeRuntimeContext(std::make_shared<FakeCompiledLanguage>(), "1.2.3", "hash", {});
  const ProblemSet problems = OneProblem();
  const GradingSetup setup;
  const GradingPlan plan(problems, runtime, setup, PlanSettings{});
  BatchOptions options;
  options.ks = {1};
  absl::StatusOr<GradedBatch> batch =
      GradeSamples(plan, runner, {{"t/0", "    SYNTAX"}, {"t/0", "    return 1"}}, options);
  ASSERT_TRUE(batch.ok()) << batch.status();
  const Verdict& v = batch->verdicts.at(0);
  EXPECT_EQ(v.status, SampleStatus::kCompileError);
  EXPECT_STREQ(SampleStatusName(v.status), "compile_error");
  EXPECT_FALSE(v.passed);
  EXPECT_EQ(v.result, "failed: compile error: nonzero_exit 1");
  EXPECT_EQ(v.stderr_tail, "main.src:2: error: expected ';'\n");
  EXPECT_EQ(batch->verdicts.at(1).status, SampleStatus::kPassed);
  EXPECT_THAT(runner.calls, Contains("run").Times(1));
  EXPECT_THAT(runner.calls, Contains("compile").Times(2));
}

TEST(CompiledLanguageTest, TheVersionProbeAsksTheToolchain) {
  FakeToolchainRunner runner;
  absl::StatusOr<std::string> version = ProbeVersion(runner, FakeCompiledLanguage(), {});
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, "1.2.3");
}

TEST(CompileProgramTest, TheArtefactIsTheCompileStepsStdout) {
  FakeToolchainRunner runner;
  absl::StatusOr<CompileOutcome> built =
      CompileProgram(runner, *FakeCompiledLanguage().Compile("bytes"), nullptr);
  ASSERT_TRUE(built.ok()) << built.status();
  ASSERT_TRUE(built->ok());
  EXPECT_EQ(built->artefact->bytes, "bytes");
}

TEST(PythonLanguageTest, RunsAsThePolicySaysWithoutACompileStep) {
  RuntimePolicy policy;
  policy.name = "python";
  policy.interpreter = "/usr/bin/python3";
  policy.flags = {"-I", "-B"};
  policy.file_name = "main.py";
  PreparedRuntime runtime;
  runtime.policy = &policy;
  const PythonLanguage python(runtime);
  EXPECT_EQ(python.name(), "python");
  EXPECT_FALSE(python.Compile("print(1)\n").has_value());
  sandbox::Limits limits;
  limits.cpu_time_ms = 1234;
  const sandbox::RunSpec spec = python.RunSpecFor("print(1)\n", nullptr, limits);
  const sandbox::RunSpec expected = MakeRunSpec(runtime, "print(1)\n", limits);
  EXPECT_EQ(spec.argv, expected.argv);
  EXPECT_EQ(spec.env, expected.env);
  ASSERT_EQ(spec.files.size(), 1u);
  EXPECT_EQ(spec.files[0].name, "main.py");
  EXPECT_EQ(spec.files[0].content, "print(1)\n");
  EXPECT_EQ(spec.limits, limits);
  EXPECT_EQ(MakeRuntimeContext(runtime, "3.11.2", "h", {"seccomp", "user"}).fingerprint,
            "runtime=python\ninterpreter=/usr/bin/python3\nflags=-I -B\nversion=3.11.2\n"
            "policy=h\nlayers=seccomp,user");
}

TEST(IncludesAllTest, EveryHeaderMustBeIncludedByTheSourceItself) {
  const std::vector<std::string> headers = {"vector", "stdio.h"};
  EXPECT_TRUE(IncludesAll("#include<stdio.h>\n  #  include <vector>\nint main(){}", headers));
  EXPECT_FALSE(IncludesAll("#include<stdio.h>\nint main(){}", headers));
  EXPECT_FALSE(IncludesAll("// #include<vector>\n#include<stdio.h>\n", headers));
  EXPECT_FALSE(IncludesAll("#include \"vector\"\n#include<stdio.h>\n", headers));
  EXPECT_TRUE(IncludesAll("", {}));
}

}  // namespace
}  // namespace fathom::grader
