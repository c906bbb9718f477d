// Fuzzes the journal reader (grader/pipeline/journal.cc, and VerdictFromJson in
// verdict.cc): the file a killed `fathom grade` or `fathom eval` resumes from, which may
// be torn or damaged. The entry reader here accepts what a verdict journal holds (an
// object whose "v" is a verdict) and refuses the rest, as grade.cc's does. Invariants:
// opening never fails on content (only a journal of another run is refused, with
// FailedPrecondition); afterwards the file holds exactly the accepted prefix, so a second
// open replays the same entries and leaves the bytes as they are; every replayed verdict
// serializes and reads back.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "fuzz/fuzz_util.h"
#include "grader/pipeline/journal.h"
#include "grader/pipeline/verdict.h"
#include "nlohmann/json.hpp"

namespace {

constexpr char kFingerprint[] = "f00d";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Accepts an entry when its "v" is a verdict; collects the entries it accepted.
struct Reader {
  std::vector<nlohmann::json> accepted;
  bool operator()(const nlohmann::json& entry) {
    auto v = entry.find("v");
    if (!entry.is_object() || v == entry.end()) return false;
    absl::StatusOr<fathom::grader::Verdict> verdict = fathom::grader::VerdictFromJson(*v);
    if (!verdict.ok()) return false;
    FUZZ_CHECK(fathom::grader::VerdictFromJson(fathom::grader::VerdictToJson(*verdict)).ok());
    accepted.push_back(entry);
    return true;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fathom::fuzz::MemFile* file = new fathom::fuzz::MemFile;
  file->Set(absl::string_view(reinterpret_cast<const char*>(data), size));

  Reader first, second;
  {
    auto journal = fathom::grader::Journal::Open(
        file->path(), kFingerprint, [&](const nlohmann::json& e) { return first(e); });
    if (!journal.ok()) {
      FUZZ_CHECK(absl::IsFailedPrecondition(journal.status()));
      return 0;
    }
  }
  const std::string after_first = ReadAll(file->path());
  FUZZ_CHECK(!after_first.empty() && after_first.back() == '\n');
  {
    auto journal = fathom::grader::Journal::Open(
        file->path(), kFingerprint, [&](const nlohmann::json& e) { return second(e); });
    FUZZ_CHECK(journal.ok());
  }
  FUZZ_CHECK(ReadAll(file->path()) == after_first);
  FUZZ_CHECK(first.accepted == second.accepted);
  return 0;
}
