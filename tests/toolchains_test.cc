// toolchains/: the files toolchains/prepare builds must match the policies that use them.
// Go's build cache is only warm for the exact environment it was filled with, so the go
// runtime's compile environment (policies/runtimes/go.yaml) and toolchains/go/build.env
// (what prepare fills the cache with) must name the same Go variables with the same
// values; a drift would not break grading, only make every compile ~10x slower.
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "grader/policy/policy.h"
#include "gtest/gtest.h"

namespace fathom {
namespace {

const std::string kSourceDir = FATHOM_SOURCE_DIR;

// KEY=VALUE lines; blank lines and # comments skipped.
std::map<std::string, std::string> ReadEnvFile(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#') continue;
    const size_t eq = l.find('=');
    if (eq == absl::string_view::npos) {
      ADD_FAILURE() << path << ": not KEY=VALUE: " << l;
      continue;
    }
    out[std::string(l.substr(0, eq))] = std::string(l.substr(eq + 1));
  }
  return out;
}

bool IsGoVariable(const std::string& name) {
  return absl::StartsWith(name, "GO") || absl::StartsWith(name, "CGO_");
}

TEST(ToolchainsTest, GoCacheIsFilledWithTheCompileEnvironment) {
  absl::StatusOr<grader::Policy> policy = grader::LoadPolicy(kSourceDir + "/policies");
  ASSERT_TRUE(policy.ok()) << policy.status();
  absl::StatusOr<const grader::RuntimePolicy*> go = policy->Runtime("go");
  ASSERT_TRUE(go.ok()) << go.status();
  ASSERT_TRUE((*go)->has_compile);
  const std::map<std::string, std::string>& compile_env = (*go)->compile.env_set;
  const std::map<std::string, std::string> file =
      ReadEnvFile(kSourceDir + "/toolchains/go/build.env");
  ASSERT_FALSE(file.empty());
  for (const auto& [name, value] : file) {
    auto it = compile_env.find(name);
    ASSERT_NE(it, compile_env.end()) << name << " is in build.env but not in go.yaml";
    EXPECT_EQ(it->second, value) << name;
  }
  for (const auto& [name, value] : compile_env) {
    if (IsGoVariable(name)) {
      EXPECT_TRUE(file.count(name)) << name << " is not in build.env";
    }
  }
}

}  // namespace
}  // namespace fathom
