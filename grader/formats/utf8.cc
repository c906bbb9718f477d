// UTF-8 validation by RFC 3629's table of well-formed byte sequences.
#include "grader/formats/utf8.h"

#include <cstdint>

namespace fathom::grader {
namespace {

constexpr char kReplacement[] = "\xef\xbf\xbd";  // U+FFFD

// Length of the well-formed sequence starting at s[i], or 0 when there is none. The lead
// byte fixes the length and the range of the second byte; that range is what refuses
// overlong forms (E0 80..9F, F0 80..8F; C0 and C1 never lead), surrogates (ED A0..BF) and
// code points past U+10FFFF (F4 90..BF; F5..FF never lead).
size_t ValidSequenceLength(absl::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t lead = byte(i);
  if (lead < 0x80) return 1;
  size_t len = 0;
  uint8_t second_min = 0x80;
  uint8_t second_max = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    len = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    len = 3;
    if (lead == 0xe0) second_min = 0xa0;
    if (lead == 0xed) second_max = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    len = 4;
    if (lead == 0xf0) second_min = 0x90;
    if (lead == 0xf4) second_max = 0x8f;
  } else {
    return 0;  // a continuation byte, C0, C1 or F5..FF
  }
  if (s.size() - i < len) return 0;
  if (byte(i + 1) < second_min || byte(i + 1) > second_max) return 0;
  for (size_t k = 2; k < len; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  }
  return len;
}

}  // namespace

bool IsValidUtf8(absl::string_view bytes) {
  for (size_t i = 0; i < bytes.size();) {
    const size_t len = ValidSequenceLength(bytes, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string SanitizeUtf8(absl::string_view bytes, bool* lossy) {
  std::string out;
  out.reserve(bytes.size());
  bool replaced = false;
  for (size_t i = 0; i < bytes.size();) {
    const size_t len = ValidSequenceLength(bytes, i);
    if (len == 0) {
      out += kReplacement;
      replaced = true;
      ++i;
    } else {
      out.append(bytes.data() + i, len);
      i += len;
    }
  }
  if (lossy != nullptr) *lossy = replaced;
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
