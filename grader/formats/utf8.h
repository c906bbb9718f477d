// Small text helpers: making process output valid UTF-8 and keeping a bounded tail.
#ifndef FATHOM_GRADER_FORMATS_UTF8_H_
#define FATHOM_GRADER_FORMATS_UTF8_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace fathom::grader {

// Valid UTF-8 sequences are kept; every other byte becomes U+FFFD.
std::string SanitizeUtf8(absl::string_view bytes);

// The last at most `max_bytes` bytes of `text`, starting on a UTF-8 character boundary,
// sanitized; prefixed with "..." when something was cut.
std::string Utf8Tail(absl::string_view text, size_t max_bytes);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_FORMATS_UTF8_H_
