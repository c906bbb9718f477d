// `fathom eval --model`: flags -> driver::client (client, cache, generation) -> a
// predictions file in the run directory, which the engine scores.
#include "cli/eval_model.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "driver/client/generate.h"
#include "driver/run/engine.h"
#include "driver/run/run_dir.h"
#include "nlohmann/json.hpp"

namespace fathom::cli {

namespace fs = std::filesystem;
namespace dc = driver::client;

const char kEvalModelUsage[] =
    "With --model, fathom eval asks an OpenAI-compatible endpoint for the completions\n"
    "instead of reading --predictions (they are kept as OUT/<benchmark>.predictions.jsonl):\n"
    "  --model NAME --endpoint URL (default https://api.openai.com/v1)\n"
    "  --api chat|completions --concurrency N (8) --rpm N --tpm N --max-retries N (6)\n"
    "  --timeout S (300) --samples N --context-window TOKENS --api-key-env NAME\n"
    "  --response-cache FILE (default OUT/responses.sqlite) --no-cache --refresh --dry-run\n"
    "  --no-resume (OUT/model.json names the run's model, endpoint and API, and\n"
    "  OUT/<benchmark>.model.json everything that shapes its requests: decoding, template,\n"
    "  --samples, mode, --context-window, data; a rerun that would ask something else is\n"
    "  refused without it, and starts that benchmark over with it)\n"
    "The API key comes from $OPENAI_API_KEY (or the variable --api-key-env names) and is\n"
    "never logged or written. Every answer is cached as it arrives: rerun the same command\n"
    "after an interruption and nothing already answered is asked again.\n";

void AddModelFlags(Flags& flags) {
  flags.Value("model", "ask this model for the completions (see below)");
  flags.Value("endpoint", "the API's base URL, up to /v1 (default https://api.openai.com/v1)");
  flags.Value("concurrency", "model requests in flight (default 8)");
  flags.Value("rpm", "model requests per minute (default: no limit)");
  flags.Value("tpm", "model tokens per minute, estimated (default: no limit)");
  flags.Value("max-retries", "retries of a request on 429, 5xx, timeouts (default 6)");
  flags.Value("timeout", "seconds per model request (default 300)");
  flags.Value("response-cache", "the model's answers (SQLite; default OUT/responses.sqlite)");
  flags.Bool("no-cache", "neither read nor write the response cache");
  flags.Bool("refresh", "ask the model again; overwrite the cached answers");
  flags.Value("samples", "at most N completions per item (default: the benchmark's n)");
  flags.Value("context-window", "the model's window in tokens: fewer shots when a prompt "
                                "would not fit (estimated; the server's error is the backstop)");
  flags.Value("api-key-env", "the environment variable holding the API key (default "
                             "OPENAI_API_KEY)");
  flags.Bool("dry-run", "print the requests and prompt tokens a run would send; send none");
  flags.Bool("no-resume", "start over a benchmark whose requests changed (model, decoding, "
                         "template, data...) instead of refusing");
}

namespace {

absl::Status PositiveInt(const Flags& flags, const std::string& name, int* out, int min) {
  if (!flags.Has(name)) return absl::OkStatus();
  if (!absl::SimpleAtoi(flags.Get(name), out) || *out < min) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": expected an integer >= ", min));
  }
  return absl::OkStatus();
}

