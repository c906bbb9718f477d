// Fuzzes the UTF-8 check (grader/utf8.cc) that every piece of program output passes through
// before it becomes JSON. Invariants: SanitizeUtf8 agrees byte for byte with a reference
// decoder written from the Unicode standard's table of well-formed sequences (Table 3-7),
// so surrogates, overlongs, truncated sequences and code points above U+10FFFF are all
// replaced; valid input comes back unchanged; the result is accepted by nlohmann::json's
// dump (whose throw on invalid UTF-8 is the crash this check exists to prevent); Utf8Tail
// is a sanitized suffix of the right size.
#include <cstddef>
#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "fuzz/fuzz_util.h"
#include "grader/formats/utf8.h"
#include "nlohmann/json.hpp"

namespace {

// Length of the well-formed sequence at s[i] (Unicode 15, Table 3-7), 0 when there is none.
size_t WellFormedLength(absl::string_view s, size_t i) {
  auto at = [&](size_t k) -> int { return i + k < s.size() ? static_cast<uint8_t>(s[i + k]) : -1; };
  auto in = [](int b, int lo, int hi) { return b >= lo && b <= hi; };
  const int b0 = at(0);
  if (in(b0, 0x00, 0x7f)) return 1;
  if (in(b0, 0xc2, 0xdf)) return in(at(1), 0x80, 0xbf) ? 2 : 0;
  int lo = 0x80, hi = 0xbf;  // the second byte's range
  size_t len;
  if (b0 == 0xe0) {
    lo = 0xa0, len = 3;
  } else if (in(b0, 0xe1, 0xec) || in(b0, 0xee, 0xef)) {
    len = 3;
  } else if (b0 == 0xed) {
    hi = 0x9f, len = 3;  // not D800..DFFF
  } else if (b0 == 0xf0) {
    lo = 0x90, len = 4;
  } else if (in(b0, 0xf1, 0xf3)) {
    len = 4;
  } else if (b0 == 0xf4) {
    hi = 0x8f, len = 4;  // not above U+10FFFF
  } else {
    return 0;
  }
  if (!in(at(1), lo, hi)) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (!in(at(k), 0x80, 0xbf)) return 0;
  }
  return len;
}

std::string ReferenceSanitize(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t len = WellFormedLength(s, i);
    if (len == 0) {
      out += "\xef\xbf\xbd";
      ++i;
    } else {
      out.append(s.data() + i, len);
      i += len;
    }
  }
  return out;
}

bool ReferenceValid(absl::string_view s) { return ReferenceSanitize(s) == s; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string out = fathom::grader::SanitizeUtf8(in);
  FUZZ_CHECK(out == ReferenceSanitize(in));
  FUZZ_CHECK(ReferenceValid(out));
  FUZZ_CHECK(ReferenceValid(in) == (out == in));
  FUZZ_CHECK(fathom::grader::SanitizeUtf8(out) == out);
  std::string dumped;
  try {
    dumped = nlohmann::json(out).dump();
  } catch (const nlohmann::json::exception&) {
    FUZZ_CHECK(!"nlohmann::json refused SanitizeUtf8's output");
  }
  FUZZ_CHECK(nlohmann::json::parse(dumped).get<std::string>() == out);

  // The tail: the first byte picks the budget, the rest is the text.
  if (size == 0) return 0;
  const size_t max_bytes = data[0];
  const absl::string_view text = in.substr(1);
  const std::string tail = fathom::grader::Utf8Tail(text, max_bytes);
  if (text.size() <= max_bytes) {
    FUZZ_CHECK(tail == ReferenceSanitize(text));
    return 0;
  }
  // "..." and the sanitized last k bytes, k = max_bytes less at most 3 continuation bytes.
  FUZZ_CHECK(tail.compare(0, 3, "...") == 0);
  bool matched = false;
  for (size_t cut = 0; cut <= 3 && cut <= max_bytes && !matched; ++cut) {
    matched = tail.substr(3) == ReferenceSanitize(text.substr(text.size() - max_bytes + cut));
  }
  FUZZ_CHECK(matched);
  return 0;
}
