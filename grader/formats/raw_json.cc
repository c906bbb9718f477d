// A structural JSON scanner: skips values without converting them.
#include "grader/formats/raw_json.h"

#include "absl/strings/str_cat.h"

namespace fathom::grader {
namespace {

// Nesting deeper than this is refused (the scanner recurses once per level).
constexpr int kMaxDepth = 512;

class Scanner {
 public:
  explicit Scanner(absl::string_view text) : text_(text) {}

  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
            text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  size_t pos() const { return pos_; }
  void Advance() { ++pos_; }

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("JSON: ", what, " at byte ", pos_));
  }

  // Skips a string starting at its opening quote; *plain says whether it had no escapes.
  absl::Status SkipString(bool* plain) {
    if (Peek() != '"') return Error("expected a string");
    ++pos_;
    *plain = true;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (c == '\\') {
        *plain = false;
        pos_ += 2;
        continue;
      }
      if (static_cast<unsigned char>(c) < 0x20) return Error("control character in a string");
      ++pos_;
    }
    return Error("unterminated string");
  }

  absl::Status SkipValue(int depth) {
    if (depth > kMaxDepth) return Error("nested too deeply");
    SkipSpace();
    char c = Peek();
    if (c == '"') {
      bool plain;
      return SkipString(&plain);
    }
    if (c == '[' || c == '{') {
      const char close = c == '[' ? ']' : '}';
      ++pos_;
      SkipSpace();
      if (Peek() == close) {
        ++pos_;
        return absl::OkStatus();
      }
      while (true) {
        if (c == '{') {
          SkipSpace();
          bool plain;
          if (absl::Status s = SkipString(&plain); !s.ok()) return s;
          SkipSpace();
          if (Peek() != ':') return Error("expected ':'");
          ++pos_;
        }
        if (absl::Status s = SkipValue(depth + 1); !s.ok()) return s;
        SkipSpace();
        if (Peek() == ',') {
          ++pos_;
          continue;
        }
        if (Peek() == close) {
          ++pos_;
          return absl::OkStatus();
        }
        return Error(absl::StrCat("expected ',' or '", std::string(1, close), "'"));
      }
    }
    // A number or a literal: true, false, null, NaN, Infinity, -Infinity.
    size_t start = pos_;
    while (pos_ < text_.size()) {
      char d = text_[pos_];
      bool ok = (d >= '0' && d <= '9') || (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') ||
                d == '-' || d == '+' || d == '.';
      if (!ok) break;
      ++pos_;
    }
    if (pos_ == start) return Error("expected a value");
    return absl::OkStatus();
  }

 private:
  absl::string_view text_;
  size_t pos_ = 0;
};

absl::string_view Trim(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' ||
                        s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

absl::StatusOr<std::vector<RawMember>> RawObjectMembers(absl::string_view text) {
  Scanner sc(text);
  sc.SkipSpace();
  if (sc.Peek() != '{') return sc.Error("expected an object");
  sc.Advance();
  std::vector<RawMember> members;
  sc.SkipSpace();
  if (sc.Peek() == '}') {
    sc.Advance();
  } else {
    while (true) {
      sc.SkipSpace();
      size_t key_begin = sc.pos();
      bool plain = false;
      if (absl::Status s = sc.SkipString(&plain); !s.ok()) return s;
      RawMember m;
      m.key = std::string(text.substr(key_begin + (plain ? 1 : 0),
                                      sc.pos() - key_begin - (plain ? 2 : 0)));
      sc.SkipSpace();
      if (sc.Peek() != ':') return sc.Error("expected ':'");
      sc.Advance();
      sc.SkipSpace();
      m.value_begin = sc.pos();
      if (absl::Status s = sc.SkipValue(1); !s.ok()) return s;
      m.value_end = sc.pos();
      members.push_back(std::move(m));
      sc.SkipSpace();
      if (sc.Peek() == ',') {
        sc.Advance();
        continue;
      }
      if (sc.Peek() == '}') {
        sc.Advance();
        break;
      }
      return sc.Error("expected ',' or '}'");
    }
  }
  sc.SkipSpace();
  if (!sc.AtEnd()) return sc.Error("trailing text after the object");
  return members;
}

absl::StatusOr<std::vector<std::string>> RawArrayElements(absl::string_view text) {
  Scanner sc(text);
  sc.SkipSpace();
  if (sc.Peek() != '[') return sc.Error("expected a list");
  sc.Advance();
  std::vector<std::string> out;
  sc.SkipSpace();
  if (sc.Peek() == ']') {
    sc.Advance();
  } else {
    while (true) {
      sc.SkipSpace();
      size_t begin = sc.pos();
      if (absl::Status s = sc.SkipValue(1); !s.ok()) return s;
      out.emplace_back(Trim(text.substr(begin, sc.pos() - begin)));
      sc.SkipSpace();
      if (sc.Peek() == ',') {
        sc.Advance();
        continue;
      }
      if (sc.Peek() == ']') {
        sc.Advance();
        break;
      }
      return sc.Error("expected ',' or ']'");
    }
  }
  sc.SkipSpace();
  if (!sc.AtEnd()) return sc.Error("trailing text after the list");
  return out;
}

}  // namespace fathom::grader
