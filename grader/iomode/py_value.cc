// Wire decoding, Python equality and hash identity of plain values.
#include "grader/iomode/py_value.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grader/formats/sha256.h"

namespace fathom::grader {
namespace {

using Kind = PyValue::Kind;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string U64Hex(uint64_t v) { return absl::StrFormat("%x", v); }

bool AppendHashKey(const PyValue& v, std::string* out);

// Where an equality form goes: SHA-256, fed in chunks (a form can be as long as the wire).
class FormSink {
 public:
  void Append(absl::string_view data) {
    buffer_.append(data.data(), data.size());
    if (buffer_.size() >= kChunk) Flush();
  }
  std::string FinalHex() {
    Flush();
    return hash_.FinalHex();
  }

 private:
  static constexpr size_t kChunk = 1 << 16;
  void Flush() {
    hash_.Update(buffer_);
    buffer_.clear();
  }
  Sha256 hash_;
  std::string buffer_;
};

class Decoder {
 public:
  explicit Decoder(absl::string_view wire) : w_(wire) {}

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("value: ", what, " at byte ", pos_));
  }

  absl::Status Value(PyValue* out, int depth) {
    if (depth > kMaxPyValueDepth) return Error("nested too deeply");
    if (pos_ >= w_.size()) return Error("truncated");
    char tag = w_[pos_++];
    switch (tag) {
      case 'n':
        out->kind = Kind::kNone;
        return absl::OkStatus();
      case 'T':
      case 'F':
        out->kind = Kind::kBool;
        out->boolean = tag == 'T';
        return absl::OkStatus();
      case 'i': {
        out->kind = Kind::kInt;
        if (pos_ < w_.size() && w_[pos_] == '-') {
          out->negative = true;
          ++pos_;
        }
        size_t start = pos_;
        while (pos_ < w_.size() && HexDigit(w_[pos_]) >= 0) ++pos_;
        if (pos_ == start || pos_ >= w_.size() || w_[pos_] != ';') return Error("bad int");
        absl::string_view hex = w_.substr(start, pos_ - start);
        ++pos_;
        if (hex.size() > 1 && hex[0] == '0') return Error("int with leading zeros");
        if (hex == "0" && out->negative) return Error("negative zero int");
        if (hex.size() > kMaxInlineBytes) return Error("long int not digested");
        out->text = std::string(hex);
        return absl::OkStatus();
      }
      case 'H':
      case 'I': {
        out->kind = tag == 'H' ? Kind::kStr : Kind::kInt;
        out->digested = true;
        if (tag == 'I' && pos_ < w_.size() && w_[pos_] == '-') {
          out->negative = true;
          ++pos_;
        }
        size_t start = pos_;
        while (pos_ < w_.size() && w_[pos_] >= '0' && w_[pos_] <= '9' && pos_ - start < 19) {
          out->length = out->length * 10 + static_cast<uint64_t>(w_[pos_] - '0');
          ++pos_;
        }
        if (pos_ == start || pos_ >= w_.size() || w_[pos_] != ':' ||
            out->length <= kMaxInlineBytes || w_.size() - pos_ - 1 < 64) {
          return Error("bad digest");
        }
        ++pos_;
        for (size_t k = 0; k < 64; ++k) {
          if (HexDigit(w_[pos_ + k]) < 0) return Error("bad digest");
        }
        out->text = std::string(w_.substr(pos_, 64));
        pos_ += 64;
        return absl::OkStatus();
      }
      case 'f':
        out->kind = Kind::kFloat;
        return Double(&out->number);
      case 'c':
        out->kind = Kind::kComplex;
        if (absl::Status s = Double(&out->number); !s.ok()) return s;
        return Double(&out->imag);
      case 's': {
        out->kind = Kind::kStr;
        size_t start = pos_;
        while (pos_ < w_.size() && w_[pos_] != ';') ++pos_;
        if (pos_ >= w_.size() || (pos_ - start) % 2 != 0) return Error("bad str");
        if ((pos_ - start) / 2 > kMaxInlineBytes) return Error("long str not digested");
        out->text.reserve((pos_ - start) / 2);
        for (size_t k = start; k < pos_; k += 2) {
          int hi = HexDigit(w_[k]), lo = HexDigit(w_[k + 1]);
          if (hi < 0 || lo < 0) return Error("bad str");
          out->text.push_back(static_cast<char>(hi * 16 + lo));
        }
        ++pos_;
        return absl::OkStatus();
      }
      case 'l':
      case 't':
      case 'd':
      case 'S':
      case 'Z': {
        out->kind = ContainerKind(tag);
        uint64_t count = 0;
        if (absl::Status s = ContainerCount(tag, &count); !s.ok()) return s;
        out->items.resize(count);
        for (PyValue& item : out->items) {
          if (absl::Status s = Value(&item, depth + 1); !s.ok()) return s;
        }
        return absl::OkStatus();
      }
      default:
        --pos_;
        return Error(absl::StrCat("unknown tag '", absl::CEscape(std::string(1, tag)), "'"));
    }
  }

