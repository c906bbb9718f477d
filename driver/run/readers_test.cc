// Readers: CSV records, JSON lines, ids, the data layout, predictions, bootstrap.
#include "driver/run/readers.h"

#include <filesystem>
#include <fstream>
#include <random>

#include "driver/run/predictions.h"
#include "driver/run/stats.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fathom::driver::run {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

TEST(CsvTest, SplitsRfc4180) {
  auto f = SplitCsvRecord("a,\"b,c\",\"say \"\"hi\"\"\",,\"line1\nline2\"\r");
  ASSERT_TRUE(f.ok());
  EXPECT_THAT(*f, ElementsAre("a", "b,c", "say \"hi\"", "", "line1\nline2"));
  EXPECT_THAT(*SplitCsvRecord(""), ElementsAre(""));
  EXPECT_THAT(*SplitCsvRecord("x,"), ElementsAre("x", ""));
  EXPECT_EQ(SplitCsvRecord("a\"b").status().message(), "field 1: a quote inside an unquoted field");
  EXPECT_EQ(SplitCsvRecord("\"a\"b").status().message(), "field 1: text after a closing quote");
  EXPECT_EQ(SplitCsvRecord("x,\"abc").status().message(), "field 2: unterminated quoted field");
  EXPECT_FALSE(CsvRecordComplete("a,\"b"));
  EXPECT_TRUE(CsvRecordComplete("a,\"b\nc\""));
}

TEST(CsvTest, FieldsThatAreNotUtf8AreAnErrorNamingTheColumn) {
  const std::vector<std::string> columns = {"question", "A", "B", "C", "D", "answer"};
  auto ok = CsvFieldsToObject({"q \xe4\xb8\xad", "1", "2", "3", "4", "B"}, columns);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["question"], "q \xe4\xb8\xad");
  EXPECT_EQ(CsvFieldsToObject({"q", "1", "\xed\xa0\x80", "3", "4", "B"}, columns).status().message(),
            "B: not valid UTF-8 (\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd)");
  EXPECT_EQ(CsvFieldsToObject({"q", "1", "2", "3", "4", "\xc0\xaf"}, columns).status().message(),
            "answer: not valid UTF-8 (\xef\xbf\xbd\xef\xbf\xbd)");
}

TEST(JsonLineTest, Errors) {
  EXPECT_EQ(ParseJsonObjectLine("{").status().message(), "not JSON");
  EXPECT_EQ(ParseJsonObjectLine("[1]").status().message(), "expected a JSON object, got array");
  EXPECT_TRUE(absl::IsNotFound(ParseJsonObjectLine("  \r").status()));
  EXPECT_EQ((*ParseJsonObjectLine("{\"a\":1}"))["a"], 1);
}

TEST(RowIdTest, FieldOrIndex) {
  nlohmann::json j = {{"task_id", "HumanEval/0"}, {"n", 7}, {"f", 1.5}};
  EXPECT_EQ(*RowId(j, "", 12), "12");
  EXPECT_EQ(*RowId(j, "task_id", 0), "HumanEval/0");
  EXPECT_EQ(*RowId(j, "n", 0), "7");
  EXPECT_EQ(RowId(j, "f", 0).status().message(), "f: expected a string or an integer, got number");
  EXPECT_EQ(*RowId(j, "id", 3), "3");  // no such field: the record index
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fathom_readers_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& rel, const std::string& text) {
    fs::path p = dir_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  fs::path dir_;
};

BenchmarkInfo Mmlu() {
  BenchmarkInfo i;
  i.name = "mmlu";
  i.eval_split = "test";
  i.subtask_field = "subject";
  i.subtasks = {"astronomy", "anatomy"};
  i.csv_columns = {"question", "A", "B", "C", "D", "answer"};
  return i;
}

TEST_F(TempDir, DirectoryOfCsvSubtasks) {
  Write("test/astronomy_test.csv", "q1,a,b,c,d,A\n\"multi\nline\",a,b,c,d,B\nbad\"q,a,b,c,d,C\n");
  Write("test/anatomy_test.csv", "q3,a,b,c,d,D\nshort,a\n");
  BenchmarkInfo info = Mmlu();
  auto files = ResolveSplit(info, dir_.string(), "test");
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].subtask, "astronomy");  // the benchmark's order, not the name's
  DataReader r(info, *files);
  Row row;
  std::string err;
  std::vector<std::string> got;
  ReadOutcome o;
  while ((o = r.Next(&row, &err)) != ReadOutcome::kEnd) {
    got.push_back(o == ReadOutcome::kRow
                      ? row.subtask + "/" + row.id + " " + row.fields["question"].get<std::string>()
                      : "error " + err.substr(err.find("test/")));
  }
  EXPECT_THAT(got, ElementsAre("astronomy/0 q1", "astronomy/1 multi\nline",
                               "error test/astronomy_test.csv:4: field 1: a quote inside an "
                               "unquoted field",
                               "anatomy/0 q3",
                               "error test/anatomy_test.csv:2: expected 6 fields "
                               "(question,A,B,C,D,answer), got 2"));
}

TEST_F(TempDir, OneFileWithSubtaskField) {
  std::string f = Write("all.jsonl",
                        "{\"q\":1,\"subject\":\"anatomy\"}\n\n{\"q\":2}\n"
                        "{\"q\":3,\"subject\":\"cooking\"}\nnot json\n{\"q\":4,\"subject\":7}\n");
  BenchmarkInfo info = Mmlu();
  DataReader r(info, *ResolveSplit(info, f, "test"));
  Row row;
  std::string err;
  std::vector<std::string> got;
  ReadOutcome o;
  while ((o = r.Next(&row, &err)) != ReadOutcome::kEnd) {
    got.push_back(o == ReadOutcome::kRow ? row.subtask + "/" + row.id
                                         : err.substr(err.find("all.jsonl")));
  }
  EXPECT_THAT(got, ElementsAre("anatomy/0", "all.jsonl:3: subject: missing",
                               "all.jsonl:4: subject: unknown mmlu sub-task 'cooking'",
                               "all.jsonl:5: not JSON",
                               "all.jsonl:6: subject: expected a string, got number"));
}

