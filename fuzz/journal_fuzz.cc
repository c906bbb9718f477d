// Fuzzes the journal reader (grader/journal.cc, and VerdictFromJson in verdict.cc): the
// file a killed `fathom grade` resumes from, which may be torn or damaged. Invariants:
// opening never fails on content (only a journal of another run is refused, with
// FailedPrecondition); afterwards the file holds exactly the valid prefix, so a second
// open replays the same entries and leaves the bytes as they are; every replayed verdict
// serializes.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "fuzz/fuzz_util.h"
#include "grader/journal.h"
#include "nlohmann/json.hpp"

namespace {

constexpr char kFingerprint[] = "f00d";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool SameEntry(const fathom::grader::JournalEntry& a, const fathom::grader::JournalEntry& b) {
  return a.index == b.index && a.key == b.key && a.verdict == b.verdict;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fathom::fuzz::MemFile* file = new fathom::fuzz::MemFile;
  file->Set(absl::string_view(reinterpret_cast<const char*>(data), size));

  std::vector<fathom::grader::JournalEntry> first, second;
  {
    auto journal = fathom::grader::Journal::Open(
        file->path(), kFingerprint,
        [&](const fathom::grader::JournalEntry& e) { first.push_back(e); });
    if (!journal.ok()) {
      FUZZ_CHECK(absl::IsFailedPrecondition(journal.status()));
      return 0;
    }
  }
  for (const fathom::grader::JournalEntry& e : first) {
    FUZZ_CHECK(fathom::grader::VerdictFromJson(fathom::grader::VerdictToJson(e.verdict)).ok());
  }
  const std::string after_first = ReadAll(file->path());
  FUZZ_CHECK(!after_first.empty() && after_first.back() == '\n');
  {
    auto journal = fathom::grader::Journal::Open(
        file->path(), kFingerprint,
        [&](const fathom::grader::JournalEntry& e) { second.push_back(e); });
    FUZZ_CHECK(journal.ok());
  }
  FUZZ_CHECK(ReadAll(file->path()) == after_first);
  FUZZ_CHECK(first.size() == second.size());
  for (size_t i = 0; i < first.size(); ++i) FUZZ_CHECK(SameEntry(first[i], second[i]));
  return 0;
}
