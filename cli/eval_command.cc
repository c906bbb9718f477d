// `fathom eval`: flags -> driver::run (readers, scoring, run directory) -> table / report.
#include "cli/eval_command.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/common.h"
#include "cli/eval_model.h"
#include "cli/flags.h"
#include "driver/benchmark.h"
#include "driver/run/engine.h"
#include "driver/run/run_dir.h"

namespace fathom::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr char kUsage[] =
    "usage: fathom eval (--benchmark NAME[,NAME...] | --suite gpt-fathom) --data PATH\n"
    "                   (--predictions FILE|DIR --out DIR | --prompts-only --out DIR)\n"
    "                   [--shots FILE] [--mode faithful|strict] [--api chat|completions]\n"
    "                   [--scorer CMD] [--bootstrap N] [--seed N] [--json] [--registry DIR]\n"
    "                   [--workers N] [--no-zygote] [--policies DIR] [--cache DIR]\n"
    "                   [--shard i/N|auto|auto/N]\n"
    "       fathom eval --list [--json] [--registry DIR]\n"
    "Scores saved completions on GPT-Fathom's benchmarks, exactly as GPT-Fathom does\n"
    "(--mode faithful, the default) or with its known bugs fixed (--mode strict), and\n"
    "writes a run directory: report.json, events.jsonl (GPT-Fathom's recorder layout),\n"
    "<benchmark>.items.jsonl. Running again with another benchmark adds it to the run; the\n"
    "same benchmark with the same inputs is left as it is.\n"
    "--data: the benchmark's file or directory; with several benchmarks a directory holding\n"
    "DATA/<name>/. --predictions: a JSONL file {\"id\",\"completion\"} (or \"completions\"), or\n"
    "a directory holding <name>/predictions.jsonl or <name>.jsonl per benchmark.\n"
    "--scorer CMD (or $FATHOM_EVAL_SCORER): the external scorer for realtoxicity (Perspective\n"
    "API): reads {\"id\",\"prompt\",\"completion\",...} JSON lines on stdin, writes\n"
    "{\"id\",\"score\"} lines on stdout in the same order.\n"
    "--shard i/N scores (and with --model asks for) only the rows whose id (\"<subtask>/<id>\"\n"
    "with sub-tasks) hashes to shard i (first 8 bytes of SHA-256, big-endian, mod N; auto:\n"
    "from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX); `fathom merge --out DIR RUN...`\n"
    "joins the shards' run directories.\n"
    "Exit codes: 0 scored, 1 some code samples hit sandbox_error, 2 usage or unreadable\n"
    "input.\n";

int Usage(const std::string& message) {
  PrintError("eval", absl::StrCat(message, "\n", kUsage));
  return kExitUsage;
}

std::string ShotText(const driver::ShotSource& s) {
  switch (s.kind) {
    case driver::ShotSource::Kind::kNone: return "0-shot";
    case driver::ShotSource::Kind::kSplit: return absl::StrCat(s.count, " from ", s.split);
    case driver::ShotSource::Kind::kBuiltin: return absl::StrCat(s.count, " built-in");
    case driver::ShotSource::Kind::kTestHead: return absl::StrCat(s.count, " from the test head");
  }
  return "";
}

Json ShotJson(const driver::ShotSource& s) {
  static const char* kinds[] = {"none", "split", "builtin", "test_head"};
  Json j = {{"source", kinds[static_cast<int>(s.kind)]}, {"count", s.count}};
  if (!s.split.empty()) j["split"] = s.split;
  if (!s.file.empty()) j["file"] = s.file;
  return j;
}

