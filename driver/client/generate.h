// `fathom eval --model`: asks the model for one benchmark's completions. The rows and
// few-shot rows are read the way the run engine reads them (driver/run/readers.h), each
// prompt is Benchmark::BuildPrompt's, the Client sends them, and the answers become a
// predictions file in the engine's format, which EvalBenchmark then scores like any other.
// The response cache, not this file, is what makes a rerun after kill -9 send nothing
// already answered; the file is rebuilt from it (written atomically, in input order).
//
// Context window (GPT-Fathom lowers the shot count until the prompt fits):
// - with context_window > 0, an item starts at the most shots whose estimated prompt
//   tokens (EstimatePromptTokens, which errs high) plus max_tokens fit the window;
// - when the server still answers with a context-length error, the item is asked again
//   with one shot fewer, down to zero; at zero it is out_of_window: its completion is ""
//   (scored as wrong, as GPT-Fathom scores it) and the line says "out_of_window": true.
// Every line records the shots used.
//
// An item with a failed or rejected sample (retries ran out, a 400) gets no line: the
// engine reports it as missing, and the next run asks again (failures are not cached).
//
// Thread safety: one call at a time per Client.
#ifndef FATHOM_DRIVER_CLIENT_GENERATE_H_
#define FATHOM_DRIVER_CLIENT_GENERATE_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "driver/benchmark.h"
#include "driver/client/client.h"
#include "nlohmann/json.hpp"

namespace fathom::driver::client {

struct GenerateOptions {
  std::string data_path;   // as EvalOptions::data_path
  std::string shots_path;  // as EvalOptions::shots_path
  Mode mode = Mode::kFaithful;
  Api api = Api::kChat;
  int samples = 0;         // --samples: at most this many per item; 0 = the benchmark's n
  int context_window = 0;  // --context-window in tokens; 0 = rely on the server's answer
  std::string predictions_path;  // written (atomically)
  bool dry_run = false;    // estimate only: nothing sent, nothing written
  std::ostream* log = nullptr;   // errors, one line each; null: std::cerr
  // Ask only about the rows this returns true for (`fathom eval --shard`: the shard's
  // rows); null: every row. `shard` names the selection in the request fingerprint, so a
  // run directory resumed with another shard is refused.
  std::function<bool(const Row&)> keep;
  std::string shard;
};

struct GenerateOutcome {
  int64_t items = 0;           // rows asked about
  int64_t written = 0;         // predictions lines
  int64_t skipped_rows = 0;    // bad rows (the engine reports them again when scoring)
  int64_t failed = 0;          // items with a failed or rejected sample: no line
  int64_t fewer_shots = 0;     // items asked with fewer shots than the benchmark's
  int64_t out_of_window = 0;   // items too long even at zero shots
  DryRunEstimate estimate;     // dry_run: what a run would send
};

// The request for a prompt under the benchmark's decoding (n lowered to `samples`).
Request RequestFor(const Prompt& prompt, const BenchmarkInfo& info, Api api, int samples);

// Everything that shapes `bench`'s requests, for refusing a resumed run that would ask
// something else (cli/eval_model.cc keeps it as OUT/<name>.model.json): the endpoint,
// model and API; the decoding as sent (max_tokens, temperature, top_p, stop, and n after
// --samples); --samples; the mode; the registry hash (the definitions and templates);
// --context-window; and the SHA-256 of every data and few-shot file read.
absl::StatusOr<nlohmann::json> RequestFingerprint(const Benchmark& bench,
                                                  const GenerateOptions& options,
                                                  const ClientOptions& client,
                                                  const std::string& registry_hash);
// Where `now` differs from `was`, one entry per field (dotted path for nested ones), with
// the values when they are short: "decoding.temperature: 0 -> 0.7". Empty: the same.
std::vector<std::string> FingerprintChanges(const nlohmann::json& was, const nlohmann::json& now);

absl::StatusOr<GenerateOutcome> GeneratePredictions(const Benchmark& bench,
                                                    const GenerateOptions& options,
                                                    Client& client);

}  // namespace fathom::driver::client

#endif  // FATHOM_DRIVER_CLIENT_GENERATE_H_