  bool AtEnd() const { return pos_ == w_.size(); }

  // The equality form (py_value.h) of the next value, fed to `out`; *hashable says
  // whether Python could hash it (a set element, a dict key). Sets no_form() instead
  // when the value equals nothing, and goes on: the whole wire is still checked, so a
  // malformed value is an error here exactly when DecodePyValue refuses it.
  absl::Status Form(FormSink& out, int depth, bool* hashable) {
    if (depth > kMaxPyValueDepth) return Error("nested too deeply");
    if (pos_ >= w_.size()) return Error("truncated");
    const char tag = w_[pos_];
    const size_t start = pos_;
    *hashable = true;
    if (!IsContainerTag(tag)) {
      PyValue v;
      if (absl::Status s = Value(&v, depth); !s.ok()) return s;
      if (tag == 's' || tag == 'i' || tag == 'n') {
        out.Append(w_.substr(start, pos_ - start));  // already canonical (checked above)
      } else {
        std::string form;
        if (!AppendHashKey(v, &form)) no_form_ = true;  // a NaN
        out.Append(form);
      }
      return absl::OkStatus();
    }
    ++pos_;
    uint64_t count = 0;
    if (absl::Status s = ContainerCount(tag, &count); !s.ok()) return s;
    if (tag == 'l' || tag == 't') {
      *hashable = tag == 't';
      out.Append(absl::StrCat(std::string(1, tag), count, ":"));
      for (uint64_t i = 0; i < count; ++i) {
        bool item_hashable = true;
        if (absl::Status s = Form(out, depth + 1, &item_hashable); !s.ok()) return s;
        *hashable = *hashable && item_hashable;
      }
      return absl::OkStatus();
    }
    // Sets and dicts: their members' digests in sorted order, so that the order the
    // harness met them in does not matter.
    const bool dict = tag == 'd';
    const uint64_t n = dict ? count / 2 : count;
    *hashable = tag == 'Z';
    std::vector<std::string> members;
    members.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      FormSink key;
      bool key_hashable = true;
      if (absl::Status s = Form(key, depth + 1, &key_hashable); !s.ok()) return s;
      if (!key_hashable) no_form_ = true;  // Python cannot hold it: equal to nothing
      std::string member = key.FinalHex();
      if (dict) {
        FormSink value;
        bool value_hashable = true;
        if (absl::Status s = Form(value, depth + 1, &value_hashable); !s.ok()) return s;
        member += value.FinalHex();
      }
      members.push_back(std::move(member));
    }
    std::sort(members.begin(), members.end());
    for (size_t i = 1; i < members.size(); ++i) {
      // Two equal elements or keys: no real set or dict holds them.
      if (members[i].compare(0, 64, members[i - 1], 0, 64) == 0) no_form_ = true;
    }
    out.Append(absl::StrCat(dict ? "d" : "z", n, ":"));
    for (const std::string& m : members) out.Append(m);
    return absl::OkStatus();
  }

  bool no_form() const { return no_form_; }

 private:
  static bool IsContainerTag(char tag) {
    return tag == 'l' || tag == 't' || tag == 'd' || tag == 'S' || tag == 'Z';
  }
  static Kind ContainerKind(char tag) {
    return tag == 'l'   ? Kind::kList
           : tag == 't' ? Kind::kTuple
           : tag == 'd' ? Kind::kDict
           : tag == 'S' ? Kind::kSet
                        : Kind::kFrozenSet;
  }

  // "N:" after a container's tag: its count of values (twice N for a dict).
  absl::Status ContainerCount(char tag, uint64_t* count) {
    size_t start = pos_;
    uint64_t n = 0;
    while (pos_ < w_.size() && w_[pos_] >= '0' && w_[pos_] <= '9' && pos_ - start < 12) {
      n = n * 10 + static_cast<uint64_t>(w_[pos_] - '0');
      ++pos_;
    }
    if (pos_ == start || pos_ >= w_.size() || w_[pos_] != ':') return Error("bad length");
    ++pos_;
    *count = tag == 'd' ? 2 * n : n;
    // Every value takes at least one byte: a length beyond the rest is a lie.
    if (*count > w_.size() - pos_) return Error("length beyond the data");
    return absl::OkStatus();
  }

  // 16 hex digits: the bits of a double.
  absl::Status Double(double* out) {
    if (w_.size() - pos_ < 16) return Error("truncated float");
    uint64_t bits = 0;
    for (int k = 0; k < 16; ++k) {
      int d = HexDigit(w_[pos_ + k]);
      if (d < 0) return Error("bad float");
      bits = (bits << 4) | static_cast<uint64_t>(d);
    }
    pos_ += 16;
    std::memcpy(out, &bits, sizeof bits);
    return absl::OkStatus();
  }

  absl::string_view w_;
  size_t pos_ = 0;
  bool no_form_ = false;
};

