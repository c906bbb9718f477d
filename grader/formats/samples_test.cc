// Problem and sample loading: formats, gzip, EvalPlus folders, bigcode lists, errors.
#include "grader/formats/samples.h"

#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

namespace fs = std::filesystem;

class SamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / absl::StrCat("samples_test_", getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Write("p.jsonl",
          R"({"task_id": "H/0", "prompt": "p", "test": "t", "entry_point": "f", "canonical_solution": "c"})"
          "\n"
          R"({"task_id": 7, "text": "x", "code": "c", "test_list": ["assert 1"], "test_setup_code": "", "challenge_test_list": []})"
          "\n");
    auto p = LoadProblems(Path("p.jsonl"));
    ASSERT_TRUE(p.ok()) << p.status();
    problems_ = *p;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& n) { return (dir_ / n).string(); }
  void Write(const std::string& n, const std::string& text) {
    fs::create_directories((dir_ / n).parent_path());
    std::ofstream(dir_ / n, std::ios::binary) << text;
  }
  std::vector<Sample> ReadAll(const std::string& path, std::vector<std::string>* errors) {
    auto src = OpenSamples(path, &problems_);
    EXPECT_TRUE(src.ok()) << src.status();
    std::vector<Sample> out;
    Sample s;
    std::string err;
    while (true) {
      ReadOutcome o = (*src)->Next(&s, &err);
      if (o == ReadOutcome::kEnd || o == ReadOutcome::kIoError) break;
      if (o == ReadOutcome::kBadRecord) {
        errors->push_back(err);
      } else {
        out.push_back(s);
      }
    }
    return out;
  }
  fs::path dir_;
  ProblemSet problems_;
};

TEST_F(SamplesTest, ProblemFormatsAreRecognised) {
  EXPECT_EQ(problems_.problems[0].format, ProblemFormat::kHumanEval);
  EXPECT_EQ(problems_.problems[1].format, ProblemFormat::kMbpp);
  EXPECT_EQ(problems_.problems[1].task_id, "7");
  EXPECT_NE(problems_.Find("7"), nullptr);
  Write("bad.jsonl", R"({"task_id": "H/0", "prompt": "p", "test": 5, "entry_point": "f"})" "\n");
  auto bad = LoadProblems(Path("bad.jsonl"));
  EXPECT_THAT(std::string(bad.status().message()),
              ::testing::HasSubstr("bad.jsonl:1: field `test` must be a string"));
}

TEST_F(SamplesTest, JsonlGzipAndSolutionWins) {
  std::string text =
      R"({"task_id": "H/0", "completion": "a"})" "\n\n"
      R"({"task_id": 7, "completion": "b", "solution": "s", "extra": [1]})" "\n";
  gzFile gz = gzopen(Path("s.jsonl.gz").c_str(), "wb");
  gzwrite(gz, text.data(), text.size());
  gzclose(gz);
  std::vector<std::string> errors;
  auto samples = ReadAll(Path("s.jsonl.gz"), &errors);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(samples[0].code, "a");
  EXPECT_FALSE(samples[0].is_solution);
  EXPECT_EQ(samples[1].task_id, "7");
  EXPECT_EQ(samples[1].code, "s");
  EXPECT_TRUE(samples[1].is_solution);
  EXPECT_EQ(samples[1].fields.dump(),
            R"({"task_id":7,"completion":"b","solution":"s","extra":[1]})");
}

TEST_F(SamplesTest, EvalPlusFolderLayout) {
  Write("dir/H_0/0.py", "def f(): return 0\n");
  Write("dir/H_0/10.py", "ten");
  Write("dir/H_0/2.py", "two");
  Write("dir/H_0/notes.txt", "x");
  Write("dir/7/0.py", "seven");
  Write("dir/Z_9/0.py", "unknown");
  std::vector<std::string> errors;
  auto samples = ReadAll(Path("dir"), &errors);
  ASSERT_EQ(samples.size(), 4u);
  EXPECT_EQ(samples[0].code, "def f(): return 0\n");
  EXPECT_EQ(samples[1].code, "two");
  EXPECT_EQ(samples[2].code, "ten");
  EXPECT_EQ(samples[2].completion_id, "10");
  EXPECT_EQ(samples[3].task_id, "7");
  EXPECT_TRUE(samples[3].is_solution);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_THAT(errors[0], ::testing::HasSubstr("notes.txt: not a sample file"));
  EXPECT_THAT(errors[1], ::testing::HasSubstr("Z_9: unknown task"));
  EXPECT_EQ(DefaultResultsPath(Path("dir") + "/"), Path("dir") + "_results.jsonl");
}

TEST_F(SamplesTest, BigcodeListOfLists) {
  Write("g.json", R"([["def f(): pass", "x"], ["y", 5]])");
  std::vector<std::string> errors;
  auto samples = ReadAll(Path("g.json"), &errors);
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].task_id, "H/0");
  EXPECT_EQ(samples[2].task_id, "7");
  EXPECT_EQ(samples[2].code, "y");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], ::testing::HasSubstr("list 1 (7) item 1: expected a string"));
}

TEST_F(SamplesTest, CheckerFlagsUnknownTasksAndDuplicateIds) {
  SampleChecker checker(&problems_);
  auto s = ParseSampleRecord(
      nlohmann::ordered_json::parse(R"({"task_id":"H/0","completion":"","completion_id":3})"),
      "f:1");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(checker.Check(*s).ok());
  EXPECT_THAT(std::string(checker.Check(*s).message()),
              ::testing::HasSubstr("f:1: duplicate completion_id 3 for task H/0"));
  // The same id for another task, and the id 3 as a string, are other pairs.
  for (const char* other : {R"({"task_id":7,"completion":"","completion_id":3})",
                            R"({"task_id":"H/0","completion":"","completion_id":"3"})"}) {
    auto o = ParseSampleRecord(nlohmann::ordered_json::parse(other), "f:4");
    ASSERT_TRUE(o.ok());
    EXPECT_TRUE(checker.Check(*o).ok()) << other;
  }
  auto u = ParseSampleRecord(nlohmann::ordered_json::parse(R"({"task_id":"Q","completion":""})"),
                             "f:2");
  EXPECT_THAT(std::string(checker.Check(*u).message()),
              ::testing::HasSubstr("f:2: unknown task_id Q"));
  auto bad = ParseSampleRecord(nlohmann::ordered_json::parse(R"({"task_id":[1],"completion":""})"),
                               "f:3");
  EXPECT_THAT(std::string(bad.status().message()), ::testing::HasSubstr("f:3: field `task_id`"));
}

}  // namespace
}  // namespace fathom::grader