absl::Status PositiveDouble(const Flags& flags, const std::string& name, double* out) {
  if (!flags.Has(name)) return absl::OkStatus();
  if (!absl::SimpleAtod(flags.Get(name), out) || !(*out > 0)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, ": expected a number > 0"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<EvalModel>> EvalModel::FromFlags(const Flags& flags,
                                                                 const std::string& out_dir,
                                                                 const std::string& registry_hash,
                                                                 const grader::ShardSpec& shard) {
  if (!flags.Has("model")) {
    for (const char* f : {"endpoint", "concurrency", "rpm", "tpm", "max-retries", "timeout",
                          "response-cache", "no-cache", "refresh", "samples", "context-window",
                          "api-key-env", "dry-run", "no-resume"}) {
      if (flags.Has(f)) return absl::InvalidArgumentError(absl::StrCat("--", f, " needs --model"));
    }
    return nullptr;
  }
  // One run directory, one model: OUT/model.json says which.
  const nlohmann::json who = {{"model", flags.Get("model")},
                              {"endpoint", dc::NormalizeEndpoint(flags.Get(
                                               "endpoint", "https://api.openai.com/v1"))},
                              {"api", flags.Get("api", "chat")}};
  const std::string who_path = (fs::path(out_dir) / "model.json").string();
  nlohmann::json was;
  if (fs::exists(who_path)) {
    std::ifstream in(who_path);
    was = nlohmann::json::parse(in, nullptr, false);
  }
  if (fs::exists(who_path) && !flags.GetBool("no-resume")) {
    if (was != who) {
      return absl::FailedPreconditionError(absl::StrCat(
          out_dir, " holds a run of ", was.is_object() ? was.dump() : "another model",
          "; give another --out, or --no-resume to add ", who.dump(), " to it"));
    }
  }
  if (!flags.GetBool("dry-run") && was != who) {
    if (absl::Status s = driver::run::WriteFileAtomic(who_path, who.dump(2) + "\n"); !s.ok()) {
      return s;
    }
  }
  std::unique_ptr<EvalModel> m(new EvalModel());
  m->out_dir_ = out_dir;
  m->registry_hash_ = registry_hash;
  m->shard_ = shard;
  m->no_resume_ = flags.GetBool("no-resume");
  m->dry_run_ = flags.GetBool("dry-run");
  m->tty_ = isatty(STDERR_FILENO) == 1;
  dc::ClientOptions o;
  o.model = flags.Get("model");
  o.endpoint = flags.Get("endpoint", "https://api.openai.com/v1");
  o.api_key_env = flags.Get("api-key-env");
  double timeout_s = 300;
  for (absl::Status s : {PositiveInt(flags, "concurrency", &o.concurrency, 1),
                         PositiveInt(flags, "max-retries", &o.max_retries, 0),
                         PositiveInt(flags, "samples", &m->samples_, 1),
                         PositiveInt(flags, "context-window", &m->context_window_, 1),
                         PositiveDouble(flags, "rpm", &o.rpm), PositiveDouble(flags, "tpm", &o.tpm),
                         PositiveDouble(flags, "timeout", &timeout_s)}) {
    if (!s.ok()) return s;
  }
  o.timeout_ms = static_cast<int64_t>(timeout_s * 1000);
  if (flags.GetBool("no-cache") && flags.GetBool("refresh")) {
    return absl::InvalidArgumentError("--no-cache and --refresh exclude each other");
  }
  o.cache_mode = flags.GetBool("no-cache") ? dc::CacheMode::kOff
                 : flags.GetBool("refresh") ? dc::CacheMode::kRefresh
                                            : dc::CacheMode::kReadWrite;
  if (o.cache_mode != dc::CacheMode::kOff) {
    const std::string path =
        flags.Get("response-cache", (fs::path(out_dir) / "responses.sqlite").string());
    absl::StatusOr<std::unique_ptr<dc::Cache>> cache = dc::Cache::Open(path);
    if (!cache.ok()) return cache.status();
    m->cache_ = *std::move(cache);
  }
  const bool tty = m->tty_;
  o.progress_interval_ms = tty ? 500 : 30'000;
  o.on_progress = [tty](const dc::Progress& p) {
    if (tty) {
      std::cerr << "\r\033[K" << dc::FormatProgress(p) << std::flush;
    } else {
      std::cerr << "fathom eval: " << dc::FormatProgress(p) << "\n";
    }
  };
  absl::StatusOr<std::unique_ptr<dc::Client>> client = dc::Client::Create(o, m->cache_.get());
  if (!client.ok()) return client.status();
  m->client_ = *std::move(client);
  return m;
}

bool EvalModel::StopsTheRun(const absl::Status& status) {
  // Client::Run's fatal errors (client.h): Unavailable (refused, unresolved, TLS),
  // FailedPrecondition (401/403/404, the key's variable unset), Internal (the cache),
  // Cancelled. Inputs fail with NotFound or InvalidArgument.
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kCancelled:
      return true;
    default:
      return false;
  }
}

dc::GenerateOptions EvalModel::Options(const driver::Benchmark& bench,
                                       const std::string& data_path,
                                       const std::string& shots_path, driver::Mode mode,
                                       driver::Api api) const {
  dc::GenerateOptions g;
  g.data_path = data_path;
  g.shots_path = shots_path;
  g.mode = mode;
  g.api = api;
  g.samples = samples_;
  g.context_window = context_window_;
  g.dry_run = dry_run_;
  if (shard_.sharded()) {
    g.keep = [shard = shard_](const driver::Row& row) {
      return shard.Contains(driver::run::ShardKey(row));
    };
    g.shard = shard_.Text();
  }
  g.predictions_path =
      (fs::path(out_dir_) / (bench.info().name + ".predictions.jsonl")).string();
  return g;
}

std::string EvalModel::FingerprintPath(const driver::Benchmark& bench) const {
  return (fs::path(out_dir_) / (bench.info().name + ".model.json")).string();
}

absl::Status EvalModel::CheckResume(const driver::Benchmark& bench, const std::string& data_path,
                                    const std::string& shots_path, driver::Mode mode,
                                    driver::Api api) {
  const std::string path = FingerprintPath(bench);
  if (no_resume_ || !fs::exists(path)) return absl::OkStatus();
  absl::StatusOr<nlohmann::json> now = dc::RequestFingerprint(
      bench, Options(bench, data_path, shots_path, mode, api), client_->options(),
      registry_hash_);
  // Inputs that cannot be read fail in Generate, with the engine's message.
  if (!now.ok()) return absl::OkStatus();
  std::ifstream in(path);
  const nlohmann::json was = nlohmann::json::parse(in, nullptr, false);
  std::vector<std::string> changes;
  if (!was.is_object()) {
    changes.push_back(absl::StrCat(path, " is unreadable"));
  } else {
    changes = dc::FingerprintChanges(was, *now);
  }
  if (changes.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      out_dir_, " holds answers to other requests (", absl::StrJoin(changes, "; "),
      "); rerun as before, give another --out, or --no-resume to start ", bench.info().name,
      " over"));
}

