// Fuzzes the I/O mode's value model (grader/py_value.cc): the wire format a sandboxed
// harness sends return values in, and Python's == and hash on them. Invariants: decoding
// then encoding reaches a fixed point that decodes to an equal value (floats by their
// bits); on values a real Python could send (no duplicate set elements or dict keys),
// == is symmetric, reflexive without NaN, and agrees with hash identity (equal hashable
// values have equal keys and only they do) and with equality digests (equal digests
// exactly for equal values); PyRepr stays within its bound; a wire is refused by
// EqualityDigest exactly when DecodePyValue refuses it.
//
// Input: one wire value, or two separated by the first '|' (a byte no wire value holds).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include "absl/strings/string_view.h"

#include "fuzz/fuzz_util.h"
#include "grader/iomode/py_value.h"

namespace {

using fathom::grader::PyValue;
using Kind = PyValue::Kind;

// True when `v` is a value Python can hold: set elements and dict keys hashable and
// distinct (the wire can say otherwise; such values are never equal to anything).
bool Real(const PyValue& v) {
  const bool set = v.kind == Kind::kSet || v.kind == Kind::kFrozenSet;
  std::set<std::string> keys;
  for (size_t i = 0; i < v.items.size(); ++i) {
    if (!Real(v.items[i])) return false;
    if (set || (v.kind == Kind::kDict && i % 2 == 0)) {
      std::optional<std::string> k = fathom::grader::PyHashKey(v.items[i]);
      if (!k || !keys.insert(*k).second) return false;
    }
  }
  return true;
}

bool HasNan(const PyValue& v) {
  if ((v.kind == Kind::kFloat || v.kind == Kind::kComplex) &&
      (std::isnan(v.number) || std::isnan(v.imag))) {
    return true;
  }
  for (const PyValue& item : v.items) {
    if (HasNan(item)) return true;
  }
  return false;
}

// Decodes `wire`; for a valid one checks the round trip and the bound of PyRepr.
std::optional<PyValue> Decode(absl::string_view wire) {
  absl::StatusOr<PyValue> v = fathom::grader::DecodePyValue(wire);
  FUZZ_CHECK(v.ok() == fathom::grader::EqualityDigest(wire).ok());
  if (!v.ok()) return std::nullopt;
  const std::string once = fathom::grader::EncodePyValue(*v);
  FUZZ_CHECK(once.size() <= wire.size());  // only leading zeros of lengths are dropped
  absl::StatusOr<PyValue> again = fathom::grader::DecodePyValue(once);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(fathom::grader::EncodePyValue(*again) == once);
  if (!HasNan(*v) && Real(*v)) FUZZ_CHECK(fathom::grader::PyEquals(*v, *again));
  for (size_t max : {0, 5, 200}) FUZZ_CHECK(fathom::grader::PyRepr(*v, max).size() <= max + 3);
  fathom::grader::PyNumber(*v);
  return *std::move(v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t bar = in.find('|');
  std::optional<PyValue> a = Decode(in.substr(0, bar));
  if (!a) return 0;
  std::optional<PyValue> b = bar == absl::string_view::npos ? a : Decode(in.substr(bar + 1));
  if (!b || !Real(*a) || !Real(*b)) return 0;

  const bool eq = fathom::grader::PyEquals(*a, *b);
  FUZZ_CHECK(eq == fathom::grader::PyEquals(*b, *a));
  if (!HasNan(*a)) FUZZ_CHECK(fathom::grader::PyEquals(*a, *a));
  std::optional<std::string> ka = fathom::grader::PyHashKey(*a);
  std::optional<std::string> kb = fathom::grader::PyHashKey(*b);
  if (ka && kb) FUZZ_CHECK(eq == (*ka == *kb));
  // Equality digests (compared without the values) decide exactly as ==.
  auto da = fathom::grader::EqualityDigest(fathom::grader::EncodePyValue(*a));
  auto db = fathom::grader::EqualityDigest(fathom::grader::EncodePyValue(*b));
  FUZZ_CHECK(da.ok() && db.ok());
  FUZZ_CHECK(eq == (da->has_value() && db->has_value() && **da == **db));
  return 0;
}
