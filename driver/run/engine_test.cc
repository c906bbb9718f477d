// The run engine on fake benchmarks: items, events, report, idempotency, adding a
// benchmark, bad input, missing predictions, code through a fake grader, the external
// scorer.
#include "driver/run/engine.h"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fathom::driver::run {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using ::testing::HasSubstr;

// A judge benchmark: rows {"q": string, "a": string, "subject"?}; the completion is right
// when it starts with `a`.
class FakeJudge : public Benchmark {
 public:
  explicit FakeJudge(std::string name, bool multi = false) {
    info_.name = name;
    info_.title = name;
    info_.category = "Knowledge";
    info_.metric = "accuracy";
    info_.eval_split = "test";
    if (multi) info_.subtask_field = "subject";
  }
  const BenchmarkInfo& info() const override { return info_; }
  ShotSource shots(Mode) const override { return {ShotSource::Kind::kTestHead, "", "", 1}; }
  absl::Status CheckRow(const Row& row) const override {
    for (const char* f : {"q", "a"}) {
      if (!row.fields.contains(f)) return absl::InvalidArgumentError(absl::StrCat(f, ": missing"));
      if (!row.fields[f].is_string()) {
        return absl::InvalidArgumentError(absl::StrCat(f, ": expected a string"));
      }
    }
    return absl::OkStatus();
  }
  absl::StatusOr<Prompt> BuildPrompt(const Row& row, std::span<const Row> shots, int n,
                                     Mode) const override {
    Prompt p;
    for (int i = 0; i < n && i < static_cast<int>(shots.size()); ++i) {
      p.text += shots[i].fields["q"].get<std::string>() + " " +
                shots[i].fields["a"].get<std::string>() + "\n";
      ++p.shots;
    }
    p.text += row.fields["q"].get<std::string>();
    p.messages = nlohmann::json::array({{{"role", "user"}, {"content", p.text}}});
    return p;
  }
  Judgement Judge(const Row& row, std::string_view c, Mode) const override {
    Judgement j;
    j.expected = row.fields["a"];
    j.extracted = std::string(c.substr(0, 1));
    j.detected = !c.empty();
    j.correct = c.rfind(row.fields["a"].get<std::string>(), 0) == 0;
    j.score = j.correct ? 1 : 0;
    return j;
  }
  absl::StatusOr<CodeProgram> Program(const Row&, std::string_view, Mode, Api) const override {
    return absl::UnimplementedError("judge");
  }
  BenchmarkInfo info_;
};

class FakeCode : public FakeJudge {
 public:
  FakeCode() : FakeJudge("code") {
    info_.scoring = Scoring::kCode;
    info_.metric = "pass@k";
    info_.id_field = "task_id";
    info_.pass_at_k = {1, 2, 10};
  }
  ShotSource shots(Mode) const override { return {}; }
  absl::Status CheckRow(const Row&) const override { return absl::OkStatus(); }
  absl::StatusOr<Prompt> BuildPrompt(const Row& row, std::span<const Row>, int,
                                     Mode) const override {
    return Prompt{"def " + row.id, nlohmann::json::array(), 0};
  }
  absl::StatusOr<CodeProgram> Program(const Row& row, std::string_view c, Mode,
                                      Api) const override {
    return CodeProgram{row.id, std::string(c), "assert ok", ""};
  }
};

// Passes a candidate when it contains "good".
class FakeGrader : public CodeGrader {
 public:
  absl::StatusOr<std::vector<CodeVerdict>> Grade(const std::vector<CodeTask>& tasks,
                                                 const std::vector<CodeSample>& samples,
                                                 const std::string&) override {
    ++calls;
    tasks_seen = tasks.size();
    std::vector<CodeVerdict> v;
    for (const CodeSample& s : samples) {
      bool ok = s.candidate.find("good") != std::string::npos;
      v.push_back({ok, ok ? "passed" : "failed", ok ? "passed" : "failed: "});
    }
    return v;
  }
  nlohmann::json Fingerprint() const override { return {{"fake", 1}}; }
  int calls = 0;
  size_t tasks_seen = 0;
};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fathom_engine_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "out");
    o_.out_dir = (dir_ / "out").string();
    o_.bootstrap = 100;
    o_.log = &log_;
    o_.fathom_version = "test";
    o_.registry_hash = "r";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& rel, const std::string& text) {
    fs::path p = dir_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  static std::string Read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static std::vector<Json> Lines(const fs::path& p) {
    std::vector<Json> out;
    std::istringstream in(Read(p));
    std::string line;
    while (std::getline(in, line)) out.push_back(Json::parse(line));
    return out;
  }
  static std::string NoTimes(std::string s) {
    return std::regex_replace(s, std::regex("\"created_at\":\"[^\"]*\""), "\"created_at\":\"T\"");
  }
  BenchmarkOutcome Run(const Benchmark& b) {
    absl::StatusOr<Json> old = ReadReport(o_.out_dir);
    const Json* prev = nullptr;
    if (old->contains("benchmarks") && (*old)["benchmarks"].contains(b.info().name)) {
      prev = &(*old)["benchmarks"][b.info().name];
    }
    absl::StatusOr<BenchmarkOutcome> r = EvalBenchmark(b, o_, prev);
    EXPECT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(CommitRun(o_.out_dir, Json{{"mode", "faithful"}}, {*r}, {"qa", "code"}).ok());
    return *r;
  }
  fs::path dir_;
  EvalOptions o_;
  std::ostringstream log_;
};