absl::StatusOr<std::string> EvalModel::Generate(const driver::Benchmark& bench,
                                                const std::string& data_path,
                                                const std::string& shots_path,
                                                driver::Mode mode, driver::Api api) {
  const std::string& name = bench.info().name;
  const dc::GenerateOptions g = Options(bench, data_path, shots_path, mode, api);
  if (!dry_run_) {
    // What this benchmark's answers were asked with, before the first is asked.
    absl::StatusOr<nlohmann::json> fingerprint =
        dc::RequestFingerprint(bench, g, client_->options(), registry_hash_);
    if (!fingerprint.ok()) return fingerprint.status();
    if (absl::Status s =
            driver::run::WriteFileAtomic(FingerprintPath(bench), fingerprint->dump(2) + "\n");
        !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<dc::GenerateOutcome> r = dc::GeneratePredictions(bench, g, *client_);
  if (tty_ && !dry_run_) std::cerr << "\n";
  if (!r.ok()) return r.status();
  if (dry_run_) {
    std::cout << name << ": " << r->estimate.items << " items, " << r->estimate.samples
              << " samples (" << r->estimate.cached_samples << " cached), "
              << r->estimate.requests << " requests, about " << r->estimate.prompt_tokens
              << " prompt tokens\n";
    return std::string();
  }
  std::cerr << "fathom eval: " << name << ": " << r->written << " of " << r->items
            << " items answered";
  if (r->failed > 0) std::cerr << ", " << r->failed << " failed (asked again on a rerun)";
  if (r->fewer_shots > 0) std::cerr << ", " << r->fewer_shots << " with fewer shots";
  if (r->out_of_window > 0) std::cerr << ", " << r->out_of_window << " out of window";
  std::cerr << "\n";
  return g.predictions_path;
}

}  // namespace fathom::cli
