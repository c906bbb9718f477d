// Fuzzes the problem-file reader (grader/problems.cc through raw_json.cc and
// line_reader.cc). Invariants: a loaded set is consistent (ids unique and indexed, a
// content hash); every EvalPlus input kept as raw text is itself a JSON list of argument
// lists (it goes to Python verbatim); the I/O program built from a problem does not
// crash; and a line that is plain JSON is accepted by the raw-text reader
// (ParseProblemLine) exactly when the parsed-record reader (ParseProblem) accepts it, with
// the same problem apart from the inputs' formatting.
#include <cstddef>
#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "fuzz/fuzz_util.h"
#include "grader/iomode/io_mode.h"
#include "grader/formats/problems.h"
#include "grader/formats/raw_json.h"
#include "nlohmann/json.hpp"

namespace {

void CheckProblem(const fathom::grader::Problem& p) {
  for (const auto* inputs : {&p.base_inputs, &p.plus_inputs}) {
    for (const std::string& input : *inputs) {
      FUZZ_CHECK(!input.empty() && input[0] == '[');
      FUZZ_CHECK(fathom::grader::RawArrayElements(input).ok());
    }
  }
  FUZZ_CHECK(p.has_io() || p.base_inputs.empty());
  fathom::grader::IoSettings settings;
  if (p.has_io()) fathom::grader::IoProgram(p, p.canonical_solution, nullptr, settings);
}

void CheckLine(absl::string_view line) {
  absl::StatusOr<fathom::grader::Problem> raw = fathom::grader::ParseProblemLine(line, "x:1");
  if (raw.ok()) CheckProblem(*raw);
  nlohmann::json record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (record.is_discarded()) return;
  absl::StatusOr<fathom::grader::Problem> parsed = fathom::grader::ParseProblem(record, "x:1");
  if (!raw.ok() || !parsed.ok()) {
    if (raw.ok() != parsed.ok()) {
      std::fprintf(stderr, "ParseProblemLine: %s\nParseProblem: %s\n",
                   raw.status().ToString().c_str(), parsed.status().ToString().c_str());
    }
    FUZZ_CHECK(raw.ok() == parsed.ok());
    return;
  }
  FUZZ_CHECK(raw->task_id == parsed->task_id && raw->format == parsed->format);
  FUZZ_CHECK(raw->prompt == parsed->prompt && raw->test == parsed->test);
  FUZZ_CHECK(raw->entry_point == parsed->entry_point);
  FUZZ_CHECK(raw->canonical_solution == parsed->canonical_solution);
  FUZZ_CHECK(raw->has_inputs == parsed->has_inputs);
  FUZZ_CHECK(raw->base_inputs.size() == parsed->base_inputs.size());
  FUZZ_CHECK(raw->plus_inputs.size() == parsed->plus_inputs.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fathom::fuzz::MemFile* file = new fathom::fuzz::MemFile;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  file->Set(text);

  absl::StatusOr<fathom::grader::ProblemSet> set = fathom::grader::LoadProblems(file->path());
  if (set.ok()) {
    FUZZ_CHECK(!set->problems.empty());
    FUZZ_CHECK(set->by_id.size() == set->problems.size());
    FUZZ_CHECK(set->content_sha256.size() == 64);
    for (size_t i = 0; i < set->problems.size(); ++i) {
      FUZZ_CHECK(set->Find(set->problems[i].task_id) == &set->problems[i]);
      CheckProblem(set->problems[i]);
    }
  }
  // Line by line, as the loader splits them (its gzip path aside).
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == absl::string_view::npos) end = text.size();
    CheckLine(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return 0;
}
