// AGIEval's few-shot CSV (see agieval_shots.h).
#include "driver/bench/agieval_shots.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "driver/bench/py_text.h"

namespace fathom::driver::bench {
namespace {

using nlohmann::json;

class PyLiteralParser {
 public:
  explicit PyLiteralParser(std::string_view s) : s_(s) {}
  absl::StatusOr<json> Parse() {
    absl::StatusOr<json> v = Value();
    if (!v.ok()) return v;
    Skip();
    if (i_ != s_.size()) return Fail("trailing text");
    return v;
  }

 private:
  absl::Status Fail(std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("Python literal: ", std::string(what),
                                                   " at offset ", i_));
  }
  void Skip() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }
  bool Word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  absl::StatusOr<json> Value() {
    Skip();
    if (i_ >= s_.size()) return Fail("unexpected end");
    const char c = s_[i_];
    if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      json out = c == '{' ? json::object() : json::array();
      ++i_;
      while (true) {
        Skip();
        if (i_ < s_.size() && s_[i_] == close) {
          ++i_;
          return out;
        }
        absl::StatusOr<json> first = Value();
        if (!first.ok()) return first;
        if (c == '{') {
          Skip();
          if (i_ >= s_.size() || s_[i_] != ':') return Fail("expected ':'");
          ++i_;
          absl::StatusOr<json> second = Value();
          if (!second.ok()) return second;
          if (!first->is_string()) return Fail("non-string key");
          out[first->get<std::string>()] = std::move(*second);
        } else {
          out.push_back(std::move(*first));
        }
        Skip();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
        } else if (i_ >= s_.size() || s_[i_] != close) {
          return Fail("expected ',' or a closing bracket");
        }
      }
    }
    if (c == '\'' || c == '"') return String(c);
    if (Word("None")) return json(nullptr);
    if (Word("True")) return json(true);
    if (Word("False")) return json(false);
    size_t j = i_;
    while (j < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[j])) || s_[j] == '-' ||
                             s_[j] == '+' || s_[j] == '.' || s_[j] == 'e' || s_[j] == 'E')) {
      ++j;
    }
    if (j == i_) return Fail("unexpected character");
    const std::string num(s_.substr(i_, j - i_));
    i_ = j;
    json v = json::parse(num, nullptr, false);
    if (v.is_discarded()) return Fail("bad number");
    return v;
  }
  absl::StatusOr<json> String(char quote) {
    ++i_;
    std::u32string out;
    std::string raw;
    while (i_ < s_.size() && s_[i_] != quote) {
      if (s_[i_] != '\\') {
        raw.push_back(s_[i_++]);
        continue;
      }
      if (i_ + 1 >= s_.size()) return Fail("bad escape");
      const char e = s_[i_ + 1];
      i_ += 2;
      auto hex = [&](int n) -> absl::StatusOr<char32_t> {
        if (i_ + n > s_.size()) return Fail("bad escape");
        char32_t v = 0;
        for (int k = 0; k < n; ++k) {
          const char h = s_[i_ + k];
          v <<= 4;
          if (h >= '0' && h <= '9') v |= h - '0';
          else if (h >= 'a' && h <= 'f') v |= h - 'a' + 10;
          else if (h >= 'A' && h <= 'F') v |= h - 'A' + 10;
          else return Fail("bad hex escape");
        }
        i_ += n;
        return v;
      };
      switch (e) {
        case 'n': raw.push_back('\n'); break;
        case 't': raw.push_back('\t'); break;
        case 'r': raw.push_back('\r'); break;
        case 'f': raw.push_back('\f'); break;
        case 'b': raw.push_back('\b'); break;
        case 'v': raw.push_back('\v'); break;
        case 'a': raw.push_back('\a'); break;
        case '0': raw.push_back('\0'); break;
        case '\\': case '\'': case '"': raw.push_back(e); break;
        case '\n': break;
        case 'x': case 'u': case 'U': {
          absl::StatusOr<char32_t> v = hex(e == 'x' ? 2 : e == 'u' ? 4 : 8);
          if (!v.ok()) return v.status();
          raw += EncodeUtf8(std::u32string(1, *v));
          break;
        }
        default:  // unknown escapes stay as written
          raw.push_back('\\');
          raw.push_back(e);
      }
    }
    if (i_ >= s_.size()) return Fail("unterminated string");
    ++i_;
    return json(raw);
  }
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::vector<std::vector<std::string>> ParseCsv(std::string_view text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  bool any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    any = true;
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      any = false;
    } else {
      field.push_back(c);
    }
  }
  if (any) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

absl::StatusOr<nlohmann::json> ParsePyLiteral(std::string_view text) {
  return PyLiteralParser(text).Parse();
}

absl::StatusOr<std::map<std::string, std::vector<Row>>> ParseAgievalFewShotCsv(
    std::string_view path, std::string_view text) {
  const std::vector<std::vector<std::string>> rows = ParseCsv(text);
  if (rows.empty()) return absl::InvalidArgumentError(absl::StrCat(std::string(path), ": empty"));
  const std::vector<std::string>& header = rows[0];
  std::map<std::string, std::vector<Row>> out;
  for (size_t col = 1; col < header.size(); ++col) {
    std::vector<json> contexts;
    std::vector<std::string> explanations;
    for (size_t r = 1; r < rows.size() && r <= 10; ++r) {
      const std::string cell = col < rows[r].size() ? rows[r][col] : "";
      if (cell.empty()) continue;
      if (r % 2 == 1) {
        absl::StatusOr<json> v = ParsePyLiteral(cell);
        if (!v.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(std::string(path), ": row ", r + 1,
                                                         ", column ", header[col], ": ",
                                                         v.status().message()));
        }
        contexts.push_back(std::move(*v));
      } else {
        explanations.push_back(absl::StrReplaceAll(cell, {{"\n\n", "\n"}}));
      }
    }
    std::vector<Row>& task_rows = out[header[col]];
    for (size_t i = 0; i < explanations.size() && i < contexts.size(); ++i) {
      const json& c = contexts[i];
      auto get = [&](const char* k) { return c.contains(k) ? c[k] : json(""); };
      Row row;
      row.id = std::to_string(i);
      row.subtask = header[col];
      row.fields = {{"passage", get("passage")}, {"question", get("question")},
                    {"answer", get("answer")},   {"options", get("options")},
                    {"label", get("label")},     {"explanation", explanations[i]}};
      row.source = absl::StrCat(std::string(path), ":", header[col], ":", i);
      task_rows.push_back(std::move(row));
    }
  }
  if (out.count("sat-en") && !out.count("sat-en-without-passage")) {
    out["sat-en-without-passage"] = out["sat-en"];
  }
  return out;
}

}  // namespace fathom::driver::bench
