// UTF-8 validation by hand (RFC 3629: no overlongs, no surrogates, max U+10FFFF).
#include "grader/formats/utf8.h"

#include <cstdint>

namespace fathom::grader {
namespace {

// Length of the valid sequence starting at s[i], or 0 when invalid.
size_t ValidSequenceLength(absl::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t c = b(i);
  if (c < 0x80) return 1;
  size_t len;
  uint32_t min;
  uint32_t cp;
  if ((c & 0xe0) == 0xc0) {
    len = 2, min = 0x80, cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3, min = 0x800, cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

}  // namespace

std::string SanitizeUtf8(absl::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    size_t len = ValidSequenceLength(bytes, i);
    if (len == 0) {
      out += "\xef\xbf\xbd";
      ++i;
    } else {
      out.append(bytes.data() + i, len);
      i += len;
    }
  }
  return out;
}

std::string Utf8Tail(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return SanitizeUtf8(text);
  size_t start = text.size() - max_bytes;
  // Skip continuation bytes so the tail starts on a character.
  for (int k = 0; k < 3 && start < text.size() &&
                  (static_cast<uint8_t>(text[start]) & 0xc0) == 0x80;
       ++k) {
    ++start;
  }
  return "..." + SanitizeUtf8(text.substr(start));
}

}  // namespace fathom::grader
