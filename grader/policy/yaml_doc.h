// Reading YAML configuration with errors that point into the file: every problem is an
// InvalidArgument "FILE:LINE:COLUMN: KEY: message" (1-based), so a user fixes a policy or
// a benchmark definition without guessing. Unknown keys, duplicate keys and wrong types
// are errors; nothing is silently ignored. Used by the policy loader (policy.cc) and meant
// for any other loader of YAML (the eval driver's benchmark definitions).
//
// The only place, with its users, that includes yaml-cpp. Never throws: yaml-cpp's
// exceptions become errors here. Thread safety: a yaml::File is immutable; its methods may
// be called from any thread.
#ifndef FATHOM_GRADER_POLICY_YAML_DOC_H_
#define FATHOM_GRADER_POLICY_YAML_DOC_H_

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace fathom::grader::yaml {

// One key of a YAML mapping: the key node (for "unknown key" errors) and its
// value.
struct Entry {
  YAML::Node key;
  YAML::Node value;
};
// Keys in document order, so unknown and duplicate keys are reported top-down.
using Entries = std::vector<std::pair<std::string, Entry>>;

inline const Entry* Find(const Entries& entries, absl::string_view name) {
  for (const auto& [k, e] : entries) {
    if (k == name) return &e;
  }
  return nullptr;
}

// "parent.key", or "key" at the root.
inline std::string Sub(absl::string_view parent, absl::string_view key) {
  return parent.empty() ? std::string(key) : absl::StrCat(parent, ".", key);
}

// One YAML file being read: knows its path, so every error can name
// file:line:column.
class File {
 public:
  File(std::string path, std::string bytes)
      : path_(std::move(path)), bytes_(std::move(bytes)) {}

  const std::string& path() const { return path_; }
  const std::string& bytes() const { return bytes_; }

  // Parses the bytes as exactly one YAML document whose root is a mapping.
  absl::StatusOr<YAML::Node> Parse() const;

  // InvalidArgument "path:line:column: key: message" at `node` (1-based line
  // and column).
  absl::Status Error(const YAML::Node& node, absl::string_view key,
                     absl::string_view message) const {
    return ErrorAtMark(node.Mark(), key, message);
  }

  // Same, at the value of `entry`; a missing (null) value has no position of
  // its own (yaml-cpp gives it the next token's), so the error points at its
  // key.
  absl::Status Error(const Entry& entry, absl::string_view key,
                     absl::string_view message) const {
    return ErrorAtMark(
        entry.value.IsNull() ? entry.key.Mark() : entry.value.Mark(), key,
        message);
  }

  absl::Status ErrorAtMark(const YAML::Mark& mark, absl::string_view key,
                           absl::string_view message) const {
    const int line = mark.is_null() ? 1 : mark.line + 1;
    const int column = mark.is_null() ? 1 : mark.column + 1;
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ":", line, ":", column, ": ", key,
                     key.empty() ? "" : ": ", message));
  }

  // The keys of the mapping `node` (named `name`; "" for the root). Rejects
  // non-mappings, non-string keys, duplicate keys and, when `known` is not
  // empty, keys not in `known`.
  absl::StatusOr<Entries> Mapping(
      const Entry& at, const YAML::Node& node, absl::string_view name,
      std::span<const absl::string_view> known) const {
    if (!node.IsMap()) return Error(at, name, "expected a mapping");
    Entries out;
    for (const auto& pair : node) {
      const YAML::Node key =
          pair.first;  // copies: the iterator hands out temporaries
      const YAML::Node value = pair.second;
      if (!key.IsScalar()) return Error(key, name, "keys must be strings");
      const std::string& k = key.Scalar();
      if (Find(out, k) != nullptr) {
        return Error(key, Sub(name, k), "duplicate key");
      }
      if (!known.empty() &&
          std::find(known.begin(), known.end(), k) == known.end()) {
        return Error(key, Sub(name, k),
                     absl::StrCat("unknown key (expected one of: ",
                                  absl::StrJoin(known, ", "), ")"));
      }
      out.emplace_back(k, Entry{key, value});
    }
    return out;
  }

  absl::StatusOr<Entries> Root(const YAML::Node& root,
                               std::span<const absl::string_view> known) const {
    return Mapping(Entry{root, root}, root, "", known);
  }

  // A required key of `entries` (a mapping that starts at `map`).
  absl::StatusOr<const Entry*> Required(const Entries& entries,
                                        const YAML::Node& map,
                                        absl::string_view parent,
                                        absl::string_view key) const {
    const Entry* e = Find(entries, key);
    if (e == nullptr)
      return Error(map, Sub(parent, key), "required key is missing");
    return e;
  }

  absl::StatusOr<std::string> String(const Entry& e,
                                     absl::string_view key) const {
    if (!e.value.IsScalar()) return Error(e, key, "expected a string");
    return e.value.Scalar();
  }

  absl::StatusOr<std::string> NonEmptyString(const Entry& e,
                                             absl::string_view key) const {
    absl::StatusOr<std::string> s = String(e, key);
    if (s.ok() && s->empty()) return Error(e, key, "must not be empty");
    return s;
  }

  // A list of strings, each with its node (for errors about one element).
  absl::StatusOr<std::vector<std::pair<std::string, YAML::Node>>> StringList(
      const Entry& e, absl::string_view key) const {
    if (!e.value.IsSequence()) {
      return Error(e, key, "expected a list of strings");
    }
    std::vector<std::pair<std::string, YAML::Node>> out;
    for (const auto& element : e.value) {
      const YAML::Node item = element;
      if (!item.IsScalar()) {
        return Error(item, absl::StrCat(key, "[", out.size(), "]"),
                     "expected a string");
      }
      out.emplace_back(item.Scalar(), item);
    }
    return out;
  }

  absl::StatusOr<bool> Bool(const Entry& e, absl::string_view key) const {
    if (e.value.IsScalar()) {
      const std::string& s = e.value.Scalar();
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
    }
    return Error(e, key, "expected true or false");
  }

 private:
  std::string path_;
  std::string bytes_;
};

// Reads `path` (shown in errors as `shown`) whole, refusing files over `max_bytes`
// ("<shown>: file is N bytes; <kind> are at most M").
absl::StatusOr<File> ReadFile(const std::filesystem::path& path, const std::string& shown,
                             uintmax_t max_bytes, absl::string_view kind);

}  // namespace fathom::grader::yaml

#endif  // FATHOM_GRADER_POLICY_YAML_DOC_H_
