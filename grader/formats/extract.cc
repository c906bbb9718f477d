// Answer extraction for raw model output.
#include "grader/formats/extract.h"

#include "absl/strings/str_cat.h"

namespace fathom::grader {

absl::StatusOr<ExtractMode> ParseExtractMode(absl::string_view name) {
  if (name == "none") return ExtractMode::kNone;
  if (name == "fenced") return ExtractMode::kFenced;
  if (name == "stop") return ExtractMode::kStop;
  return absl::InvalidArgumentError(
      absl::StrCat(name, ": expected none, fenced or stop"));
}

const char* ExtractModeName(ExtractMode mode) {
  switch (mode) {
    case ExtractMode::kNone:
      return "none";
    case ExtractMode::kFenced:
      return "fenced";
    case ExtractMode::kStop:
      return "stop";
  }
  return "?";
}

std::vector<std::string> DefaultStopSequences() {
  return {"\nclass", "\ndef", "\n#", "\nif", "\nprint"};
}

std::string UnescapeStopSequence(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      char c = text[i + 1];
      if (c == 'n' || c == 't' || c == 'r' || c == '\\') {
        out.push_back(c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : '\\');
        ++i;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::string Extract(absl::string_view text, ExtractMode mode,
                    const std::vector<std::string>& stops) {
  switch (mode) {
    case ExtractMode::kNone:
      return std::string(text);
    case ExtractMode::kFenced: {
      size_t open = text.find("```");
      if (open == absl::string_view::npos) return std::string(text);
      size_t body = text.find('\n', open + 3);
      if (body == absl::string_view::npos) return std::string(text);
      ++body;
      // The closing fence may start the body's line or end the last line.
      size_t close = text.find("```", body);
      if (close == absl::string_view::npos) return std::string(text);
      return std::string(text.substr(body, close - body));
    }
    case ExtractMode::kStop: {
      size_t cut = text.size();
      for (const std::string& stop : stops) {
        if (stop.empty()) continue;
        size_t at = text.find(stop);
        if (at != absl::string_view::npos && at < cut) cut = at;
      }
      return std::string(text.substr(0, cut));
    }
  }
  return std::string(text);
}

}  // namespace fathom::grader