// The exact integer value of an integral finite double, as (negative, hex magnitude).
void IntegralDoubleToHex(double d, bool* negative, std::string* hex) {
  *negative = std::signbit(d) && d != 0;
  double a = std::fabs(d);
  if (a < 1) {
    *hex = "0";
    return;
  }
  int exp = 0;
  double m = std::frexp(a, &exp);  // a = m * 2^exp, m in [0.5, 1)
  auto mant = static_cast<uint64_t>(std::ldexp(m, 53));
  int shift = exp - 53;
  if (shift <= 0) {
    *hex = U64Hex(mant >> -shift);
    return;
  }
  mant <<= shift % 4;  // < 2^56: fits
  *hex = U64Hex(mant) + std::string(static_cast<size_t>(shift / 4), '0');
}

// Numbers as (negative, hex) when integral; false for non-integral or non-finite floats.
bool IntegralValue(const PyValue& v, bool* negative, std::string* hex) {
  if (v.digested) return false;  // beyond any float; compared by digest
  switch (v.kind) {
    case Kind::kBool:
      *negative = false;
      *hex = v.boolean ? "1" : "0";
      return true;
    case Kind::kInt:
      *negative = v.negative;
      *hex = v.text;
      return true;
    case Kind::kFloat:
      if (!std::isfinite(v.number) || std::floor(v.number) != v.number) return false;
      IntegralDoubleToHex(v.number, negative, hex);
      return true;
    default:
      return false;
  }
}

bool NumbersEqual(const PyValue& a, const PyValue& b) {
  if (a.kind == Kind::kFloat && b.kind == Kind::kFloat) return a.number == b.number;
  if (a.digested || b.digested) {
    return a.digested && b.digested && a.negative == b.negative && a.length == b.length &&
           a.text == b.text;
  }
  bool na, nb;
  std::string ha, hb;
  if (!IntegralValue(a, &na, &ha) || !IntegralValue(b, &nb, &hb)) return false;
  return na == nb && ha == hb;
}

bool IsSetKind(Kind k) { return k == Kind::kSet || k == Kind::kFrozenSet; }

std::string Bits(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return absl::StrFormat("%016x", bits);
}

