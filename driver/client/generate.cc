// One benchmark's prompts through the client into a predictions file (see generate.h).
#include "driver/client/generate.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "driver/run/readers.h"
#include "driver/run/run_dir.h"

namespace fathom::driver::client {

namespace {

// An item in flight: the row (to rebuild the prompt with fewer shots) and where it stands.
struct Pending {
  int64_t seq = 0;  // its place in input order
  Row row;
  int shots = 0;
  int full_shots = -1;  // the shots of the prompt at the benchmark's count (-1: not built)
};

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int SamplesFor(const BenchmarkInfo& info, int samples) {
  int n = std::max(info.decoding.n, 1);
  return samples > 0 ? std::min(n, samples) : n;
}

}  // namespace

Request RequestFor(const Prompt& prompt, const BenchmarkInfo& info, Api api, int samples) {
  Request r;
  r.api = api;
  if (api == Api::kChat) {
    r.messages = prompt.messages.is_null()
                     ? nlohmann::json::array({{{"role", "user"}, {"content", prompt.text}}})
                     : prompt.messages;
  } else {
    r.prompt = prompt.text;
  }
  r.max_tokens = info.decoding.max_tokens;
  r.temperature = info.decoding.temperature;
  r.top_p = info.decoding.top_p;
  r.stop = info.decoding.stop;
  r.n = SamplesFor(info, samples);
  return r;
}

absl::StatusOr<nlohmann::json> RequestFingerprint(const Benchmark& bench,
                                                  const GenerateOptions& o,
                                                  const ClientOptions& client,
                                                  const std::string& registry_hash) {
  const BenchmarkInfo& info = bench.info();
  absl::StatusOr<std::vector<run::DataFile>> files =
      run::ResolveSplit(info, o.data_path, info.eval_split);
  if (!files.ok()) return files.status();
  absl::StatusOr<run::LoadedShots> shots = run::LoadShots(
      info, bench.shots(o.mode), run::ShotOptions{o.data_path, o.shots_path}, *files);
  if (!shots.ok()) return shots.status();
  // Contents, not paths: the same data moved elsewhere asks the same things.
  nlohmann::json data = nlohmann::json::array();
  for (const run::DataFile& f : *files) {
    absl::StatusOr<std::string> sha = run::FileSha256(f.path);
    if (!sha.ok()) return sha.status();
    data.push_back(*sha);
  }
  nlohmann::json shot_files = nlohmann::json::array();
  for (const std::string& path : shots->files) {
    absl::StatusOr<std::string> sha = run::FileSha256(path);
    if (!sha.ok()) return sha.status();
    shot_files.push_back(*sha);
  }
  const Decoding& d = info.decoding;
  nlohmann::json fingerprint = {
      {"endpoint", NormalizeEndpoint(client.endpoint)},
      {"model", client.model},
      {"api", std::string(ApiName(o.api))},
      {"decoding",
       {{"max_tokens", d.max_tokens},
        {"temperature", d.temperature},
        {"top_p", d.top_p},
        {"stop", d.stop},
        {"n", SamplesFor(info, o.samples)}}},
      {"samples", o.samples},
      {"mode", std::string(ModeName(o.mode))},
      {"registry_hash", registry_hash},
      {"context_window", o.context_window},
      {"data", std::move(data)},
      {"shots", std::move(shot_files)}};
  // Unsharded runs keep the fingerprint they had (their run directories resume).
  if (!o.shard.empty()) fingerprint["shard"] = o.shard;
  return fingerprint;
}

namespace {

void Changes(const std::string& path, const nlohmann::json& was, const nlohmann::json& now,
             std::vector<std::string>* out) {
  if (was == now) return;
  if (was.is_object() && now.is_object()) {
    std::set<std::string> keys;
    for (const auto& [k, v] : was.items()) keys.insert(k);
    for (const auto& [k, v] : now.items()) keys.insert(k);
    for (const std::string& k : keys) {
      static const nlohmann::json kAbsent;
      Changes(path.empty() ? k : absl::StrCat(path, ".", k), was.contains(k) ? was[k] : kAbsent,
              now.contains(k) ? now[k] : kAbsent, out);
    }
    return;
  }
  const std::string a = was.is_null() ? "(none)" : Dump(was);
  const std::string b = now.is_null() ? "(none)" : Dump(now);
  if (a.size() + b.size() <= 80) {
    out->push_back(absl::StrCat(path, ": ", a, " -> ", b));
  } else {
    out->push_back(absl::StrCat(path, " changed"));
  }
}

}  // namespace

std::vector<std::string> FingerprintChanges(const nlohmann::json& was, const nlohmann::json& now) {
  std::vector<std::string> out;
  Changes("", was, now, &out);
  return out;
}

absl::StatusOr<GenerateOutcome> GeneratePredictions(const Benchmark& bench,
                                                    const GenerateOptions& o, Client& client) {
  const BenchmarkInfo& info = bench.info();
  std::ostream& log = o.log != nullptr ? *o.log : std::cerr;
  absl::StatusOr<std::vector<run::DataFile>> files =
      run::ResolveSplit(info, o.data_path, info.eval_split);
  if (!files.ok()) return files.status();
  const ShotSource shot_source = bench.shots(o.mode);
  absl::StatusOr<run::LoadedShots> shots =
      run::LoadShots(info, shot_source, run::ShotOptions{o.data_path, o.shots_path}, *files);
  if (!shots.ok()) return shots.status();

  GenerateOutcome out;
  if (!o.dry_run) {
    // A first pass counts the rows, for the progress line's total and ETA.
    run::DataReader counter(info, *files);
    Row row;
    std::string error;
    int64_t rows = 0;
    for (run::ReadOutcome r; (r = counter.Next(&row, &error)) != run::ReadOutcome::kEnd;) {
      rows += r == run::ReadOutcome::kRow && (!o.keep || o.keep(row));
    }
    client.SetTotal(client.progress().items_done + rows);
  }
  run::DataReader reader(info, *files);
  // The prompt for `p` at p.shots, lowered first to fit the context-window estimate.
  auto build = [&](Pending& p) -> absl::StatusOr<Request> {
    std::span<const Row> shot_rows = run::ShotsFor(shots->rows, p.row.subtask);
    while (true) {
      absl::StatusOr<Prompt> prompt = bench.BuildPrompt(p.row, shot_rows, p.shots, o.mode);
      if (!prompt.ok()) return prompt.status();
      p.shots = prompt->shots;
      if (p.full_shots < 0) p.full_shots = prompt->shots;
      Request r = RequestFor(*prompt, info, o.api, o.samples);
      if (o.context_window <= 0 || p.shots == 0 ||
          EstimatePromptTokens(r) + r.max_tokens <= o.context_window) {
        return r;
      }
      --p.shots;
    }
  };
  // The next good row as a pending item and its request; nullopt at the end. Rows the
  // engine holds out as exemplars only (kTestHead's first `holdout` per sub-task, as
  // WritePrompts skips them) are not asked about.
  int64_t next_seq = 0;
  std::map<std::string, int64_t> head;
  auto next_row = [&]() -> std::optional<std::pair<Pending, Request>> {
    Row row;
    std::string error;
    while (true) {
      run::ReadOutcome r = reader.Next(&row, &error);
      if (r == run::ReadOutcome::kEnd || r == run::ReadOutcome::kIoError) {
        if (r == run::ReadOutcome::kIoError) log << info.name << ": " << error << "\n";
        return std::nullopt;
      }
      if (r == run::ReadOutcome::kBadRow) {
        ++out.skipped_rows;
        continue;
      }
      if (shot_source.kind == ShotSource::Kind::kTestHead &&
          head[row.subtask]++ < shot_source.holdout) {
        continue;
      }
      if (o.keep && !o.keep(row)) continue;  // another shard's
      if (!bench.CheckRow(row).ok()) {
        ++out.skipped_rows;
        continue;
      }
      Pending p;
      p.row = std::move(row);
      p.shots = shot_source.count;
      absl::StatusOr<Request> req = build(p);
      if (!req.ok()) {
        log << info.name << ": " << p.row.source << ": " << req.status().message() << "\n";
        ++out.skipped_rows;
        continue;
      }
      p.seq = next_seq++;
      ++out.items;
      return std::make_pair(std::move(p), std::move(*req));
    }
  };

  if (o.dry_run) {
    while (auto item = next_row()) {
      if (absl::Status s = client.Estimate(item->second, &out.estimate); !s.ok()) return s;
    }
    return out;
  }

  absl::StatusOr<run::AtomicFile> file = run::AtomicFile::Create(o.predictions_path);
  if (!file.ok()) return file.status();
  // Lines go out in input order: finished items wait here until those before them are
  // written (at most the client's open window of them).
  std::map<int64_t, std::optional<std::string>> done;
  int64_t next_to_write = 0;
  auto write_ready = [&] {
    for (auto it = done.begin(); it != done.end() && it->first == next_to_write;
         it = done.erase(it), ++next_to_write) {
      if (it->second) {
        file->WriteLine(*it->second);
        ++out.written;
      }
    }
  };
  std::map<uint64_t, Pending> pending;  // by tag
  uint64_t next_tag = 0;
  auto submit = [&](Pending p, Request r) -> Client::Job {
    const uint64_t tag = next_tag++;
    pending.emplace(tag, std::move(p));
    return Client::Job{std::move(r), tag};
  };
  absl::Status status = client.Run(
      [&]() -> std::optional<Client::Job> {
        auto item = next_row();
        if (!item) return std::nullopt;
        return submit(std::move(item->first), std::move(item->second));
      },
      [&](uint64_t tag, ItemResult result) {
        auto node = pending.extract(tag);
        Pending& p = node.mapped();
        const bool too_long = std::any_of(result.samples.begin(), result.samples.end(),
                                          [](const Sample& s) {
                                            return s.outcome == Outcome::kContextLength;
                                          });
        if (too_long && p.shots > 0) {
          --p.shots;
          absl::StatusOr<Request> r = build(p);
          if (r.ok()) {
            client.Submit(submit(std::move(p), std::move(*r)));
            return;
          }
          log << info.name << ": " << p.row.source << ": " << r.status().message() << "\n";
        }
        nlohmann::json line = {{"id", p.row.id}};
        if (!p.row.subtask.empty()) line["subtask"] = p.row.subtask;
        line["shots"] = p.shots;
        if (p.shots < p.full_shots) ++out.fewer_shots;
        if (too_long) {
          ++out.out_of_window;
          line["completions"] = std::vector<std::string>(result.samples.size(), "");
          line["out_of_window"] = true;
          done.emplace(p.seq, Dump(line));
        } else if (!result.ok()) {
          ++out.failed;
          for (const Sample& s : result.samples) {
            if (s.outcome != Outcome::kOk) {
              log << info.name << ": " << p.row.source << " (id " << p.row.id
                  << "): " << OutcomeName(s.outcome) << ": " << s.error << "\n";
              break;
            }
          }
          done.emplace(p.seq, std::nullopt);
        } else {
          std::vector<std::string> texts;
          std::vector<std::string> finish;
          for (Sample& s : result.samples) {
            texts.push_back(std::move(s.text));
            finish.push_back(std::move(s.finish_reason));
          }
          line["completions"] = std::move(texts);
          line["finish_reasons"] = std::move(finish);
          done.emplace(p.seq, Dump(line));
        }
        write_ready();
      });
  if (!status.ok()) return status;
  write_ready();
  if (absl::Status s = file->Commit(); !s.ok()) return s;
  return out;
}

}  // namespace fathom::driver::client
