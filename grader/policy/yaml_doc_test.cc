// yaml::File: every problem is an InvalidArgument that names file:line:column.
#include "grader/policy/yaml_doc.h"

#include <array>
#include <filesystem>
#include <unistd.h>

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fathom::grader::yaml {
namespace {

constexpr std::array<absl::string_view, 2> kKnown = {"name", "tags"};

absl::Status FirstError(const std::string& text) {
  File file("bench.yaml", text);
  absl::StatusOr<YAML::Node> root = file.Parse();
  if (!root.ok()) return root.status();
  absl::StatusOr<Entries> entries = file.Root(*root, kKnown);
  if (!entries.ok()) return entries.status();
  absl::StatusOr<const Entry*> name = file.Required(*entries, *root, "", "name");
  if (!name.ok()) return name.status();
  if (absl::Status s = file.NonEmptyString(**name, "name").status(); !s.ok()) return s;
  if (const Entry* tags = Find(*entries, "tags")) {
    return file.StringList(*tags, "tags").status();
  }
  return absl::OkStatus();
}

TEST(YamlFileTest, AcceptsAWellFormedMapping) {
  EXPECT_TRUE(FirstError("name: mmlu\ntags: [a, b]\n").ok());
}

TEST(YamlFileTest, ErrorsNameFileLineAndColumn) {
  EXPECT_EQ(FirstError("name: mmlu\nshots: 5\n").message(),
            "bench.yaml:2:1: shots: unknown key (expected one of: name, tags)");
  EXPECT_EQ(FirstError("name: a\nname: b\n").message(), "bench.yaml:2:1: name: duplicate key");
  EXPECT_EQ(FirstError("tags: [a]\n").message(), "bench.yaml:1:1: name: required key is missing");
  EXPECT_EQ(FirstError("name: mmlu\ntags: [a, [b]]\n").message(),
            "bench.yaml:2:11: tags[1]: expected a string");
  EXPECT_EQ(FirstError("name: ''\n").message(), "bench.yaml:1:7: name: must not be empty");
  EXPECT_EQ(FirstError("- just\n- a list\n").message(),
            "bench.yaml:1:1: expected a mapping of keys");
  EXPECT_EQ(FirstError("").message(), "bench.yaml:1:1: empty file: expected a mapping of keys");
  EXPECT_THAT(std::string(FirstError("name: [unclosed\n").message()),
              ::testing::StartsWith("bench.yaml:2:1: invalid YAML: "));
}

TEST(YamlFileTest, ReadFileRefusesOversizedFiles) {
  const std::filesystem::path path =
      std::filesystem::path(::testing::TempDir()) /
      ("yaml_doc_test_" + std::to_string(getpid()) + ".yaml");
  std::ofstream(path) << "name: mmlu\n";
  absl::StatusOr<File> file = ReadFile(path, "b.yaml", 1 << 10, "benchmark files");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->bytes(), "name: mmlu\n");
  EXPECT_EQ(ReadFile(path, "b.yaml", 4, "benchmark files").status().message(),
            "b.yaml: file is 11 bytes; benchmark files are at most 4");
  EXPECT_THAT(std::string(ReadFile(path.string() + ".missing", "m.yaml", 4, "x").status().message()),
              ::testing::StartsWith("m.yaml: cannot read: "));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace fathom::grader::yaml
