// Sharded runs end to end, on the real binary: `fathom grade --shard` of the bundled
// fathom-mini problems and (from ../shared/data) HumanEval and HumanEval+, each merged by
// `fathom merge` and compared with one unsharded run of the same samples under the same
// prepared limits (`fathom prepare`): the merged results file, its EvalPlus file and what
// merge prints equal the unsharded run's apart from timings. `fathom eval --shard` of the
// shipped sample sets, merged, equals one unsharded run apart from timestamps and the
// recorded command line. And the refusals: differing fingerprints, missing, duplicated or
// edited shards, files without a sidecar, a prepared directory from another setup, and
// --shard auto without a scheduler.
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grader/formats/problems.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fathom_process.h"

namespace fathom::e2e {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using ::testing::HasSubstr;
using ::testing::Not;

const fs::path kSource = FATHOM_SOURCE_DIR;
const fs::path kData = FATHOM_SHARED_DATA_DIR;
const std::string kMiniProblems = (kSource / "problems" / "fathom-mini.jsonl").string();

#define SKIP_WITHOUT_DATA()                                                                \
  if (!fs::exists(kData)) {                                                                \
    GTEST_SKIP() << kData << " is absent: the released datasets are needed for this test"; \
  }

struct Outcome {
  int rc = -1;
  std::string out, err;
};

// Timings (and nothing else) replaced: what "byte for byte apart from timings" compares.
std::string NoTimings(const std::string& results) {
  return std::regex_replace(results, std::regex("\"(cpu_ms|wall_ms|max_rss_kb)\": ?-?[0-9]+"),
                            "\"$1\":0");
}

// The summary without its timing lines and paths: the time, the runner's peak RSS, where
// the results went.
std::string SummaryWithoutTimings(const std::string& out) {
  std::istringstream in(out);
  std::string line, kept;
  while (std::getline(in, line)) {
    if (line.rfind("  time       ", 0) == 0 || line.rfind("runner:", 0) == 0 ||
        line.rfind("  results ", 0) == 0 || line.rfind("evalplus:", 0) == 0) {
      continue;
    }
    kept += line + "\n";
  }
  return kept;
}

class ShardE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat("fathom_shard_e2e_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  Outcome Fathom(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    Outcome r;
    const std::string out = (dir_ / "stdout.txt").string();
    const std::string err = (dir_ / "stderr.txt").string();
    r.rc = WaitExit(StartFathom(args, out, env, err));
    r.out = ReadFile(out);
    r.err = ReadFile(err);
    return r;
  }
  std::string P(const std::string& name) const { return (dir_ / name).string(); }
  void Write(const std::string& name, const std::string& text) {
    fs::create_directories((dir_ / name).parent_path());
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  // A shard's results file (its unsharded name, in its own directory).
  std::string Shard(const std::string& samples, int i) const {
    return P(absl::StrCat("shard-", i, "/", samples, "_results.jsonl"));
  }

  // Grades `samples` (a file in dir_) once unsharded and in `shards` shards, all with
  // --prepared DIR from one `fathom prepare`, merges the shards, and checks the merge
  // against the unsharded run: results byte for byte apart from timings, the summary
  // line for line apart from its timing lines, the sidecars' fingerprints, and (with
  // --format evalplus among `grade_flags`) the EvalPlus files apart from their dates.
  void GradeShardedAndMerge(const std::string& problems, const std::string& samples, int shards,
                            const std::vector<std::string>& grade_flags, bool evalplus) {
    Outcome prep = Fathom({"prepare", "--problems", problems, "--samples", P(samples), "--out",
                       P("prepared")});
    ASSERT_EQ(prep.rc, 0) << prep.out << prep.err;
    auto grade = [&](const std::vector<std::string>& more) {
      std::vector<std::string> args = {"grade",      "--problems", problems,
                                       "--samples",  P(samples),   "--prepared",
                                       P("prepared"), "--no-progress"};
      args.insert(args.end(), grade_flags.begin(), grade_flags.end());
      args.insert(args.end(), more.begin(), more.end());
      return Fathom(args);
    };
    whole_ = grade({"--out-dir", P("whole")});
    ASSERT_EQ(whole_.rc, 0) << whole_.out << whole_.err;
    // Nothing measured again: every lookup found the prepared files.
    EXPECT_THAT(whole_.err, Not(HasSubstr("measuring"))) << whole_.err;
    EXPECT_THAT(whole_.err, Not(HasSubstr("running"))) << whole_.err;
    std::vector<std::string> merge_args = {"merge", "--problems", problems, "--out",
                                           P("merged/" + samples + "_results.jsonl")};
    for (int i = 0; i < shards; ++i) {
      Outcome r = grade({"--shard", absl::StrCat(i, "/", shards), "--out-dir",
                     P(absl::StrCat("shard-", i))});
      ASSERT_EQ(r.rc, 0) << r.out << r.err;
      EXPECT_THAT(r.err, Not(HasSubstr("measuring"))) << r.err;
      merge_args.push_back(Shard(samples, i));
    }
    merged_ = Fathom(merge_args);
    ASSERT_EQ(merged_.rc, 0) << merged_.out << merged_.err;
    const std::string whole_results = ReadFile(P("whole/" + samples + "_results.jsonl"));
    const std::string merged_results = ReadFile(P("merged/" + samples + "_results.jsonl"));
    ASSERT_FALSE(whole_results.empty());
    EXPECT_EQ(NoTimings(merged_results), NoTimings(whole_results));
    // What merge prints is what grade printed, the pass@k line first.
    EXPECT_EQ(SummaryWithoutTimings(merged_.out), SummaryWithoutTimings(whole_.out));
    EXPECT_EQ(merged_.out.substr(0, merged_.out.find('\n')),
              whole_.out.substr(0, whole_.out.find('\n')));
    const Json whole_sidecar =
        Json::parse(ReadFile(P("whole/" + samples + "_results.jsonl.fathom.json")));
    const Json merged_sidecar =
        Json::parse(ReadFile(P("merged/" + samples + "_results.jsonl.fathom.json")));
    EXPECT_EQ(merged_sidecar["fingerprint"], whole_sidecar["fingerprint"]);
    EXPECT_EQ(merged_sidecar["results"], whole_sidecar["results"]);
    EXPECT_EQ(merged_sidecar["merged_from"].size(), static_cast<size_t>(shards));
    if (evalplus) {
      std::string base = samples.substr(0, samples.rfind(".jsonl"));
      const std::regex date("\"date\": \"[^\"]*\"");
      const std::string whole_ep =
          std::regex_replace(ReadFile(P("whole/" + base + ".eval_results.json")), date, "D");
      const std::string merged_ep =
          std::regex_replace(ReadFile(P("merged/" + base + ".eval_results.json")), date, "D");
      ASSERT_FALSE(whole_ep.empty());
      EXPECT_EQ(merged_ep, whole_ep);
      // The shards' EvalPlus files merge to the same file too.
      std::vector<std::string> args = {"merge", "--problems", problems, "--out",
                                       P("ep-merged/" + base + ".eval_results.json")};
      for (int i = 0; i < shards; ++i) {
        args.push_back(P(absl::StrCat("shard-", i, "/", base, ".eval_results.json")));
      }
      Outcome ep = Fathom(args);
      ASSERT_EQ(ep.rc, 0) << ep.out << ep.err;
      EXPECT_EQ(std::regex_replace(ReadFile(P("ep-merged/" + base + ".eval_results.json")),
                                   date, "D"),
                whole_ep);
      // EvalPlus's pass@k blocks lead both printouts.
      EXPECT_EQ(ep.out.substr(0, ep.out.find("  tasks")),
                whole_.out.substr(0, whole_.out.find('{')));
    }
  }

  fs::path dir_;
  Outcome whole_, merged_;
};

// A samples file of `problems`: for each of the first `tasks` problems its canonical
// solution and one wrong completion, so that pass@1 is neither 0 nor 1.
std::string CanonicalAndWrongSamples(const std::string& problems, size_t tasks) {
  absl::StatusOr<grader::ProblemSet> set = grader::LoadProblems(problems);
  EXPECT_TRUE(set.ok()) << set.status();
  std::string out;
  for (size_t i = 0; set.ok() && i < set->problems.size() && i < tasks; ++i) {
    const grader::Problem& p = set->problems[i];
    out += nlohmann::json({{"task_id", p.task_id}, {"completion", p.canonical_solution}}).dump() +
           "\n";
    out += nlohmann::json({{"task_id", p.task_id}, {"completion", "    return None\n"}}).dump() +
           "\n";
  }
  return out;
}

TEST_F(ShardE2eTest, FathomMiniShardsMergeToTheUnshardedRunAndBadMergesAreRefused) {
  Write("mini.jsonl", ReadFile((kSource / "problems" / "fathom-mini.samples.jsonl").string()));
  GradeShardedAndMerge(kMiniProblems, "mini.jsonl", 3, {}, false);
  if (HasFatalFailure()) return;
  const std::string out = P("refused/mini.jsonl_results.jsonl");
  auto merge = [&](std::vector<std::string> files, std::vector<std::string> flags = {}) {
    std::vector<std::string> args = {"merge", "--problems", kMiniProblems, "--out", out};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), files.begin(), files.end());
    return Fathom(args);
  };
  auto copy = [&](const std::string& from, const std::string& to_dir, bool sidecar = true) {
    fs::create_directories(P(to_dir));
    const std::string to = P(to_dir + "/" + fs::path(from).filename().string());
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    if (sidecar) {
      fs::copy_file(from + ".fathom.json", to + ".fathom.json",
                    fs::copy_options::overwrite_existing);
    }
    return to;
  };
  const std::string s0 = Shard("mini.jsonl", 0), s1 = Shard("mini.jsonl", 1),
                    s2 = Shard("mini.jsonl", 2);

  // A shard graded under other limits.
  {
    const std::string other = copy(s1, "other-limits");
    Json sidecar = Json::parse(ReadFile(other + ".fathom.json"));
    sidecar["fingerprint"]["limits"] = "memory_bytes=1";
    std::ofstream(other + ".fathom.json") << sidecar.dump(1);
    Outcome r = merge({s0, other, s2});
    EXPECT_EQ(r.rc, 2) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("fingerprints differ"));
    EXPECT_THAT(r.err, HasSubstr("limits: "));
    EXPECT_FALSE(fs::exists(out));
    r = merge({s0, other, s2}, {"--allow-mismatch"});
    EXPECT_EQ(r.rc, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("merged despite: limits"));
    EXPECT_EQ(ReadFile(out), ReadFile(P("merged/mini.jsonl_results.jsonl")));
    fs::remove(out);
  }
  // A missing shard: its tasks are named; --allow-incomplete merges what is there.
  {
    Outcome r = merge({s0, s1});
    EXPECT_EQ(r.rc, 2) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("missing shards: 2/3"));
    EXPECT_THAT(r.err, HasSubstr("missing tasks ("));
    r = merge({s0, s1}, {"--allow-incomplete"});
    EXPECT_EQ(r.rc, 0) << r.err;
    const Json s2_sidecar = Json::parse(ReadFile(s2 + ".fathom.json"));
    const size_t covered = 35 - s2_sidecar["results"]["tasks"].size();
    EXPECT_THAT(r.out, HasSubstr(absl::StrCat("tasks      ", covered, " / 35 covered")));
    fs::remove(out);
  }
  // The same shard twice.
  {
    const std::string again = copy(s0, "again");
    Outcome r = merge({s0, again, s1, s2});
    EXPECT_EQ(r.rc, 2) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("duplicated tasks ("));
    r = merge({s0, again, s1, s2}, {"--allow-incomplete"});
    EXPECT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(ReadFile(out), ReadFile(P("merged/mini.jsonl_results.jsonl")));
    fs::remove(out);
  }
  // A results file without its sidecar has no fingerprint and no order.
  {
    const std::string bare = copy(s1, "bare", /*sidecar=*/false);
    Outcome r = merge({s0, bare, s2});
    EXPECT_EQ(r.rc, 2) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("no sidecar"));
    r = merge({s0, bare, s2}, {"--allow-mismatch"});
    EXPECT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(r.out.substr(0, r.out.find('\n')), whole_.out.substr(0, whole_.out.find('\n')));
    fs::remove(out);
  }
  // A results file changed after grading no longer matches its sidecar.
  {
    const std::string edited = copy(s2, "edited");
    std::string text = ReadFile(edited);
    text.erase(0, text.find('\n') + 1);
    std::ofstream(edited) << text;
    Outcome r = merge({s0, s1, edited});
    EXPECT_EQ(r.rc, 2) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr(edited));
    EXPECT_FALSE(fs::exists(out));
  }
  // A damaged sidecar is named with its field.
  {
    const std::string damaged = copy(s2, "damaged");
    Json sidecar = Json::parse(ReadFile(damaged + ".fathom.json"));
    sidecar["results"]["indices"] = "everything";
    std::ofstream(damaged + ".fathom.json") << sidecar.dump();
    Outcome r = merge({s0, s1, damaged});
    EXPECT_EQ(r.rc, 2) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr(damaged + ".fathom.json: results.indices"));
  }
  // Never over an input.
  {
    Outcome r = Fathom({"merge", "--problems", kMiniProblems, "--out", s0, s0, s1, s2});
    EXPECT_EQ(r.rc, 2) << r.err;
    EXPECT_THAT(r.err, HasSubstr("is one of the inputs"));
  }
}