int List(const driver::Registry& registry, bool json) {
  Json all = Json::array();
  std::string text;
  for (const driver::Benchmark* b : registry.All()) {
    const driver::BenchmarkInfo& i = b->info();
    Json schema = Json::object();
    for (const auto& [field, desc] : i.schema) schema[field] = desc;
    Json e = {{"name", i.name},
              {"aliases", i.aliases},
              {"title", i.title},
              {"category", i.category},
              {"setting", i.setting},
              {"metric", i.metric},
              {"max_tokens", i.decoding.max_tokens},
              {"temperature", i.decoding.temperature},
              {"n", i.decoding.n},
              {"stop", i.decoding.stop},
              {"eval_split", i.eval_split},
              {"subtask_field", i.subtask_field},
              {"id_field", i.id_field},
              {"csv_columns", i.csv_columns},
              {"shots", {{"faithful", ShotJson(b->shots(driver::Mode::kFaithful))},
                         {"strict", ShotJson(b->shots(driver::Mode::kStrict))}}},
              {"schema", schema}};
    all.push_back(e);
    absl::StrAppend(&text, i.name, " (", i.title, "): ", i.category, ", ", i.setting, ", ",
                    i.metric, ", max_tokens ", i.decoding.max_tokens, "\n");
    absl::StrAppend(&text, "  split ", i.eval_split, "; shots ",
                    ShotText(b->shots(driver::Mode::kFaithful)), " (strict: ",
                    ShotText(b->shots(driver::Mode::kStrict)), ")");
    if (!i.subtask_field.empty()) absl::StrAppend(&text, "; sub-task field ", i.subtask_field);
    if (!i.id_field.empty()) absl::StrAppend(&text, "; id field ", i.id_field);
    if (!i.csv_columns.empty()) {
      absl::StrAppend(&text, "; CSV ", absl::StrJoin(i.csv_columns, ","));
    }
    if (!i.aliases.empty()) absl::StrAppend(&text, "; aliases ", absl::StrJoin(i.aliases, ", "));
    absl::StrAppend(&text, "\n");
    for (const auto& [field, desc] : i.schema) absl::StrAppend(&text, "    ", field, ": ", desc, "\n");
  }
  std::cout << (json ? all.dump(2) + "\n" : text);
  return kExitOk;
}

// DATA/<name> when it is there, else DATA itself (one benchmark only).
std::string DataFor(const std::string& data, const std::string& name, bool several) {
  const std::string sub = (fs::path(data) / name).string();
  if (fs::is_directory(sub)) return sub;
  return several ? sub : data;
}

std::string PredictionsFor(const std::string& preds, const std::string& name) {
  if (!fs::is_directory(preds)) return preds;
  for (const std::string& p : {(fs::path(preds) / name / "predictions.jsonl").string(),
                               (fs::path(preds) / (name + ".jsonl")).string(),
                               (fs::path(preds) / (name + ".predictions.jsonl")).string()}) {
    if (fs::is_regular_file(p)) return p;
  }
  return (fs::path(preds) / name / "predictions.jsonl").string();
}

}  // namespace

