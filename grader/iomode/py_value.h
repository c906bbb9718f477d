// Python values as the I/O mode's channel carries them out of the sandbox, and Python's
// `==` on them, computed here, outside the candidate's process.
//
// Only plain values cross: None, bool, int (any size), float, complex, str, and list,
// tuple, dict, set, frozenset of them. The sandboxed harness (io_mode.cc) checks exact types, so a
// subclass of int/str/list, an object with a lying __eq__, a generator or a numpy array
// never becomes a value: it is reported as not plain, and the sample fails.
//
// Wire format (ASCII, one value, prefix notation; written by the harness, parsed here):
//   n            None              T / F      True / False
//   i[-]HEX;     int, lowercase hex magnitude without leading zeros ("i0;" is zero)
//   fHHHHHHHHHHHHHHHH   float, its IEEE-754 bits as 16 hex digits (big-endian)
//   cHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHH   complex: real then imaginary part, as for float
//                (MBPP+ task 590 returns one; cmath results are plain data too)
//   sHEX;        str, the hex of its UTF-8 bytes (lone surrogates as "surrogatepass")
//   lN:  tN:  SN:  ZN:    list, tuple, set, frozenset of N values that follow
//   dN:          dict of N key/value pairs that follow (key first)
//   HN:DIGEST    str of N UTF-8 bytes (N > kMaxInlineBytes) with that SHA-256
//   I[-]N:DIGEST int whose hex magnitude has N digits (N > kMaxInlineBytes), SHA-256 of it
// Hex keeps huge integers exact and fast on both sides (Python's str(int) refuses more
// than 4300 digits; format(x, "x") has no such limit), and bits keep floats exact. Long
// strings and huge integers travel as digests: both sides digest every value over the
// threshold the same way, so equality and hash identity are decided by (length, digest)
// without moving megabytes (HumanEval/15's expected outputs alone are 147 MB). A digest
// tells the candidate nothing: it is computed from its own answer.
//
// Equality follows CPython: numbers compare by value across bool/int/float (True == 1 ==
// 1.0, NaN != NaN), list != tuple, set == frozenset, dict keys match by hash equality
// (1, 1.0 and True are one key), strings by code points.
//
// Equality digests: values compared without holding them (the I/O mode keeps most
// expected outputs, and the harness sends large answers, as this digest only). The
// equality form of a value is its wire text made canonical, so that two values have the
// same form exactly when they are equal:
//   numbers      bool, int and integral finite floats as the int ("i1;" for True, 1 and
//                1.0; "i0;" for -0.0); other floats as on the wire; a complex with a zero
//                imaginary part as its real part (a float), else "c" with the real part's
//                -0.0 written as 0.0
//   str, None, list, tuple   as on the wire, with their items' forms
//   set, frozenset   "z" N ":" and the N elements' digests (64 hex) in sorted order
//   dict         "d" N ":" and N key digest + value digest pairs, sorted
// A value with a NaN anywhere equals nothing and has no form; neither has one that no
// real Python value can be (an unhashable set element or dict key, two equal elements
// or keys). The digest is the SHA-256 (hex) of the form. io_harness.py computes the same
// digests from the Python objects (its `encode` with canonical=True); tests check that
// both sides agree. On values Python can hold, EqualityDigest(a) == EqualityDigest(b),
// both present, exactly when PyEquals(a, b).
//
// Pure functions; thread-safe.
#ifndef FATHOM_GRADER_IOMODE_PY_VALUE_H_
#define FATHOM_GRADER_IOMODE_PY_VALUE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fathom::grader {

struct PyValue {
  enum class Kind : uint8_t {
    kNone, kBool, kInt, kFloat, kStr, kList, kTuple, kDict, kSet, kFrozenSet, kComplex,
  };
  Kind kind = Kind::kNone;
  bool boolean = false;   // kBool
  bool negative = false;  // kInt
  double number = 0;      // kFloat; kComplex: the real part
  double imag = 0;        // kComplex
  std::string text;       // kInt: hex magnitude; kStr: UTF-8 bytes; digested: the digest
  bool digested = false;  // kInt / kStr over kMaxInlineBytes: `text` is its SHA-256 (hex)
  uint64_t length = 0;    // digested: the str's byte length / the int's hex digits
  std::vector<PyValue> items;  // containers; kDict: key, value, key, value, ...

  static PyValue None() { return PyValue{}; }
  static PyValue Bool(bool b);
  static PyValue Int(int64_t v);
  static PyValue Float(double d);
  static PyValue Str(std::string utf8);
  static PyValue Container(Kind kind, std::vector<PyValue> items);

  bool is_number() const { return kind == Kind::kBool || kind == Kind::kInt || kind == Kind::kFloat; }
  // Elements of a list/tuple/set/frozenset, or pairs of a dict.
  size_t size() const { return kind == Kind::kDict ? items.size() / 2 : items.size(); }
};

// Strings (UTF-8 bytes) and integers (hex digits) longer than this travel as digests.
inline constexpr uint64_t kMaxInlineBytes = 4096;

// Python's type name ("int", "list", ...).
const char* PyTypeName(PyValue::Kind kind);

// Parses exactly one wire value (the whole of `wire`). InvalidArgument naming the byte
// offset on anything malformed; nesting deeper than kMaxPyValueDepth is refused.
inline constexpr int kMaxPyValueDepth = 2000;
absl::StatusOr<PyValue> DecodePyValue(absl::string_view wire);

// The equality digest (see above) of exactly one wire value: nullopt for a value that
// equals nothing; InvalidArgument exactly where DecodePyValue refuses the wire. Streams
// over the wire: no value tree is built (sets and dicts hold their members' digests).
absl::StatusOr<std::optional<std::string>> EqualityDigest(absl::string_view wire);

// The wire text of `v` (the inverse of DecodePyValue).
std::string EncodePyValue(const PyValue& v);

// Python's `a == b`.
bool PyEquals(const PyValue& a, const PyValue& b);

// Python's hash identity of a hashable value: two hashable values are the same dict key
// or set element exactly when their keys are equal. nullopt for unhashable values (list,
// dict, set) and for NaN (a NaN is only ever equal to itself, never to a copy).
std::optional<std::string> PyHashKey(const PyValue& v);

// A double for a number that numpy would hold in a numeric array: bools, floats, and ints
// within int64/uint64. nullopt otherwise (numpy makes an object array of bigger ints).
std::optional<double> PyNumber(const PyValue& v);

// A short Python-like rendering for messages, cut at about `max_bytes`.
std::string PyRepr(const PyValue& v, size_t max_bytes = 200);

}  // namespace fathom::grader

#endif  // FATHOM_GRADER_IOMODE_PY_VALUE_H_
