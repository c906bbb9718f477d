// Positioned YAML getters (see yaml_util.h).
#include "driver/bench/yaml_util.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace fathom::driver::bench {

absl::StatusOr<YamlFile> YamlFile::Parse(std::string path, const std::string& text) {
  try {
    YAML::Node root = YAML::Load(text);
    YamlFile file(std::move(path), root);
    if (!root.IsMap()) return file.Error(root, "", "expected a mapping at the top level");
    return file;
  } catch (const YAML::Exception& e) {
    const int line = e.mark.is_null() ? 1 : e.mark.line + 1;
    const int column = e.mark.is_null() ? 1 : e.mark.column + 1;
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", line, ":", column, ": invalid YAML: ", e.msg));
  }
}

absl::Status YamlFile::Error(const YAML::Node& node, std::string_view key,
                             std::string_view message) const {
  const YAML::Mark mark = node.Mark();
  const int line = mark.is_null() ? 1 : mark.line + 1;
  const int column = mark.is_null() ? 1 : mark.column + 1;
  return absl::InvalidArgumentError(absl::StrCat(path_, ":", line, ":", column, ": ",
                                                 std::string(key), key.empty() ? "" : ": ",
                                                 std::string(message)));
}

absl::Status YamlFile::CheckKeys(const YAML::Node& map, std::string_view what,
                                 const std::vector<std::string_view>& allowed) const {
  if (!map.IsMap()) return Error(map, what, "expected a mapping");
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = it->first.Scalar();
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || a == key;
    if (!ok) {
      return Error(it->first, key,
                   absl::StrCat("unknown key in ", std::string(what), " (known: ",
                                absl::StrJoin(std::vector<std::string>(allowed.begin(), allowed.end()), ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> YamlFile::String(const YAML::Node& map,
                                                            std::string_view key) const {
  const YAML::Node n = map[std::string(key)];
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (!n.IsScalar()) return Error(n, key, "expected a string");
  return n.Scalar();
}

absl::StatusOr<std::string> YamlFile::RequiredString(const YAML::Node& map,
                                                     std::string_view key) const {
  absl::StatusOr<std::optional<std::string>> s = String(map, key);
  if (!s.ok()) return s.status();
  if (!s->has_value() || (*s)->empty()) return Error(map, key, "required, missing");
  return **s;
}

absl::StatusOr<std::optional<int>> YamlFile::Int(const YAML::Node& map,
                                                 std::string_view key) const {
  const YAML::Node n = map[std::string(key)];
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  int v = 0;
  if (!n.IsScalar() || !YAML::convert<int>::decode(n, v)) {
    return Error(n, key, absl::StrCat("expected an integer, got '", n.IsScalar() ? n.Scalar() : "?", "'"));
  }
  return v;
}

absl::StatusOr<std::optional<double>> YamlFile::Double(const YAML::Node& map,
                                                       std::string_view key) const {
  const YAML::Node n = map[std::string(key)];
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  double v = 0;
  if (!n.IsScalar() || !YAML::convert<double>::decode(n, v)) {
    return Error(n, key, absl::StrCat("expected a number, got '", n.IsScalar() ? n.Scalar() : "?", "'"));
  }
  return v;
}

absl::StatusOr<std::optional<bool>> YamlFile::Bool(const YAML::Node& map,
                                                   std::string_view key) const {
  const YAML::Node n = map[std::string(key)];
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  bool v = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) {
    return Error(n, key, absl::StrCat("expected true or false, got '", n.IsScalar() ? n.Scalar() : "?", "'"));
  }
  return v;
}

absl::StatusOr<std::optional<std::vector<std::string>>> YamlFile::StringList(
    const YAML::Node& map, std::string_view key) const {
  const YAML::Node n = map[std::string(key)];
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (!n.IsSequence()) return Error(n, key, "expected a list of strings");
  std::vector<std::string> out;
  for (const YAML::Node& item : n) {
    if (!item.IsScalar()) return Error(item, key, "expected a string");
    out.push_back(item.Scalar());
  }
  return out;
}

absl::StatusOr<std::optional<std::vector<int>>> YamlFile::IntList(const YAML::Node& map,
                                                                  std::string_view key) const {
  const YAML::Node n = map[std::string(key)];
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (!n.IsSequence()) return Error(n, key, "expected a list of integers");
  std::vector<int> out;
  for (const YAML::Node& item : n) {
    int v = 0;
    if (!item.IsScalar() || !YAML::convert<int>::decode(item, v)) {
      return Error(item, key, "expected an integer");
    }
    out.push_back(v);
  }
  return out;
}

absl::StatusOr<std::optional<std::vector<std::pair<std::string, std::string>>>>
YamlFile::StringMap(const YAML::Node& map, std::string_view key) const {
  const YAML::Node n = map[std::string(key)];
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (!n.IsMap()) return Error(n, key, "expected a mapping of strings");
  std::vector<std::pair<std::string, std::string>> out;
  for (auto it = n.begin(); it != n.end(); ++it) {
    if (!it->second.IsScalar()) return Error(it->second, it->first.Scalar(), "expected a string");
    out.emplace_back(it->first.Scalar(), it->second.Scalar());
  }
  return out;
}

}  // namespace fathom::driver::bench