TEST_F(EngineTest, JudgeItemsEventsReportAndBadInput) {
  FakeJudge qa("qa");
  o_.data_path = Write("d/test.jsonl",
                       "{\"q\":\"1+1\",\"a\":\"2\"}\n"
                       "{\"q\":\"2+2\",\"a\":\"4\"}\n"
                       "{\"q\":\"3+3\"}\n"
                       "not json\n"
                       "{\"q\":\"4+4\",\"a\":\"8\"}\n"
                       "{\"q\":\"5+5\",\"a\":\"10\"}\n");
  o_.predictions_path = Write("p.jsonl",
                              "{\"id\":\"0\",\"completion\":\"2\"}\n"
                              "{\"id\":\"1\",\"completion\":\"5\"}\n"
                              "{\"id\":\"4\",\"completion\":\"8 it is\"}\n"
                              "{\"id\":\"9\",\"completion\":\"x\"}\n");
  BenchmarkOutcome r = Run(qa);
  const Json& e = r.report;
  EXPECT_EQ(e["rows"], 6);
  EXPECT_EQ(e["n"], 3);
  EXPECT_EQ(e["skipped"], 2);
  EXPECT_EQ(e["missing"], 1);
  EXPECT_EQ(e["unused_predictions"], 1);
  EXPECT_DOUBLE_EQ(e["value"].get<double>(), 2.0 / 3);
  EXPECT_EQ(e["missing_ids"], Json::array({"5"}));
  ASSERT_EQ(e["errors"].size(), 2u);
  EXPECT_THAT(e["errors"][0].get<std::string>(), testing::EndsWith("d/test.jsonl:3: a: missing"));
  EXPECT_THAT(e["errors"][1].get<std::string>(), testing::EndsWith("d/test.jsonl:4: not JSON"));
  EXPECT_THAT(log_.str(), HasSubstr("d/test.jsonl:3: a: missing"));

  std::vector<Json> items = Lines(dir_ / "out/qa.items.jsonl");
  ASSERT_EQ(items.size(), 6u);
  EXPECT_EQ(items[0]["id"], "0");
  EXPECT_EQ(items[0]["prompt"][0]["content"], "1+1 2\n1+1");  // test head: row 0 is the shot
  EXPECT_EQ(items[0]["completion"], "2");
  EXPECT_EQ(items[0]["extracted"], "2");
  EXPECT_EQ(items[0]["expected"], "2");
  EXPECT_EQ(items[0]["correct"], true);
  EXPECT_EQ(items[0]["score"], 1.0);
  EXPECT_EQ(items[1]["correct"], false);
  EXPECT_THAT(items[2]["skipped"].get<std::string>(), HasSubstr("test.jsonl:3: a: missing"));
  EXPECT_TRUE(items[3]["id"].is_null());
  EXPECT_EQ(items[5]["missing"], true);

  std::vector<Json> ev = Lines(dir_ / "out/qa.events.jsonl");
  ASSERT_EQ(ev.size(), 1u + 3 * 2 + 1);
  EXPECT_EQ(ev[0]["spec"]["eval_name"], "qa");
  EXPECT_EQ(ev[1]["type"], "sampling");
  EXPECT_EQ(ev[1]["sample_id"], "qa.test.0");
  EXPECT_EQ(ev[2]["type"], "match");
  EXPECT_EQ(ev[2]["data"]["picked"], "2");
  EXPECT_EQ(ev[2]["event_id"], 1);
  EXPECT_EQ(ev[5]["sample_id"], "qa.test.4");
  EXPECT_DOUBLE_EQ(ev.back()["final_report"]["accuracy"].get<double>(), 2.0 / 3);
  EXPECT_EQ(Read(dir_ / "out/events.jsonl"), Read(dir_ / "out/qa.events.jsonl"));
  EXPECT_FALSE(fs::exists(dir_ / "out/qa.items.jsonl.tmp"));
}

