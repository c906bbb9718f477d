// Known-answer tests for grader/sha256.
#include "grader/formats/sha256.h"

#include <array>
#include <string>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

TEST(Sha256Test, KnownAnswers) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, IncrementalEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 7));
  for (size_t split : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 999u}) {
    Sha256 h;
    h.Update(data.substr(0, split));
    h.Update(data.substr(split));
    EXPECT_EQ(h.FinalHex(), Sha256Hex(data)) << split;
  }
}

TEST(Sha256Test, BytesAreTheHexDigits) {
  Sha256 h;
  h.Update("abc");
  std::array<char, 32> bytes = h.FinalBytes();
  std::string hex;
  for (char c : bytes) hex += absl::StrFormat("%02x", static_cast<unsigned char>(c));
  EXPECT_EQ(hex, Sha256Hex("abc"));
}

TEST(Sha256Test, FieldsAreUnambiguous) {
  Sha256 a, b;
  a.UpdateField("ab");
  a.UpdateField("c");
  b.UpdateField("a");
  b.UpdateField("bc");
  EXPECT_NE(a.FinalHex(), b.FinalHex());
}

}  // namespace
}  // namespace fathom::grader
