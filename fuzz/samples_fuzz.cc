// Fuzzes the samples reader (grader/samples.cc: JSONL, gzip, and bigcode's list of lists,
// through grader/line_reader.cc) and code extraction (grader/extract.cc), which read model
// output. Invariants: the stream always ends; a sample names its place, its task_id is the
// record's, its code is the record's `solution` or `completion` (and what extraction
// keeps of it is part of it); every record's fields serialize to JSON (they are copied
// into the results file) and read back equal; the cross-record checks do not crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "fuzz/fuzz_util.h"
#include "grader/formats/extract.h"
#include "grader/formats/problems.h"
#include "grader/formats/samples.h"
#include "nlohmann/json.hpp"

namespace {

fathom::grader::ProblemSet MakeProblems() {
  fathom::grader::ProblemSet set;
  set.path = "problems.jsonl";
  for (const char* id : {"FathomMini/0", "FathomMini/1", "HumanEval/0", "2"}) {
    fathom::grader::Problem p;
    p.task_id = id;
    p.prompt = "def f():\n";
    set.by_id[id] = set.problems.size();
    set.problems.push_back(p);
  }
  return set;
}

void CheckExtract(const std::string& code) {
  using fathom::grader::ExtractMode;
  const std::vector<std::string> stops = fathom::grader::DefaultStopSequences();
  FUZZ_CHECK(fathom::grader::Extract(code, ExtractMode::kNone, stops) == code);
  const std::string stopped = fathom::grader::Extract(code, ExtractMode::kStop, stops);
  FUZZ_CHECK(code.compare(0, stopped.size(), stopped) == 0);
  for (const std::string& s : stops) FUZZ_CHECK(stopped.find(s) == std::string::npos);
  const std::string fenced = fathom::grader::Extract(code, ExtractMode::kFenced, stops);
  FUZZ_CHECK(code.find(fenced) != std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fathom::fuzz::MemFile* file = new fathom::fuzz::MemFile;
  static const fathom::grader::ProblemSet* problems =
      new fathom::grader::ProblemSet(MakeProblems());
  file->Set(absl::string_view(reinterpret_cast<const char*>(data), size));

  absl::StatusOr<std::unique_ptr<fathom::grader::SampleSource>> source =
      fathom::grader::OpenSamples(file->path(), problems);
  if (!source.ok()) return 0;
  fathom::grader::SampleChecker checker(problems);
  fathom::grader::Sample sample;
  std::string error;
  // Every line (or list item) yields at most one outcome: the stream ends within size+1.
  for (size_t n = 0;; ++n) {
    FUZZ_CHECK(n <= size + 1);
    fathom::grader::ReadOutcome outcome = (*source)->Next(&sample, &error);
    if (outcome == fathom::grader::ReadOutcome::kEnd ||
        outcome == fathom::grader::ReadOutcome::kIoError) {
      break;
    }
    if (outcome == fathom::grader::ReadOutcome::kBadRecord) {
      FUZZ_CHECK(error.compare(0, file->path().size(), file->path()) == 0);
      continue;
    }
    FUZZ_CHECK(sample.where.compare(0, file->path().size(), file->path()) == 0);
    FUZZ_CHECK(!sample.fields.is_null());
    if (sample.fields.contains("task_id")) {  // JSONL (bigcode items take the problem's)
      absl::StatusOr<std::string> id = fathom::grader::TaskIdString(sample.fields["task_id"]);
      FUZZ_CHECK(id.ok() && *id == sample.task_id);
    }
    const char* code_field = sample.is_solution ? "solution" : "completion";
    FUZZ_CHECK(sample.fields.contains(code_field) &&
               sample.fields[code_field].get<std::string>() == sample.code);
    std::string text;
    try {
      text = sample.fields.dump();
    } catch (const nlohmann::json::exception& e) {
      std::fprintf(stderr, "dump: %s\n", e.what());
      FUZZ_CHECK(!"a sample's fields do not serialize");
    }
    FUZZ_CHECK(nlohmann::ordered_json::parse(text) == sample.fields);
    checker.Check(sample).IgnoreError();
    CheckExtract(sample.code);
  }
  return 0;
}