TEST_F(EngineTest, FewerShotsFromTheClientAreRecordedAndMarkTheRunOutOfWindow) {
  FakeJudge qa("qa");
  o_.data_path = Write("d/test.jsonl",
                       "{\"q\":\"1+1\",\"a\":\"2\"}\n"
                       "{\"q\":\"2+2\",\"a\":\"4\"}\n"
                       "{\"q\":\"3+3\",\"a\":\"6\"}\n");
  o_.predictions_path = Write("p.jsonl",
                              "{\"id\":\"0\",\"completion\":\"2\",\"shots\":1}\n"
                              "{\"id\":\"1\",\"completion\":\"4\"}\n"
                              "{\"id\":\"2\",\"completion\":\"6\",\"shots\":0}\n");
  BenchmarkOutcome r = Run(qa);
  EXPECT_EQ(r.report["out_of_window"], true);
  std::vector<Json> items = Lines(dir_ / "out/qa.items.jsonl");
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0]["shots"], 1);
  EXPECT_EQ(items[1]["shots"], 1);
  EXPECT_EQ(items[2]["shots"], 0);
  EXPECT_EQ(items[2]["prompt"][0]["content"], "3+3");  // rebuilt as it was sent
  EXPECT_EQ(Lines(dir_ / "out/qa.events.jsonl").back()["final_report"]["OUT OF WINDOW"], true);

  // Every prompt sent with the full count: not out of window.
  o_.predictions_path = Write("p.jsonl",
                              "{\"id\":\"0\",\"completion\":\"2\",\"shots\":1}\n"
                              "{\"id\":\"1\",\"completion\":\"4\"}\n"
                              "{\"id\":\"2\",\"completion\":\"6\"}\n");
  EXPECT_EQ(Run(qa).report["out_of_window"], false);

  // A prompt that fit nowhere (the client records an empty completion) marks it too.
  o_.predictions_path = Write("p.jsonl",
                              "{\"id\":\"0\",\"completion\":\"\",\"out_of_window\":true}\n"
                              "{\"id\":\"1\",\"completion\":\"4\",\"shots\":\"x\"}\n");
  BenchmarkOutcome bad = Run(qa);
  EXPECT_EQ(bad.report["out_of_window"], true);
  EXPECT_EQ(bad.report["bad_predictions"], 1);
}

TEST_F(EngineTest, IdempotentAddsAndReplaces) {
  FakeJudge qa("qa");
  FakeCode code;
  FakeGrader grader;
  o_.code_grader = &grader;
  o_.data_path = Write("d/test.jsonl", "{\"q\":\"a\",\"a\":\"1\"}\n{\"q\":\"b\",\"a\":\"2\"}\n");
  o_.predictions_path = Write("p.jsonl", "{\"id\":\"0\",\"completion\":\"1\"}\n{\"id\":\"1\",\"completion\":\"1\"}\n");
  Run(qa);
  const std::string report1 = Read(dir_ / "out/report.json");
  const std::string items1 = Read(dir_ / "out/qa.items.jsonl");
  const std::string events1 = NoTimes(Read(dir_ / "out/events.jsonl"));
  EXPECT_TRUE(Run(qa).unchanged);
  // Forced to re-score (the report forgotten): byte-identical but for timestamps.
  fs::remove(dir_ / "out/report.json");
  EXPECT_FALSE(Run(qa).unchanged);
  EXPECT_EQ(Read(dir_ / "out/report.json"), report1);
  EXPECT_EQ(Read(dir_ / "out/qa.items.jsonl"), items1);
  EXPECT_EQ(NoTimes(Read(dir_ / "out/events.jsonl")), events1);

  // A second benchmark joins the run.
  o_.data_path = Write("c/test.jsonl",
                       "{\"task_id\":\"T/0\"}\n{\"task_id\":\"T/1\"}\n");
  o_.predictions_path = Write("cp.jsonl",
                              "{\"id\":\"T/0\",\"completions\":[\"good\",\"bad\",\"good\"]}\n"
                              "{\"id\":\"T/1\",\"completions\":[\"bad\",\"bad\",\"bad\"]}\n");
  BenchmarkOutcome c = Run(code);
  EXPECT_EQ(grader.calls, 1);
  EXPECT_EQ(grader.tasks_seen, 2u);
  EXPECT_EQ(c.report["metric"], "pass@1");
  EXPECT_DOUBLE_EQ(c.report["value"].get<double>(), (2.0 / 3) / 2);
  // pass@2 = 1 - C(1,2)/C(3,2) = 1 for T/0, 0 for T/1; pass@10 needs n >= 10: left out.
  EXPECT_DOUBLE_EQ(c.report["pass_at_k"]["pass@2"]["value"].get<double>(), 0.5);
  EXPECT_FALSE(c.report["pass_at_k"].contains("pass@10"));
  std::vector<Json> items = Lines(dir_ / "out/code.items.jsonl");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]["passed"], Json::array({true, false, true}));
  EXPECT_EQ(items[0]["status"], Json::array({"passed", "failed", "passed"}));
  EXPECT_FALSE(items[0].contains("__pending"));
  Json report = Json::parse(Read(dir_ / "out/report.json"));
  EXPECT_TRUE(report["benchmarks"].contains("qa"));
  EXPECT_TRUE(report["benchmarks"].contains("code"));
  EXPECT_EQ(Read(dir_ / "out/events.jsonl"),
            Read(dir_ / "out/qa.events.jsonl") + Read(dir_ / "out/code.events.jsonl"));
  EXPECT_EQ(Read(dir_ / "out/qa.items.jsonl"), items1);  // left alone

  // Changed predictions replace that benchmark's results only.
  o_.predictions_path = Write("cp.jsonl",
                              "{\"id\":\"T/0\",\"completions\":[\"good\",\"good\",\"good\"]}\n"
                              "{\"id\":\"T/1\",\"completions\":[\"bad\",\"bad\",\"bad\"]}\n");
  c = Run(code);
  EXPECT_FALSE(c.unchanged);
  EXPECT_DOUBLE_EQ(c.report["value"].get<double>(), 0.5);
  EXPECT_EQ(grader.calls, 2);
}