int EvalMain(int argc, char** argv) {
  Flags flags;
  flags.Value("benchmark", "benchmarks by name or GPT-Fathom alias, comma-separated", true);
  flags.Value("suite", "a named suite: gpt-fathom");
  flags.Value("data", "data file or directory (DATA/<name>/ for several benchmarks)");
  flags.Value("shots", "few-shot split file or directory (default: beside the data)");
  flags.Value("predictions", "predictions JSONL, or a directory of them per benchmark");
  flags.Value("out", "the run directory");
  flags.Value("mode", "faithful (default): GPT-Fathom's numbers; strict: its bugs fixed");
  flags.Value("api", "chat (default) | completions: which prompt form is recorded");
  flags.Bool("prompts-only", "write <benchmark>.prompts.jsonl and stop");
  flags.Bool("list", "list the benchmarks: schema, shots, metric, max_tokens, category");
  flags.Bool("json", "print report.json (or the list) as JSON");
  flags.Value("registry", "benchmark definitions directory (default: built in)");
  flags.Value("scorer", "external scorer command for realtoxicity (see above)");
  flags.Value("bootstrap", "bootstrap replicates for the 95% CI (default 1000; 0 = none)");
  flags.Value("seed", "bootstrap seed (default 0)");
  flags.Value("workers", "code benchmarks: concurrent sandbox runs (default: the cores)");
  flags.Bool("no-zygote", "code benchmarks: fresh interpreters instead of warm zygotes");
  flags.Value("policies", "policy directory (default: next to the binary)");
  flags.Value("cache", "code benchmarks: verdict and calibration cache directory");
  flags.Value("shard", "score one shard of the rows: i/N, auto (Slurm array, Indexed Job), auto/N");
  flags.Bool("help", "show this help");
  AddModelFlags(flags);
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) return Usage(std::string(s.message()));
  if (flags.GetBool("help")) {
    std::cout << kUsage << kEvalModelUsage << flags.Help();
    return kExitOk;
  }
  if (!flags.positionals().empty()) return Usage("unexpected arguments");

  absl::StatusOr<driver::Registry> registry = flags.Has("registry")
                                                  ? driver::Registry::Load(flags.Get("registry"))
                                                  : driver::Registry::LoadBuiltin();
  if (!registry.ok()) {
    PrintError("eval", std::string(registry.status().message()));
    return kExitUsage;
  }
  if (flags.GetBool("list")) return List(*registry, flags.GetBool("json"));

  std::vector<const driver::Benchmark*> benches;
  std::set<std::string> seen;
  auto add = [&](const driver::Benchmark* b) {
    if (seen.insert(b->info().name).second) benches.push_back(b);
  };
  if (flags.Has("suite")) {
    std::vector<const driver::Benchmark*> suite = registry->Suite(flags.Get("suite"));
    if (suite.empty()) return Usage(absl::StrCat("--suite ", flags.Get("suite"), ": unknown suite"));
    for (const driver::Benchmark* b : suite) add(b);
  }
  for (const std::string& list : flags.GetAll("benchmark")) {
    for (absl::string_view name : absl::StrSplit(list, ',', absl::SkipEmpty())) {
      const driver::Benchmark* b = registry->Find(std::string_view(name.data(), name.size()));
      if (b == nullptr) {
        std::vector<std::string> names;
        for (const driver::Benchmark* x : registry->All()) names.push_back(x->info().name);
        return Usage(absl::StrCat("--benchmark ", name, ": unknown benchmark (known: ",
                                  absl::StrJoin(names, ", "), ")"));
      }
      add(b);
    }
  }
  if (benches.empty()) return Usage("give --benchmark or --suite (or --list)");
  if (!flags.Has("data")) return Usage("--data is required");
  if (!flags.Has("out")) return Usage("--out is required");
  const bool prompts_only = flags.GetBool("prompts-only");
  if (!prompts_only && !flags.Has("predictions") && !flags.Has("model")) {
    return Usage("--predictions or --model is required (or --prompts-only)");
  }
  if (flags.Has("predictions") && flags.Has("model")) {
    return Usage("--predictions and --model exclude each other");
  }

  if (benches.size() > 1 && !prompts_only && !fs::is_directory(flags.Get("predictions"))) {
    return Usage("--predictions: with several benchmarks, give a directory holding "
                 "<name>/predictions.jsonl or <name>.jsonl per benchmark");
  }

  driver::run::EvalOptions o;
  o.out_dir = flags.Get("out");
  o.shots_path = flags.Get("shots");
  const std::string mode = flags.Get("mode", "faithful");
  if (mode != "faithful" && mode != "strict") return Usage("--mode: expected faithful or strict");
  o.mode = mode == "strict" ? driver::Mode::kStrict : driver::Mode::kFaithful;
  const std::string api = flags.Get("api", "chat");
  if (api != "chat" && api != "completions") return Usage("--api: expected chat or completions");
  o.api = api == "chat" ? driver::Api::kChat : driver::Api::kCompletions;
  if (flags.Has("bootstrap") &&
      (!absl::SimpleAtoi(flags.Get("bootstrap"), &o.bootstrap) || o.bootstrap < 0 ||
       o.bootstrap > 1000000)) {
    return Usage("--bootstrap: expected an integer in [0, 1000000]");
  }
  if (flags.Has("seed") && !absl::SimpleAtoi(flags.Get("seed"), &o.seed)) {
    return Usage("--seed: expected a non-negative integer");
  }
  o.scorer_command = flags.Get("scorer");
  if (o.scorer_command.empty()) {
    const char* env = std::getenv("FATHOM_EVAL_SCORER");
    if (env != nullptr) o.scorer_command = env;
  }
  if (flags.Has("shard")) {
    absl::StatusOr<grader::ShardSpec> shard = grader::ParseShard(flags.Get("shard"));
    if (!shard.ok()) return Usage(std::string(shard.status().message()));
    o.shard = *shard;
  }
  o.fathom_version = kFathomVersion;
  o.registry_hash = registry->hash();
  {
    std::vector<std::string> words = {"fathom"};
    for (int i = 0; i < argc; ++i) words.push_back(argv[i]);
    o.command_line = absl::StrJoin(words, " ");
  }
  const std::string mode_name = std::string(mode);

  absl::StatusOr<driver::run::RunLock> lock = driver::run::RunLock::Acquire(o.out_dir);
  if (!lock.ok()) {
    PrintError("eval", std::string(lock.status().message()));
    return kExitUsage;
  }
  const bool several = benches.size() > 1;
  absl::StatusOr<std::unique_ptr<EvalModel>> model =
      prompts_only ? std::unique_ptr<EvalModel>()
                   : EvalModel::FromFlags(flags, o.out_dir, registry->hash(), o.shard);
  if (!model.ok()) {
    if (model.status().code() == absl::StatusCode::kInvalidArgument) {
      return Usage(std::string(model.status().message()));
    }
    PrintError("eval", std::string(model.status().message()));
    return kExitUsage;
  }
  if (*model != nullptr && (*model)->dry_run()) {
    int rc = kExitOk;
    for (const driver::Benchmark* b : benches) {
      absl::StatusOr<std::string> r = (*model)->Generate(
          *b, DataFor(flags.Get("data"), b->info().name, several), o.shots_path, o.mode, o.api);
      if (!r.ok()) {
        PrintError("eval", absl::StrCat(b->info().name, ": ", r.status().message()));
        rc = kExitUsage;
      }
    }
    return rc;
  }
  if (*model != nullptr) {
    // Every benchmark before any: a refused run changes nothing in the run directory.
    for (const driver::Benchmark* b : benches) {
      if (absl::Status s = (*model)->CheckResume(
              *b, DataFor(flags.Get("data"), b->info().name, several), o.shots_path, o.mode, o.api);
          !s.ok()) {
        PrintError("eval", absl::StrCat(b->info().name, ": ", s.message()));
        return kExitUsage;
      }
    }
  }
  std::vector<std::string> order;
  for (const driver::Benchmark* b : registry->All()) order.push_back(b->info().name);

  if (prompts_only) {
    int rc = kExitOk;
    for (const driver::Benchmark* b : benches) {
      o.data_path = DataFor(flags.Get("data"), b->info().name, several);
      absl::StatusOr<driver::run::PromptsOutcome> p = driver::run::WritePrompts(*b, o);
      if (!p.ok()) {
        PrintError("eval", absl::StrCat(b->info().name, ": ", p.status().message()));
        rc = kExitUsage;
        continue;
      }
      std::cout << b->info().name << ": " << p->prompts << " prompts -> " << p->path
                << (p->skipped > 0 ? absl::StrCat(" (", p->skipped, " rows skipped)") : "")
                << "\n";
    }
    return rc;
  }

  absl::StatusOr<Json> existing = driver::run::ReadReport(o.out_dir);
  if (!existing.ok()) {
    PrintError("eval", std::string(existing.status().message()));
    return kExitUsage;
  }
  if (existing->contains("fingerprint")) {
    const Json& fp = (*existing)["fingerprint"];
    if (fp.value("mode", mode_name) != mode_name) {
      PrintError("eval", absl::StrCat(o.out_dir, " holds a ", fp.value("mode", ""),
                                      "-mode run; give --mode ", fp.value("mode", ""),
                                      " or another --out"));
      return kExitUsage;
    }
  }

  driver::run::SandboxCodeGraderOptions go;
  go.policies_dir = flags.Get("policies");
  go.use_zygote = !flags.GetBool("no-zygote");
  go.cache_dir = flags.Get("cache");
  if (flags.Has("workers") && (!absl::SimpleAtoi(flags.Get("workers"), &go.workers) || go.workers < 1)) {
    return Usage("--workers: expected a positive integer");
  }
  std::unique_ptr<driver::run::CodeGrader> code = driver::run::MakeSandboxCodeGrader(go);
  o.code_grader = code.get();

  int rc = kExitOk;
  std::vector<driver::run::BenchmarkOutcome> outcomes;
  std::vector<std::string> shown;
  for (const driver::Benchmark* b : benches) {
    const std::string& name = b->info().name;
    o.data_path = DataFor(flags.Get("data"), name, several);
    if (*model != nullptr) {
      absl::StatusOr<std::string> generated =
          (*model)->Generate(*b, o.data_path, o.shots_path, o.mode, o.api);
      if (!generated.ok()) {
        PrintError("eval", absl::StrCat(name, ": ", generated.status().message()));
        // The endpoint refused, the key was wrong, the cache failed: every benchmark would
        // fail the same way, so stop (what was answered is cached). Bad inputs: go on.
        if (EvalModel::StopsTheRun(generated.status())) return kExitUsage;
        rc = kExitUsage;
        continue;
      }
      o.predictions_path = *generated;
      o.predictions_per_shard = o.shard.sharded();
    } else {
      o.predictions_path = PredictionsFor(flags.Get("predictions"), name);
      // A directory of predictions may cover only some of the suite: the rest are named,
      // not failed.
      if (fs::is_directory(flags.Get("predictions")) && !fs::exists(o.predictions_path)) {
        std::cerr << "fathom eval: " << name << ": no predictions in " << flags.Get("predictions")
                  << " (looked for " << name << "/predictions.jsonl, " << name << ".jsonl, "
                  << name << ".predictions.jsonl); not scored\n";
        continue;
      }
    }
    const Json* previous = nullptr;
    if (existing->contains("benchmarks") && (*existing)["benchmarks"].contains(name)) {
      previous = &(*existing)["benchmarks"][name];
    }
    absl::StatusOr<driver::run::BenchmarkOutcome> r = driver::run::EvalBenchmark(*b, o, previous);
    if (!r.ok()) {
      PrintError("eval", absl::StrCat(name, ": ", r.status().message()));
      rc = kExitUsage;
      continue;
    }
    if (r->unchanged) std::cerr << "fathom eval: " << name << ": inputs unchanged, kept\n";
    if (r->sandbox_errors > 0 && rc == kExitOk) rc = kExitSandboxErrors;
    shown.push_back(name);
    outcomes.push_back(*std::move(r));
  }
  Json fingerprint = {{"fathom_version", kFathomVersion},
                      {"registry_hash", registry->hash()},
                      {"mode", mode_name}};
  if (!outcomes.empty()) {
    if (absl::Status s = driver::run::CommitRun(o.out_dir, fingerprint, outcomes, order); !s.ok()) {
      PrintError("eval", std::string(s.message()));
      return kExitUsage;
    }
  }
  absl::StatusOr<Json> report = driver::run::ReadReport(o.out_dir);
  if (!report.ok()) {
    PrintError("eval", std::string(report.status().message()));
    return kExitUsage;
  }
  if (flags.GetBool("json")) {
    std::cout << report->dump(2) << "\n";
  } else {
    std::vector<std::string> names;
    for (const std::string& n : order) {
      if ((*report)["benchmarks"].contains(n)) names.push_back(n);
    }
    std::cout << driver::run::ReportTable(*report, names);
  }
  return rc;
}

}  // namespace fathom::cli
