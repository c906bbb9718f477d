// A small positioned view of one YAML file for the benchmark registry: typed getters
// that reject unknown keys and bad values with "file:line:column: key: message".
// Self-contained so it can be swapped for a shared helper later.
//
// Not thread-safe; one per file being loaded.
#ifndef FATHOM_DRIVER_BENCH_YAML_UTIL_H_
#define FATHOM_DRIVER_BENCH_YAML_UTIL_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace fathom::driver::bench {

class YamlFile {
 public:
  // Parses `text`; `path` is only for messages.
  static absl::StatusOr<YamlFile> Parse(std::string path, const std::string& text);

  const YAML::Node& root() const { return root_; }
  const std::string& path() const { return path_; }

  // InvalidArgument "path:line:column: key: message" at `node` (1-based).
  absl::Status Error(const YAML::Node& node, std::string_view key,
                     std::string_view message) const;
  // OK when `map` is a mapping whose keys are all in `allowed`; else an error at the
  // first unknown key (or at `map` when it is not a mapping).
  absl::Status CheckKeys(const YAML::Node& map, std::string_view what,
                         const std::vector<std::string_view>& allowed) const;

  // Typed getters: nullopt when the key is absent; an error when present with the wrong
  // type.
  absl::StatusOr<std::optional<std::string>> String(const YAML::Node& map,
                                                    std::string_view key) const;
  absl::StatusOr<std::optional<int>> Int(const YAML::Node& map, std::string_view key) const;
  absl::StatusOr<std::optional<double>> Double(const YAML::Node& map,
                                               std::string_view key) const;
  absl::StatusOr<std::optional<bool>> Bool(const YAML::Node& map, std::string_view key) const;
  absl::StatusOr<std::optional<std::vector<std::string>>> StringList(
      const YAML::Node& map, std::string_view key) const;
  absl::StatusOr<std::optional<std::vector<int>>> IntList(const YAML::Node& map,
                                                          std::string_view key) const;
  // A mapping of string to string, in file order.
  absl::StatusOr<std::optional<std::vector<std::pair<std::string, std::string>>>> StringMap(
      const YAML::Node& map, std::string_view key) const;
  // Required string: an error at `map` when absent or empty.
  absl::StatusOr<std::string> RequiredString(const YAML::Node& map, std::string_view key) const;

 private:
  YamlFile(std::string path, YAML::Node root) : path_(std::move(path)), root_(root) {}
  std::string path_;
  YAML::Node root_;
};

}  // namespace fathom::driver::bench

#endif  // FATHOM_DRIVER_BENCH_YAML_UTIL_H_
