// `fathom eval --model`: the model client's flags, and the step that asks the model for a
// benchmark's completions (driver/client/generate.h) before the engine scores them.
#ifndef FATHOM_CLI_EVAL_MODEL_H_
#define FATHOM_CLI_EVAL_MODEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cli/flags.h"
#include "driver/benchmark.h"
#include "driver/client/cache.h"
#include "driver/client/client.h"
#include "driver/client/generate.h"
#include "grader/pipeline/shard.h"

namespace fathom::cli {

extern const char kEvalModelUsage[];

void AddModelFlags(Flags& flags);

class EvalModel {
 public:
  // Null when --model is absent; InvalidArgument naming a bad flag.
  // `registry_hash` (Registry::hash()) goes into each benchmark's request fingerprint.
  // `shard`: ask only about the shard's rows (driver::run::ShardKey).
  static absl::StatusOr<std::unique_ptr<EvalModel>> FromFlags(const Flags& flags,
                                                              const std::string& out_dir,
                                                              const std::string& registry_hash,
                                                              const grader::ShardSpec& shard);
  // Refuses (FailedPrecondition naming what differs and --no-resume) when OUT/<name>.model.json
  // records other requests than this run would send for `bench`: a changed model, decoding,
  // template, --samples, mode, --context-window or data. Writes nothing; call it for every
  // benchmark before generating any, so that a refused run changes nothing.
  absl::Status CheckResume(const driver::Benchmark& bench, const std::string& data_path,
                           const std::string& shots_path, driver::Mode mode, driver::Api api);
  // Asks the model for `bench`'s completions into OUT/<name>.predictions.jsonl and returns
  // that path; with --dry-run prints what would be sent and returns "".
  absl::StatusOr<std::string> Generate(const driver::Benchmark& bench, const std::string& data_path,
                                       const std::string& shots_path, driver::Mode mode,
                                       driver::Api api);
  bool dry_run() const { return dry_run_; }
  // Whether a Generate() error is the client's (the endpoint, the key, the cache), which
  // every other benchmark would hit too, rather than one benchmark's inputs.
  static bool StopsTheRun(const absl::Status& status);

 private:
  EvalModel() = default;
  driver::client::GenerateOptions Options(const driver::Benchmark& bench,
                                         const std::string& data_path,
                                         const std::string& shots_path, driver::Mode mode,
                                         driver::Api api) const;
  std::string FingerprintPath(const driver::Benchmark& bench) const;

  std::string out_dir_;
  std::string registry_hash_;
  grader::ShardSpec shard_;
  bool no_resume_ = false;
  std::unique_ptr<driver::client::Cache> cache_;
  std::unique_ptr<driver::client::Client> client_;
  int samples_ = 0;
  int context_window_ = 0;
  bool dry_run_ = false;
  bool tty_ = false;
};

}  // namespace fathom::cli

#endif  // FATHOM_CLI_EVAL_MODEL_H_
