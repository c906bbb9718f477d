// SHA-256 (FIPS 180-4), used for content-addressed cache keys and run fingerprints.
//
// Thread safety: a Sha256 object is not shared; the free functions are pure.
#ifndef FATHOM_GRADER_FORMATS_SHA256_H_
#define FATHOM_GRADER_FORMATS_SHA256_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace fathom::grader {

class Sha256 {
 public:
  Sha256();
  // Feeds bytes; may be called any number of times before Final().
  void Update(absl::string_view data);
  // Length-prefixed update: Update(decimal size + ':' + data). Used to hash several fields
  // without ambiguity ("ab"+"c" and "a"+"bc" hash differently).
  void UpdateField(absl::string_view data);
  // The digest as 64 lowercase hex characters. The object must not be used afterwards.
  std::string FinalHex();

 private:
  void Block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_bytes_ = 0;
};

// Hex digest of `data`.
std::string Sha256Hex(absl::string_view data);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_FORMATS_SHA256_H_
