// AGIEval's few_shot_prompts.csv, read the way GPT-Fathom's AGIEVAL.__init__ reads it
// (pandas): a header of task names; context rows 1,3,5,7,9 hold Python dict literals
// (ast.literal_eval), explanation rows 2,4,... their explanations ("\n\n" -> "\n"). A
// task's exemplars are its non-empty contexts, as many as it has non-empty explanations;
// sat-en-without-passage uses sat-en's column.
//
// Pure functions; thread-safe.
#ifndef FATHOM_DRIVER_BENCH_AGIEVAL_SHOTS_H_
#define FATHOM_DRIVER_BENCH_AGIEVAL_SHOTS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "driver/benchmark.h"
#include "nlohmann/json.hpp"

namespace fathom::driver::bench {

// RFC 4180 CSV (quoted fields may hold commas, quotes as "", and newlines).
std::vector<std::vector<std::string>> ParseCsv(std::string_view text);

// ast.literal_eval for the literals these files hold: dict, list, str, int, float,
// None, True, False.
absl::StatusOr<nlohmann::json> ParsePyLiteral(std::string_view text);

// Task -> exemplar rows {passage, question, options, label, answer, explanation}.
absl::StatusOr<std::map<std::string, std::vector<Row>>> ParseAgievalFewShotCsv(
    std::string_view path, std::string_view text);

}  // namespace fathom::driver::bench

#endif  // FATHOM_DRIVER_BENCH_AGIEVAL_SHOTS_H_