TEST_F(ShardE2eTest, HumanEvalShardsMergeToTheUnshardedRun) {
  SKIP_WITHOUT_DATA();
  const std::string problems = (kData / "humaneval" / "HumanEval.jsonl.gz").string();
  Write("he.jsonl", CanonicalAndWrongSamples(problems, 164));
  GradeShardedAndMerge(problems, "he.jsonl", 4, {}, false);
  EXPECT_THAT(merged_.out, HasSubstr("{'pass@1': 0.5}"));
}

TEST_F(ShardE2eTest, HumanEvalPlusShardsMergeToTheUnshardedRunInEvalPlusFormat) {
  SKIP_WITHOUT_DATA();
  // HumanEval+'s first 30 tasks: I/O mode and the EvalPlus files (the Slurm test grades
  // all 164).
  const std::string problems = (kData / "humanevalplus" / "HumanEvalPlus.jsonl.gz").string();
  Write("hep.jsonl", CanonicalAndWrongSamples(problems, 30));
  GradeShardedAndMerge(problems, "hep.jsonl", 2, {"--format", "evalplus"}, true);
  EXPECT_THAT(merged_.out, HasSubstr("humaneval+ (base + extra tests)"));
}

TEST_F(ShardE2eTest, EvalShardsMergeToTheUnshardedRun) {
  const std::string samples = (kSource / "benchmarks" / "samples").string();
  const std::string scorer =
      "python3 -c 'import sys,json\nfor l in sys.stdin:\n r=json.loads(l); "
      "print(json.dumps({\"id\":r[\"id\"],\"score\":len(r[\"completion\"])/100}))'";
  auto eval = [&](const std::string& out, std::vector<std::string> more) {
    std::vector<std::string> args = {"eval",      "--suite",   "gpt-fathom", "--data", samples,
                                     "--predictions", samples, "--out",      P(out),   "--scorer",
                                     scorer,      "--bootstrap", "200",      "--seed", "3",
                                     "--api",     "completions"};
    args.insert(args.end(), more.begin(), more.end());
    return Fathom(args);
  };
  Outcome whole = eval("whole", {});
  ASSERT_EQ(whole.rc, 0) << whole.err;
  std::vector<std::string> merge = {"merge", "--out", P("merged")};
  for (int i = 0; i < 3; ++i) {
    Outcome r = eval(absl::StrCat("shard-", i), {"--shard", absl::StrCat(i, "/3")});
    ASSERT_EQ(r.rc, 0) << r.err;
    merge.push_back(P(absl::StrCat("shard-", i)));
  }
  Outcome merged = Fathom(merge);
  ASSERT_EQ(merged.rc, 0) << merged.err;
  EXPECT_EQ(merged.out, whole.out);  // the table
  EXPECT_EQ(ReadFile(P("merged/report.json")), ReadFile(P("whole/report.json")));
  // Events: equal but for when they were written and the command that wrote them.
  const std::regex created("\"created_at\":\"[^\"]*\"");
  int benchmarks = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(P("whole"))) {
    const std::string name = e.path().filename().string();
    if (name.size() < 12 || name.substr(name.size() - 12) != ".items.jsonl") continue;
    ++benchmarks;
    SCOPED_TRACE(name);
    EXPECT_EQ(ReadFile(P("merged/" + name)), ReadFile(e.path().string()));
    const std::string events = name.substr(0, name.size() - 12) + ".events.jsonl";
    std::istringstream a(ReadFile(P("whole/" + events))), b(ReadFile(P("merged/" + events)));
    std::string la, lb;
    int lines = 0;
    while (std::getline(a, la)) {
      ASSERT_TRUE(std::getline(b, lb));
      ++lines;
      Json ja = Json::parse(la), jb = Json::parse(lb);
      for (Json* j : {&ja, &jb}) {
        j->erase("created_at");
        if (j->contains("spec")) {
          (*j)["spec"].erase("created_at");
          (*j)["spec"]["run_config"].erase("command");
        }
      }
      EXPECT_EQ(jb, ja) << "line " << lines;
    }
    EXPECT_FALSE(std::getline(b, lb));
  }
  EXPECT_GE(benchmarks, 23);
  // Without one shard, the merge names what is missing.
  Outcome missing = Fathom({"merge", "--out", P("merged-2"), P("shard-0"), P("shard-1")});
  EXPECT_EQ(missing.rc, 2) << missing.err;
  EXPECT_THAT(missing.err, HasSubstr("items missing"));
}