// A complex with a zero imaginary part equals (and hashes as) its real part.
bool ComplexEquals(const PyValue& c, const PyValue& other) {
  if (other.kind == Kind::kComplex) return c.number == other.number && c.imag == other.imag;
  return other.is_number() && c.imag == 0 && NumbersEqual(PyValue::Float(c.number), other);
}

// Appends the hash key of `v`; false when unhashable or NaN.
bool AppendHashKey(const PyValue& v, std::string* out) {
  switch (v.kind) {
    case Kind::kNone:
      out->push_back('n');
      return true;
    case Kind::kBool:
    case Kind::kInt:
    case Kind::kFloat: {
      if (v.digested) {
        absl::StrAppend(out, "I", v.negative ? "-" : "", v.length, ":", v.text);
        return true;
      }
      if (v.kind == Kind::kFloat && std::isnan(v.number)) return false;
      bool neg;
      std::string hex;
      if (IntegralValue(v, &neg, &hex)) {
        absl::StrAppend(out, "i", neg ? "-" : "", hex, ";");
      } else {
        uint64_t bits;
        std::memcpy(&bits, &v.number, sizeof bits);
        absl::StrAppend(out, "f", absl::StrFormat("%016x", bits));
      }
      return true;
    }
    case Kind::kStr:
      if (v.digested) {
        absl::StrAppend(out, "H", v.length, ":", v.text);
      } else {
        absl::StrAppend(out, "s", v.text.size(), ":", v.text);
      }
      return true;
    case Kind::kComplex:
      if (std::isnan(v.number) || std::isnan(v.imag)) return false;
      if (v.imag == 0) return AppendHashKey(PyValue::Float(v.number), out);
      absl::StrAppend(out, "c", Bits(v.number == 0 ? 0.0 : v.number), Bits(v.imag));
      return true;
    case Kind::kTuple:
      absl::StrAppend(out, "t", v.items.size(), ":");
      for (const PyValue& item : v.items) {
        if (!AppendHashKey(item, out)) return false;
      }
      return true;
    case Kind::kFrozenSet: {
      std::vector<std::string> keys;
      for (const PyValue& item : v.items) {
        std::string k;
        if (!AppendHashKey(item, &k)) return false;
        keys.push_back(std::move(k));
      }
      std::sort(keys.begin(), keys.end());
      keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
      absl::StrAppend(out, "z", keys.size(), ":");
      for (const std::string& k : keys) out->append(k);
      return true;
    }
    default:
      return false;  // list, dict, set: unhashable
  }
}

void AppendRepr(const PyValue& v, size_t max_bytes, std::string* out) {
  if (out->size() > max_bytes) return;
  switch (v.kind) {
    case Kind::kNone:
      out->append("None");
      return;
    case Kind::kBool:
      out->append(v.boolean ? "True" : "False");
      return;
    case Kind::kInt:
      if (v.digested) {
        absl::StrAppend(out, "<int of ", v.length, " hex digits>");
      } else if (v.text.size() <= 15) {
        absl::StrAppend(out, v.negative ? "-" : "", std::stoull(v.text, nullptr, 16));
      } else {
        absl::StrAppend(out, v.negative ? "-" : "", "0x", v.text);
      }
      return;
    case Kind::kFloat:
      if (std::isnan(v.number)) {
        out->append("nan");
      } else if (std::isinf(v.number)) {
        out->append(v.number > 0 ? "inf" : "-inf");
      } else {
        out->append(absl::StrFormat("%.17g", v.number));
      }
      return;
    case Kind::kComplex:
      absl::StrAppend(out, "(", absl::StrFormat("%.17g%+.17gj", v.number, v.imag), ")");
      return;
    case Kind::kStr:
      if (v.digested) {
        absl::StrAppend(out, "<str of ", v.length, " bytes>");
      } else {
        absl::StrAppend(out, "'", absl::CHexEscape(v.text.substr(0, max_bytes)), "'");
      }
      return;
    default:
      break;
  }
  const char* open = v.kind == Kind::kList ? "[" : v.kind == Kind::kTuple ? "(" : "{";
  const char* close = v.kind == Kind::kList ? "]" : v.kind == Kind::kTuple ? ")" : "}";
  if (v.kind == Kind::kFrozenSet) out->append("frozenset(");
  out->append(v.items.empty() && v.kind == Kind::kSet ? "set(" : open);
  const size_t step = v.kind == Kind::kDict ? 2 : 1;
  for (size_t i = 0; i < v.items.size(); i += step) {
    if (i > 0) out->append(", ");
    if (out->size() > max_bytes) {
      out->append("...");
      break;
    }
    AppendRepr(v.items[i], max_bytes, out);
    if (step == 2) {
      out->append(": ");
      AppendRepr(v.items[i + 1], max_bytes, out);
    }
  }
  if (v.kind == Kind::kTuple && v.items.size() == 1) out->append(",");
  out->append(v.items.empty() && v.kind == Kind::kSet ? ")" : close);
  if (v.kind == Kind::kFrozenSet) out->append(")");
}

