// Every GPT-Fathom ground-truth vector (tests/driver/fidelity/, produced by running
// GPT-Fathom's own eval classes at commit 4b7e78b; see scripts/gpt-fathom-truth/) through
// the registry's Benchmarks: Judge against <benchmark>.jsonl, BuildPrompt against
// prompts/<benchmark>.jsonl (shot rows from benchmarks/samples/<benchmark>/), Program
// against the code vectors, PyRandom against shuffle.jsonl. Failures name the GPT-Fathom
// function the vector came from.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "driver/bench/agieval_shots.h"
#include "driver/bench/py_random.h"
#include "driver/benchmark.h"
#include "nlohmann/json.hpp"

namespace fathom::driver {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const fs::path kRoot = FATHOM_SOURCE_DIR;
const fs::path kVectors = kRoot / "tests/driver/fidelity";
const fs::path kSamples = kRoot / "benchmarks/samples";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<json> ReadJsonl(const fs::path& p) {
  std::vector<json> out;
  std::istringstream in(ReadFile(p));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

std::string IdOf(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

const Registry& TheRegistry() {
  static const Registry* r = [] {
    absl::StatusOr<Registry> reg = Registry::Load((kRoot / "benchmarks").string());
    EXPECT_TRUE(reg.ok()) << reg.status();
    return new Registry(std::move(*reg));
  }();
  return *r;
}

TEST(Fidelity, JudgeMatchesGptFathom) {
  int checked = 0;
  for (const Benchmark* b : TheRegistry().All()) {
    const fs::path file = kVectors / (b->info().name + ".jsonl");
    if (b->info().scoring != Scoring::kJudge || !fs::exists(file)) continue;
    int n = 0;
    for (const json& v : ReadJsonl(file)) {
      Row row;
      row.id = IdOf(v["id"]);
      row.subtask = v.contains("subtask") && v["subtask"].is_string() ? v["subtask"].get<std::string>() : "";
      row.fields = v["row"];
      ASSERT_TRUE(b->CheckRow(row).ok()) << b->info().name << " " << row.id << ": " << b->CheckRow(row);
      const Judgement j = b->Judge(row, v["completion"].get<std::string>(), Mode::kFaithful);
      const std::string where = b->info().name + " id " + row.id + " [" + v["branch"].dump() +
                                "] from " + v["source"].get<std::string>();
      if (v["extracted"].is_string()) {
        EXPECT_EQ(j.extracted, v["extracted"].get<std::string>()) << where;
      }
      EXPECT_EQ(j.expected, v["expected"]) << where;
      EXPECT_EQ(j.correct, v["correct"].get<bool>()) << where;
      EXPECT_NEAR(j.score, v["score"].get<double>(), 1e-12) << where;
      ++n;
    }
    std::cout << b->info().name << ": " << n << " verdict vectors\n";
    checked += n;
  }
  EXPECT_GT(checked, 100);
}

// Strict mode has no GPT-Fathom truth; it must still judge every vector row, in [0, 1].
TEST(Fidelity, StrictJudgesEveryVectorRow) {
  for (const Benchmark* b : TheRegistry().All()) {
    const fs::path file = kVectors / (b->info().name + ".jsonl");
    if (b->info().scoring != Scoring::kJudge || !fs::exists(file)) continue;
    for (const json& v : ReadJsonl(file)) {
      Row row;
      row.subtask = v.contains("subtask") && v["subtask"].is_string() ? v["subtask"].get<std::string>() : "";
      row.fields = v["row"];
      const Judgement j = b->Judge(row, v["completion"].get<std::string>(), Mode::kStrict);
      EXPECT_GE(j.score, 0.0);
      EXPECT_LE(j.score, 1.0);
      if (j.correct && b->info().metric == "accuracy") {
        EXPECT_EQ(j.score, 1.0);
      }
    }
  }
}

// The evaluated rows of a sample set, by (subtask, id).
std::map<std::pair<std::string, std::string>, Row> SampleRows(const Benchmark& b) {
  std::map<std::pair<std::string, std::string>, Row> out;
  const BenchmarkInfo& info = b.info();
  const fs::path dir = kSamples / info.name;
  if (info.name == "mmlu") {
    for (const auto& e : fs::directory_iterator(dir / "test")) {
      const std::string subject = e.path().stem().string();
      int line = 0;
      for (const auto& cells : bench::ParseCsv(ReadFile(e.path()))) {
        Row r;
        r.id = std::to_string(line++);
        r.subtask = subject;
        for (size_t i = 0; i < cells.size() && i < info.csv_columns.size(); ++i) {
          r.fields[info.csv_columns[i]] = cells[i];
        }
        out[{subject, r.id}] = r;
      }
    }
    return out;
  }
  const fs::path file = dir / (info.eval_split == "train" ? "train.jsonl" : "test.jsonl");
  // The prompt vectors number the rows of a single-file multi-task set per sub-task
  // (samples/README.md says per file; the vectors are what GPT-Fathom ran per sub-eval).
  std::map<std::string, int> line;
  for (const json& v : ReadJsonl(file)) {
    Row r;
    r.subtask = info.subtask_field.empty() ? "" : v.value(info.subtask_field, "");
    // The id field when the row has it, else the 0-based line (the sample rows have none).
    r.id = info.id_field.empty() || !v.contains(info.id_field) ? std::to_string(line[r.subtask])
                                                               : IdOf(v[info.id_field]);
    ++line[r.subtask];
    r.fields = v;
    out[{r.subtask, r.id}] = r;
  }
  return out;
}

// The shot rows GPT-Fathom used for `subtask`, from the sample set.
std::vector<Row> SampleShots(const Benchmark& b, const std::string& subtask) {
  const BenchmarkInfo& info = b.info();
  const ShotSource src = b.shots(Mode::kFaithful);
  const fs::path dir = kSamples / info.name;
  std::vector<Row> out;
  auto add_jsonl = [&](const fs::path& file) {
    for (const json& v : ReadJsonl(file)) {
      if (!info.subtask_field.empty() && !subtask.empty() && v.contains(info.subtask_field) &&
          v[info.subtask_field] != subtask) {
        continue;
      }
      Row r;
      r.id = std::to_string(out.size());
      r.subtask = subtask;
      r.fields = v;
      out.push_back(r);
    }
  };
  switch (src.kind) {
    case ShotSource::Kind::kSplit:
      if (info.name == "mmlu") {
        for (const auto& cells : bench::ParseCsv(ReadFile(dir / "dev" / (subtask + ".csv")))) {
          Row r;
          for (size_t i = 0; i < cells.size(); ++i) r.fields[info.csv_columns[i]] = cells[i];
          out.push_back(r);
        }
      } else {
        add_jsonl(dir / (src.split + ".jsonl"));
      }
      break;
    case ShotSource::Kind::kTestHead:
      add_jsonl(dir / "test.jsonl");
      break;
    case ShotSource::Kind::kBuiltin:
      if (info.name.rfind("agieval", 0) == 0) {
        auto tasks = bench::ParseAgievalFewShotCsv("few_shot_prompts.csv",
                                                   ReadFile(dir / "few_shot_prompts.csv"));
        EXPECT_TRUE(tasks.ok()) << tasks.status();
        if (tasks.ok() && tasks->count(subtask)) out = (*tasks)[subtask];
      }
      break;
    case ShotSource::Kind::kNone:
      break;
  }
  return out;
}

TEST(Fidelity, PromptsMatchGptFathom) {
  int checked = 0;
  for (const Benchmark* b : TheRegistry().All()) {
    const fs::path file = kVectors / "prompts" / (b->info().name + ".jsonl");
    if (!fs::exists(file)) continue;
    const auto rows = SampleRows(*b);
    int n = 0;
    for (const json& v : ReadJsonl(file)) {
      const std::string subtask = v["subtask"].is_string() ? v["subtask"].get<std::string>() : "";
      const std::string id = IdOf(v["id"]);
      auto it = rows.find({subtask, id});
      ASSERT_NE(it, rows.end()) << b->info().name << " " << subtask << " " << id;
      const std::vector<Row> shots = SampleShots(*b, subtask);
      absl::StatusOr<Prompt> p =
          b->BuildPrompt(it->second, shots, v["shots"].get<int>(), Mode::kFaithful);
      const std::string where = b->info().name + " " + subtask + " id " + id;
      ASSERT_TRUE(p.ok()) << where << ": " << p.status();
      EXPECT_EQ(p->text, v["text"].get<std::string>()) << where;
      if (v.contains("messages") && !v["messages"].is_null()) {
        EXPECT_EQ(p->messages, v["messages"]) << where;
      }
      ++n;
    }
    std::cout << b->info().name << ": " << n << " prompt vectors\n";
    checked += n;
  }
  EXPECT_GT(checked, 20);
}

TEST(Fidelity, CodeProgramsMatchGptFathom) {
  for (const char* name : {"humaneval", "mbpp"}) {
    const Benchmark* b = TheRegistry().Find(name);
    ASSERT_NE(b, nullptr);
    for (const json& v : ReadJsonl(kVectors / (std::string(name) + ".jsonl"))) {
      Row row;
      row.id = IdOf(v["row"]["task_id"]);
      row.fields = v["row"];
      const std::string kind = v["model_kind"].get<std::string>();
      const Api api = kind == "completion" ? Api::kCompletions : Api::kChat;
      const std::string model = kind == "chat-1106" ? "gpt-4-1106-preview" : "";
      for (size_t i = 0; i < v["completions"].size(); ++i) {
        // The harness's stand-in API ignores `stop`; the real one cut there, and Program
        // cuts saved completions the same way, so such vectors do not apply.
        const std::string c = v["completions"][i].get<std::string>();
        bool has_stop = false;
        for (const std::string& s : b->info().decoding.stop) {
          has_stop = has_stop || (kind != "chat-1106" && c.find(s) != std::string::npos);
        }
        if (has_stop) {
          std::cout << name << " " << row.id << " #" << i << ": skipped (holds a stop sequence)\n";
          continue;
        }
        absl::StatusOr<CodeProgram> p = b->ProgramForModel(
            row, v["completions"][i].get<std::string>(), Mode::kFaithful, api, model);
        ASSERT_TRUE(p.ok()) << p.status();
        EXPECT_EQ(p->candidate, v["programs"][i].get<std::string>())
            << name << " " << row.id << " #" << i << " (" << kind << ") from "
            << v["source"].get<std::string>();
      }
    }
  }
}

TEST(Fidelity, ShuffleMatchesCPython) {
  for (const json& v : ReadJsonl(kVectors / "shuffle.jsonl")) {
    bench::PyRandom rng(v["seed"].get<uint64_t>());
    if (v.contains("perm")) {
      EXPECT_EQ(bench::ShuffledOrder(v["n"].get<int>(), rng), v["perm"].get<std::vector<int>>())
          << v.dump();
    } else {
      for (size_t i = 0; i < v["sequence"].size(); ++i) {
        EXPECT_EQ(bench::ShuffledOrder(v["sequence"][i].get<int>(), rng),
                  v["perms"][i].get<std::vector<int>>())
            << v.dump();
      }
    }
  }
}

}  // namespace
}  // namespace fathom::driver