TEST_F(ShardE2eTest, ShardAutoReadsTheSchedulersEnvironment) {
  Write("few.jsonl", ReadFile((kSource / "problems" / "fathom-mini.samples.jsonl").string())
                         .substr(0, 2000));
  std::string few = ReadFile(P("few.jsonl"));
  few.resize(few.rfind('\n') + 1);  // whole lines
  Write("few.jsonl", few);
  auto grade = [&](const std::string& shard, const std::vector<std::string>& env) {
    return Fathom({"grade", "--problems", kMiniProblems, "--samples", P("few.jsonl"),
                   "--timeout", "3", "--no-progress", "--shard", shard, "--out-dir", P("out")},
                  env);
  };
  auto shard_of = [&] {
    return Json::parse(ReadFile(P("out/few.jsonl_results.jsonl.fathom.json")))["shard"];
  };
  // sbatch --array=1-3: task 2 is the second of three.
  Outcome r = grade("auto", {"SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_COUNT=3",
                         "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_MAX=3"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(shard_of(), "1/3");
  r = grade("auto", {"JOB_COMPLETION_INDEX=0", "FATHOM_SHARD_COUNT=2"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(shard_of(), "0/2");
  r = grade("auto/4", {"JOB_COMPLETION_INDEX=3"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(shard_of(), "3/4");
  r = grade("auto", {"JOB_COMPLETION_INDEX=3"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("FATHOM_SHARD_COUNT"));
  r = grade("auto", {"SLURM_ARRAY_TASK_ID=", "JOB_COMPLETION_INDEX="});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("give --shard i/N"));
  r = grade("auto/2", {"SLURM_ARRAY_TASK_ID=0", "SLURM_ARRAY_TASK_COUNT=3"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("has 3 tasks"));
}

TEST_F(ShardE2eTest, PreparedDirectoryFromAnotherSetupIsRefused) {
  Outcome prep = Fathom({"prepare", "--problems", kMiniProblems, "--out", P("prepared")});
  ASSERT_EQ(prep.rc, 0) << prep.err;
  const std::string samples = (kSource / "problems" / "fathom-mini.samples.jsonl").string();
  auto grade = [&](std::vector<std::string> more) {
    std::vector<std::string> args = {"grade", "--problems", kMiniProblems, "--samples", samples,
                                     "--prepared", P("prepared"), "--out-dir", P("out"),
                                     "--no-progress"};
    args.insert(args.end(), more.begin(), more.end());
    return Fathom(args);
  };
  Outcome r = grade({"--no-zygote"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("the runner differs"));
  r = grade({"--limit", "memory_bytes=536870912"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("the limits differ"));
  // The same problems with one more blank line: another file as far as hashes go.
  Write("mini-copy.jsonl", ReadFile(kMiniProblems) + "\n");
  r = Fathom({"grade", "--problems", P("mini-copy.jsonl"), "--samples", samples, "--prepared",
              P("prepared"), "--out-dir", P("out")});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("the problem file differs"));
  fs::remove(P("prepared/prepared.json"));
  r = grade({});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("fathom prepare --out"));
  EXPECT_FALSE(fs::exists(P("out")));
}

}  // namespace
}  // namespace fathom::e2e
