// Raw JSON text, sliced without being parsed into numbers: EvalPlus's input lists hold
// integers beyond 64 bits and the non-standard tokens Infinity / -Infinity / NaN (MBPP+
// task 404), which nlohmann::json either rounds or rejects. The I/O mode passes such
// values to Python verbatim (Python's json reads them exactly), so the grader keeps their
// text and never rounds them.
//
// The scanner accepts what Python's json module accepts (JSON plus NaN, Infinity,
// -Infinity) and checks structure only: strings are skipped escape by escape, numbers and
// literals by their characters; a value it cannot skip is an error with the byte offset.
//
// Pure functions; thread-safe.
#ifndef FATHOM_GRADER_FORMATS_RAW_JSON_H_
#define FATHOM_GRADER_FORMATS_RAW_JSON_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fathom::grader {

// A member of a JSON object, as byte offsets into the object's text.
struct RawMember {
  std::string key;          // decoded only for plain keys (no escapes); else the raw text
  size_t value_begin = 0;   // first byte of the value
  size_t value_end = 0;     // one past its last byte
};

// The top-level members of the JSON object `text` (leading/trailing whitespace allowed),
// in order. InvalidArgument naming the byte offset when `text` is not one object.
absl::StatusOr<std::vector<RawMember>> RawObjectMembers(absl::string_view text);

// The elements of the JSON array `text`, each as its raw text (whitespace trimmed).
// InvalidArgument naming the byte offset when `text` is not one array.
absl::StatusOr<std::vector<std::string>> RawArrayElements(absl::string_view text);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_FORMATS_RAW_JSON_H_
