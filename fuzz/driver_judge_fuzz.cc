// Fuzzes what the eval driver does with model output: every judged benchmark's extractor and
// metric (driver/bench/, through Benchmark::Judge) in both modes, on the first row of its
// fidelity vectors (tests/driver/fidelity/<name>.jsonl). The first input byte picks the
// benchmark, the rest is the completion. Invariants: nothing throws or crashes (the Python
// text operations decode any bytes); the score is within [0, 1] and a correct verdict is
// never scored below a wrong one's floor (1.0 for accuracy benchmarks); when the completion
// is valid UTF-8 (as every API answer is), the judgement serializes strictly.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "driver/benchmark.h"
#include "fuzz/fuzz_util.h"
#include "grader/formats/utf8.h"
#include "nlohmann/json.hpp"

namespace {

namespace driver = fathom::driver;

struct Case {
  const driver::Benchmark* benchmark;
  driver::Row row;
};

std::vector<Case> LoadCases(const driver::Registry& registry) {
  std::vector<Case> cases;
  for (const driver::Benchmark* b : registry.All()) {
    if (b->info().scoring != driver::Scoring::kJudge) continue;
    std::ifstream in(std::string(FATHOM_SOURCE_DIR) + "/tests/driver/fidelity/" +
                     b->info().name + ".jsonl");
    std::string line;
    if (!std::getline(in, line)) continue;
    const nlohmann::json v = nlohmann::json::parse(line);
    driver::Row row;
    row.id = "0";
    row.subtask = v.value("subtask", "");
    row.fields = v.at("row");
    row.source = "fuzz:1";
    FUZZ_CHECK(b->CheckRow(row).ok());
    cases.push_back({b, std::move(row)});
  }
  FUZZ_CHECK(cases.size() >= 20);
  return cases;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const driver::Registry* registry = [] {
    absl::StatusOr<driver::Registry> r = driver::Registry::LoadBuiltin();
    FUZZ_CHECK(r.ok());
    return new driver::Registry(std::move(*r));
  }();
  static const std::vector<Case>* cases = new std::vector<Case>(LoadCases(*registry));
  if (size == 0) return 0;
  const Case& c = (*cases)[data[0] % cases->size()];
  const std::string_view completion(reinterpret_cast<const char*>(data) + 1, size - 1);
  const bool valid =
      fathom::grader::IsValidUtf8(absl::string_view(completion.data(), completion.size()));
  for (driver::Mode mode : {driver::Mode::kFaithful, driver::Mode::kStrict}) {
    const driver::Judgement j = c.benchmark->Judge(c.row, completion, mode);
    FUZZ_CHECK(j.score >= 0.0 && j.score <= 1.0);
    if (c.benchmark->info().metric == "accuracy") FUZZ_CHECK(j.score == (j.correct ? 1.0 : 0.0));
    if (valid) {
      FUZZ_CHECK(fathom::grader::IsValidUtf8(j.extracted));
      nlohmann::json({{"picked", j.extracted}, {"expected", j.expected}}).dump();
    }
  }
  return 0;
}
