// The one UTF-8 validator: every piece of text that did not come from us (program output,
// harness messages, files a user handed in) goes through it before it becomes JSON, a
// protobuf string or a log line, so nothing a program writes can make a JSON library
// throw or put bytes that are not UTF-8 into our output.
//
// Valid means RFC 3629: no overlong forms, no UTF-16 surrogates (U+D800..U+DFFF), nothing
// above U+10FFFF, no truncated sequence, no continuation byte without a lead byte.
//
// Pure functions; thread-safe.
#ifndef FATHOM_GRADER_FORMATS_UTF8_H_
#define FATHOM_GRADER_FORMATS_UTF8_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace fathom::grader {

// Whether `bytes` is entirely valid UTF-8 (the empty string is).
bool IsValidUtf8(absl::string_view bytes);

// `bytes` with every valid sequence kept and every byte that does not belong to one
// replaced by U+FFFD (one per byte: a truncated three-byte sequence gives two). When
// `lossy` is given, it is set to whether anything was replaced.
std::string SanitizeUtf8(absl::string_view bytes, bool* lossy = nullptr);

// The last at most `max_bytes` bytes of `text`, starting on a UTF-8 character boundary,
// sanitized; prefixed with "..." when something was cut.
std::string Utf8Tail(absl::string_view text, size_t max_bytes);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_FORMATS_UTF8_H_