void AppendWire(const PyValue& v, std::string* out) {
  switch (v.kind) {
    case Kind::kNone:
      out->push_back('n');
      return;
    case Kind::kBool:
      out->push_back(v.boolean ? 'T' : 'F');
      return;
    case Kind::kInt:
      if (v.digested) {
        absl::StrAppend(out, "I", v.negative ? "-" : "", v.length, ":", v.text);
      } else {
        absl::StrAppend(out, "i", v.negative ? "-" : "", v.text, ";");
      }
      return;
    case Kind::kFloat:
      absl::StrAppend(out, "f", Bits(v.number));
      return;
    case Kind::kComplex:
      absl::StrAppend(out, "c", Bits(v.number), Bits(v.imag));
      return;
    case Kind::kStr:
      if (v.digested) {
        absl::StrAppend(out, "H", v.length, ":", v.text);
        return;
      }
      out->push_back('s');
      for (char c : v.text) {
        absl::StrAppend(out, absl::StrFormat("%02x", static_cast<unsigned char>(c)));
      }
      out->push_back(';');
      return;
    default:
      break;
  }
  char tag = v.kind == Kind::kList    ? 'l'
             : v.kind == Kind::kTuple ? 't'
             : v.kind == Kind::kDict  ? 'd'
             : v.kind == Kind::kSet   ? 'S'
                                      : 'Z';
  absl::StrAppend(out, std::string(1, tag), v.size(), ":");
  for (const PyValue& item : v.items) AppendWire(item, out);
}

}  // namespace

PyValue PyValue::Bool(bool b) {
  PyValue v;
  v.kind = Kind::kBool;
  v.boolean = b;
  return v;
}

PyValue PyValue::Int(int64_t i) {
  PyValue v;
  v.kind = Kind::kInt;
  v.negative = i < 0;
  uint64_t mag = i < 0 ? ~static_cast<uint64_t>(i) + 1 : static_cast<uint64_t>(i);
  v.text = U64Hex(mag);
  return v;
}

PyValue PyValue::Float(double d) {
  PyValue v;
  v.kind = Kind::kFloat;
  v.number = d;
  return v;
}

PyValue PyValue::Str(std::string utf8) {
  PyValue v;
  v.kind = Kind::kStr;
  v.text = std::move(utf8);
  return v;
}

PyValue PyValue::Container(Kind kind, std::vector<PyValue> items) {
  PyValue v;
  v.kind = kind;
  v.items = std::move(items);
  return v;
}

const char* PyTypeName(PyValue::Kind kind) {
  switch (kind) {
    case Kind::kNone: return "NoneType";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kStr: return "str";
    case Kind::kList: return "list";
    case Kind::kTuple: return "tuple";
    case Kind::kDict: return "dict";
    case Kind::kSet: return "set";
    case Kind::kFrozenSet: return "frozenset";
    case Kind::kComplex: return "complex";
  }
  return "?";
}

absl::StatusOr<PyValue> DecodePyValue(absl::string_view wire) {
  Decoder d(wire);
  PyValue v;
  if (absl::Status s = d.Value(&v, 0); !s.ok()) return s;
  if (!d.AtEnd()) return d.Error("trailing bytes");
  return v;
}

