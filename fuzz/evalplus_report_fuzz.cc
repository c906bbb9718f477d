// Fuzzes the reader of fathom's results file that writes EvalPlus's eval_results.json
// (grader/evalplus_report.cc): the results file may have been edited or cut. Invariants:
// never a crash; when it succeeds, the file written is strict JSON that Python's json
// module reads, with one entry per results record and every pass@k in [0, 1].
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include "absl/strings/string_view.h"

#include "fuzz/fuzz_util.h"
#include "grader/formats/evalplus_report.h"
#include "nlohmann/json.hpp"

namespace {

fathom::grader::ProblemSet MakeProblems() {
  fathom::grader::ProblemSet set;
  set.path = "problems.jsonl";
  for (const char* id : {"HumanEval/0", "Mbpp/2", "7"}) {
    fathom::grader::Problem p;
    p.task_id = id;
    p.prompt = "def f(x):\n";
    p.base_inputs = {"[1]", "[[2, 3]]", "[1.5]"};
    p.plus_inputs = {"[99999999999999999999999999]", "[NaN]"};
    p.has_inputs = true;
    set.by_id[id] = set.problems.size();
    set.problems.push_back(p);
  }
  return set;
}

size_t CountRecordLines(absl::string_view text) {
  size_t n = 0;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == absl::string_view::npos) end = text.size();
    if (text.substr(begin, end - begin).find_first_not_of(" \t\r") != absl::string_view::npos) ++n;
    begin = end + 1;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fathom::fuzz::MemFile* file = new fathom::fuzz::MemFile;
  static fathom::fuzz::TempDir* dir = new fathom::fuzz::TempDir;
  static const fathom::grader::ProblemSet* problems =
      new fathom::grader::ProblemSet(MakeProblems());
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  file->Set(text);

  fathom::grader::EvalPlusReportOptions o;
  o.results_path = file->path();
  o.out_path = dir->path() + "/eval_results.json";
  o.dataset_hash = "0123";
  o.date = "2024-01-01 00:00";
  o.extract = static_cast<fathom::grader::ExtractMode>(size % 3);
  absl::StatusOr<fathom::grader::EvalPlusPassAtK> result =
      fathom::grader::WriteEvalPlusResults(*problems, o);
  if (!result.ok()) return 0;

  std::ifstream in(o.out_path, std::ios::binary);
  const std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The input lists hold NaN and big numbers verbatim, as EvalPlus writes them; Python's
  // json reads NaN, nlohmann does not: check the structure with NaN spelled as null.
  std::string strict = out;
  for (size_t at; (at = strict.find("NaN")) != std::string::npos;) strict.replace(at, 3, "null");
  nlohmann::json j = nlohmann::json::parse(strict, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(j.is_object() && j["eval"].is_object());
  size_t entries = 0;
  for (const auto& [task, list] : j["eval"].items()) {
    FUZZ_CHECK(problems->Find(task) != nullptr && list.is_array());
    entries += list.size();
  }
  const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  if (!gzip) FUZZ_CHECK(entries == CountRecordLines(text));
  for (const auto* values : {&result->base, &result->plus}) {
    for (const auto& [k, v] : *values) FUZZ_CHECK(v >= 0 && v <= 1);
  }
  return 0;
}
