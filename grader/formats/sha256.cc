// SHA-256 through OpenSSL's EVP digest API (see sha256.h).
#include "grader/formats/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace fathom::grader {
namespace {

// SHA-256 from the default provider fails only when memory runs out; there is nothing a
// caller could do instead of a digest, so a failure ends the process loudly.
void CheckOk(int ok, const char* what) {
  if (ok == 1) return;
  std::fprintf(stderr, "fathom: OpenSSL %s failed for SHA-256\n", what);
  std::abort();
}

}  // namespace

void Sha256::CtxFree::operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  CheckOk(ctx_ != nullptr, "EVP_MD_CTX_new");
  CheckOk(EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr), "EVP_DigestInit_ex");
}

void Sha256::Update(absl::string_view data) {
  CheckOk(EVP_DigestUpdate(ctx_.get(), data.data(), data.size()), "EVP_DigestUpdate");
}

void Sha256::UpdateField(absl::string_view data) {
  Update(absl::StrCat(data.size(), ":"));
  Update(data);
}

std::array<char, 32> Sha256::FinalBytes() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  CheckOk(EVP_DigestFinal_ex(ctx_.get(), digest, &len), "EVP_DigestFinal_ex");
  CheckOk(len == 32, "EVP_DigestFinal_ex length");
  std::array<char, 32> out;
  std::memcpy(out.data(), digest, out.size());
  return out;
}

std::string Sha256::FinalHex() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (char c : FinalBytes()) {
    auto b = static_cast<unsigned char>(c);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

std::string Sha256Hex(absl::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.FinalHex();
}

}  // namespace fathom::grader