TEST_F(EngineTest, SubtasksMacroAndMicro) {
  FakeJudge qa("qa", true);
  o_.data_path = Write("d/test.jsonl",
                       "{\"q\":\"a\",\"a\":\"1\",\"subject\":\"x\"}\n"
                       "{\"q\":\"b\",\"a\":\"1\",\"subject\":\"x\"}\n"
                       "{\"q\":\"c\",\"a\":\"1\",\"subject\":\"x\"}\n"
                       "{\"q\":\"d\",\"a\":\"1\",\"subject\":\"y\"}\n");
  o_.predictions_path = Write("p.jsonl",
                              "{\"id\":\"0\",\"completion\":\"1\"}\n{\"id\":\"1\",\"completion\":\"1\"}\n"
                              "{\"id\":\"2\",\"completion\":\"1\"}\n{\"id\":\"3\",\"completion\":\"0\"}\n");
  BenchmarkOutcome r = Run(qa);
  EXPECT_EQ(r.report["aggregation"], "macro");
  EXPECT_DOUBLE_EQ(r.report["value"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(r.report["micro"]["value"].get<double>(), 0.75);
  ASSERT_EQ(r.report["subtasks"].size(), 2u);
  EXPECT_EQ(r.report["subtasks"][0]["subtask"], "x");
  EXPECT_EQ(r.report["subtasks"][0]["n"], 3);
  // Each sub-task's shot is its own first row.
  std::vector<Json> items = Lines(dir_ / "out/qa.items.jsonl");
  EXPECT_EQ(items[3]["prompt"][0]["content"], "d 1\nd");
}

TEST_F(EngineTest, ExternalScorer) {
  FakeJudge tox("tox");
  tox.info_.scoring = Scoring::kExternal;
  tox.info_.metric = "toxicity";
  o_.data_path = Write("d/test.jsonl", "{\"q\":\"a\",\"a\":\"\"}\n{\"q\":\"b\",\"a\":\"\"}\n");
  o_.predictions_path = Write("p.jsonl", "{\"id\":\"0\",\"completion\":\"x\"}\n{\"id\":\"1\",\"completion\":\"yy\"}\n");
  absl::StatusOr<BenchmarkOutcome> none = EvalBenchmark(tox, o_, nullptr);
  EXPECT_TRUE(absl::IsFailedPrecondition(none.status()));
  EXPECT_THAT(std::string(none.status().message()), HasSubstr("--scorer"));
  // Scores each completion by its length / 10.
  o_.scorer_command =
      "python3 -c 'import sys,json\nfor l in sys.stdin:\n r=json.loads(l); "
      "print(json.dumps({\"id\":r[\"id\"],\"score\":len(r[\"completion\"])/10}))'";
  BenchmarkOutcome r = Run(tox);
  EXPECT_DOUBLE_EQ(r.report["value"].get<double>(), 0.15);
  std::vector<Json> ev = Lines(dir_ / "out/tox.events.jsonl");
  EXPECT_DOUBLE_EQ(ev.back()["final_report"]["summaryscore"].get<double>(), 0.15);
  o_.scorer_command = "exit 3";
  fs::remove(dir_ / "out/report.json");
  absl::StatusOr<BenchmarkOutcome> bad = EvalBenchmark(tox, o_, nullptr);
  EXPECT_EQ(bad.status().message(), "scorer command 'exit 3' exited with status 3");
}

}  // namespace
}  // namespace fathom::driver::run
