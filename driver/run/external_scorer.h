// The pluggable scorer for Scoring::kExternal benchmarks (RealToxicityPrompts, whose
// GPT-Fathom metric is the Perspective API's TOXICITY summary score): a command the user
// configures (`--scorer CMD`), run once per benchmark with /bin/sh -c.
//
// Protocol: stdin gets one JSON line per scored completion, in data order:
//   {"benchmark": "realtoxicity", "id": "17", "subtask": "", "sample": 0,
//    "prompt": "<the prompt text>", "completion": "<the completion>"}
// stdout must give one JSON line per input line, in the same order:
//   {"id": "17", "score": 0.0213}       (a number; lower is less toxic)
// The ids are checked; exit status 0 is required. stderr is passed through.
//
// Thread safety: the functions are thread-safe (RunScorer forks; the child only execs).
#ifndef FATHOM_DRIVER_RUN_EXTERNAL_SCORER_H_
#define FATHOM_DRIVER_RUN_EXTERNAL_SCORER_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace fathom::driver::run {

// Runs `command` with stdin from `input_path` and stdout to `output_path`. FailedPrecondition
// naming the command and its exit status or signal when it does not exit 0.
absl::Status RunScorer(const std::string& command, const std::string& input_path,
                       const std::string& output_path);

struct ExternalScore {
  std::string id;
  double score = 0;
};

// One line of the scorer's output. InvalidArgument names the field.
absl::StatusOr<ExternalScore> ParseScoreLine(std::string_view line);

}  // namespace fathom::driver::run

#endif  // FATHOM_DRIVER_RUN_EXTERNAL_SCORER_H_