absl::StatusOr<std::optional<std::string>> EqualityDigest(absl::string_view wire) {
  Decoder d(wire);
  FormSink sink;
  bool hashable = true;
  if (absl::Status s = d.Form(sink, 0, &hashable); !s.ok()) return s;
  if (!d.AtEnd()) return d.Error("trailing bytes");
  if (d.no_form()) return std::optional<std::string>();
  return std::optional<std::string>(sink.FinalHex());
}

std::string EncodePyValue(const PyValue& v) {
  std::string out;
  AppendWire(v, &out);
  return out;
}

std::optional<std::string> PyHashKey(const PyValue& v) {
  std::string key;
  if (!AppendHashKey(v, &key)) return std::nullopt;
  return key;
}

bool PyEquals(const PyValue& a, const PyValue& b) {
  if (a.is_number() && b.is_number()) return NumbersEqual(a, b);
  if (a.kind == Kind::kComplex) return ComplexEquals(a, b);
  if (b.kind == Kind::kComplex) return ComplexEquals(b, a);
  if (IsSetKind(a.kind) && IsSetKind(b.kind)) {
    if (a.items.size() != b.items.size()) return false;
    // Real sets hold no duplicates; a forged value that repeats one never equals.
    std::unordered_map<std::string, int> keys;
    for (const PyValue& item : b.items) {
      std::optional<std::string> k = PyHashKey(item);
      if (!k || !keys.emplace(*k, 0).second) return false;
    }
    for (const PyValue& item : a.items) {
      std::optional<std::string> k = PyHashKey(item);
      if (!k) return false;
      auto it = keys.find(*k);
      if (it == keys.end() || it->second++ != 0) return false;
    }
    return true;
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::kNone:
      return true;
    case Kind::kStr:
      return a.digested == b.digested && a.length == b.length && a.text == b.text;
    case Kind::kList:
    case Kind::kTuple:
      if (a.items.size() != b.items.size()) return false;
      for (size_t i = 0; i < a.items.size(); ++i) {
        if (!PyEquals(a.items[i], b.items[i])) return false;
      }
      return true;
    case Kind::kDict: {
      if (a.items.size() != b.items.size()) return false;
      // Keys match by hash identity; a repeated key (never in a real dict) never equals.
      std::unordered_map<std::string, std::pair<size_t, bool>> b_index;
      for (size_t i = 0; i < b.items.size(); i += 2) {
        std::optional<std::string> k = PyHashKey(b.items[i]);
        if (!k || !b_index.emplace(*k, std::make_pair(i + 1, false)).second) return false;
      }
      for (size_t i = 0; i < a.items.size(); i += 2) {
        std::optional<std::string> k = PyHashKey(a.items[i]);
        if (!k) return false;
        auto it = b_index.find(*k);
        if (it == b_index.end() || it->second.second ||
            !PyEquals(a.items[i + 1], b.items[it->second.first])) {
          return false;
        }
        it->second.second = true;
      }
      return true;
    }
    default:
      return false;
  }
}

std::optional<double> PyNumber(const PyValue& v) {
  switch (v.kind) {
    case Kind::kBool:
      return v.boolean ? 1.0 : 0.0;
    case Kind::kFloat:
      return v.number;
    case Kind::kInt: {
      if (v.digested || v.text.size() > 16) return std::nullopt;
      uint64_t mag = std::stoull(v.text, nullptr, 16);
      if (v.negative) {
        if (mag > (uint64_t{1} << 63)) return std::nullopt;
        return -static_cast<double>(mag);
      }
      return static_cast<double>(mag);
    }
    default:
      return std::nullopt;
  }
}

std::string PyRepr(const PyValue& v, size_t max_bytes) {
  std::string out;
  AppendRepr(v, max_bytes, &out);
  if (out.size() > max_bytes + 3) out = out.substr(0, max_bytes) + "...";
  return out;
}

}  // namespace fathom::grader