TEST_F(TempDir, ShotsFromSplitBesideTheDataAndMissingSplit) {
  BenchmarkInfo info = Mmlu();
  Write("test/astronomy.csv", "q,a,b,c,d,A\n");
  Write("dev/astronomy_dev.csv", "s1,a,b,c,d,A\ns2,a,b,c,d,B\ns3,a,b,c,d,C\n");
  ShotSource src{ShotSource::Kind::kSplit, "dev", "", 2};
  auto eval = *ResolveSplit(info, dir_.string(), "test");
  auto shots = LoadShots(info, src, {dir_.string(), ""}, eval);
  ASSERT_TRUE(shots.ok()) << shots.status();
  ASSERT_EQ(shots->rows["astronomy"].size(), 2u);
  EXPECT_EQ(ShotsFor(shots->rows, "astronomy")[1].fields["question"], "s2");
  EXPECT_TRUE(ShotsFor(shots->rows, "anatomy").empty());
  ShotSource val{ShotSource::Kind::kSplit, "validation", "", 1};
  auto missing = LoadShots(info, val, {dir_.string(), ""}, eval);
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  EXPECT_THAT(std::string(missing.status().message()),
              ::testing::HasSubstr("mmlu needs 1 few-shot rows from its 'validation' split"));
}

TEST_F(TempDir, PredictionsIndex) {
  BenchmarkInfo info;
  info.name = "gsm8k";
  std::string f = Write("p.jsonl",
                        "{\"id\":\"1\",\"completion\":\"a\"}\n"
                        "{\"id\":0,\"completions\":[\"b\",\"c\"]}\n"
                        "{\"id\":\"1\",\"completion\":\"dup\"}\n"
                        "{\"id\":2,\"completion\":5}\n"
                        "{\"question\":\"data row\",\"completion\":\"e\"}\n"
                        "oops\n");
  auto idx = PredictionIndex::Open(f, info);
  ASSERT_TRUE(idx.ok());
  ASSERT_EQ(idx->errors().size(), 3u);
  EXPECT_THAT(idx->errors()[0], ::testing::EndsWith("p.jsonl:3: id: '1' already given on line 1"));
  EXPECT_THAT(idx->errors()[1], ::testing::EndsWith("p.jsonl:4: completion: expected a string, got number"));
  EXPECT_THAT(idx->errors()[2], ::testing::EndsWith("p.jsonl:6: not JSON"));
  EXPECT_THAT(idx->Take("", "0")->completions, ElementsAre("b", "c"));
  EXPECT_THAT(idx->Take("", "1")->completions, ElementsAre("a"));
  EXPECT_THAT(idx->Take("", "4")->completions, ElementsAre("e"));  // its record index
  EXPECT_TRUE(absl::IsNotFound(idx->Take("", "1").status()));      // handed out once
  EXPECT_TRUE(absl::IsNotFound(idx->Take("", "9").status()));
  EXPECT_EQ(idx->unused_count(), 0);
}

TEST(StatsTest, DeterministicStratifiedBootstrap) {
  std::vector<std::vector<double>> s = {{1, 0, 1, 1}, {0, 0}, {}};
  Aggregate a = AggregateScores(s, 200, 7);
  Aggregate b = AggregateScores(s, 200, 7);
  EXPECT_DOUBLE_EQ(a.micro.value, 0.5);
  EXPECT_DOUBLE_EQ(a.macro.value, 0.375);  // (0.75 + 0) / 2: the empty one is left out
  EXPECT_EQ(a.micro.n, 6);
  EXPECT_EQ(a.subtasks[2].n, 0);
  EXPECT_EQ(a.micro.ci_low, b.micro.ci_low);
  EXPECT_EQ(a.macro.ci_high, b.macro.ci_high);
  EXPECT_LE(a.micro.ci_low, a.micro.value);
  EXPECT_GE(a.micro.ci_high, a.micro.value);
  EXPECT_DOUBLE_EQ(a.subtasks[1].ci_low, 0.0);
  EXPECT_DOUBLE_EQ(a.subtasks[1].ci_high, 0.0);
  Aggregate none = AggregateScores(s, 0, 7);
  EXPECT_DOUBLE_EQ(none.micro.ci_low, 0.5);
  EXPECT_DOUBLE_EQ(none.micro.ci_high, 0.5);
}

}  // namespace
}  // namespace fathom::driver::run

namespace fathom::driver::run {
namespace {

// The line parsers take any bytes: errors, never crashes (a seeded stand-in for the fuzzers).
TEST(ParsersTest, AnyBytes) {
  std::mt19937_64 rng(1);
  const std::string alphabet = "{}[]\",:\\\r\n ab01\x80\xff\xe4\xb8";
  BenchmarkInfo info;
  info.name = "x";
  info.subtask_field = "subject";
  int ok = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s(UniformBelow(rng, 40), ' ');
    for (char& c : s) c = alphabet[UniformBelow(rng, alphabet.size())];
    if (i % 3 == 0) s = "{\"id\":\"" + s + "\",\"completion\":\"" + s + "\"}";
    ok += SplitCsvRecord(s).ok();
    ok += ParseJsonObjectLine(s).ok();
    ok += ParsePredictionLine(s, info, i).ok();
    (void)CsvRecordComplete(s);
  }
  EXPECT_GT(ok, 0);
}

}  // namespace
}  // namespace fathom::driver::run
