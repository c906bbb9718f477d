// Fuzzes the raw JSON scanner (grader/raw_json.cc) that slices EvalPlus input lists out of
// problem files without parsing their numbers. Invariants: every slice lies inside the
// text, in order, without surrounding whitespace; whatever nlohmann::json accepts as an
// object or a list (within the scanner's nesting limit) the scanner accepts too, with the
// same members, each slice parsing to the value nlohmann found there.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include "absl/strings/string_view.h"

#include "fuzz/fuzz_util.h"
#include "grader/formats/raw_json.h"
#include "nlohmann/json.hpp"

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void CheckTrimmed(absl::string_view slice) {
  FUZZ_CHECK(!slice.empty());
  FUZZ_CHECK(!IsSpace(slice.front()) && !IsSpace(slice.back()));
}

// Below the scanner's documented nesting limit (512), so a refusal is a bug.
bool Shallow(absl::string_view text) {
  int depth = 0;
  for (char c : text) {
    if (c == '[' || c == '{') ++depth;
    if (depth > 500) return false;
  }
  return true;
}

nlohmann::json Parse(absl::string_view text) {
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  // nlohmann::json stops at a NUL byte as at the end of the input ("[7]\0junk" is a
  // list to it, not to Python's json or the scanner): no comparison on such text.
  const nlohmann::json j =
      text.find('\0') == absl::string_view::npos ? Parse(text) : nlohmann::json();

  absl::StatusOr<std::vector<fathom::grader::RawMember>> members =
      fathom::grader::RawObjectMembers(text);
  if (members.ok()) {
    size_t last_end = 0;
    std::set<std::string> keys;
    bool distinct_plain_keys = true;
    for (const fathom::grader::RawMember& m : *members) {
      FUZZ_CHECK(last_end <= m.value_begin && m.value_begin < m.value_end &&
                 m.value_end <= text.size());
      last_end = m.value_end;
      CheckTrimmed(text.substr(m.value_begin, m.value_end - m.value_begin));
      if (m.key.find('\\') != std::string::npos || !keys.insert(m.key).second) {
        distinct_plain_keys = false;
      }
    }
    if (j.is_object() && distinct_plain_keys) {
      FUZZ_CHECK(j.size() == members->size());
      for (const fathom::grader::RawMember& m : *members) {
        FUZZ_CHECK(j.contains(m.key));
        FUZZ_CHECK(Parse(text.substr(m.value_begin, m.value_end - m.value_begin)) == j[m.key]);
      }
    }
  } else if (j.is_object()) {
    FUZZ_CHECK(!Shallow(text));
  }

  absl::StatusOr<std::vector<std::string>> elements = fathom::grader::RawArrayElements(text);
  if (elements.ok()) {
    for (const std::string& e : *elements) CheckTrimmed(e);
    if (j.is_array()) {
      FUZZ_CHECK(j.size() == elements->size());
      for (size_t i = 0; i < elements->size(); ++i) FUZZ_CHECK(Parse((*elements)[i]) == j[i]);
    }
  } else if (j.is_array()) {
    FUZZ_CHECK(!Shallow(text));
  }
  return 0;
}
