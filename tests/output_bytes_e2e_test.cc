// Whatever bytes a program writes, the real `fathom` binary's outputs stay valid JSON and
// valid UTF-8 and say exactly what was written: `fathom run --json` (text with U+FFFD plus
// the exact bytes in base64) and `fathom grade` (results file, --json summary). The serve
// path has its case in serve_e2e_test.cc. Needs root, like the sandbox tests.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "grader/pipeline/test_util.h"
#include "grader/formats/utf8.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fathom_process.h"
#include "tests/ill_formed_utf8.h"

namespace fathom {
namespace {

namespace fs = std::filesystem;
using e2e::kIllFormedUtf8;
using e2e::kIllFormedUtf8Sanitized;

const std::string kSource = FATHOM_SOURCE_DIR;

class OutputBytesE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = grader::testing::FreshTestDir("output_bytes_e2e"); }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(Path(name), std::ios::binary) << text;
  }

  // Runs fathom with `args` (stdout and stderr to `log`); its exit code.
  int Fathom(const std::vector<std::string>& args, const std::string& log) const {
    return e2e::WaitExit(e2e::StartFathom(args, Path(log), {"XDG_CACHE_HOME=" + Path("xdg")}));
  }

  // The lines of `log` that are JSON objects, parsed strictly (a parse of ill-formed UTF-8
  // fails). Every byte of the log must be valid UTF-8.
  std::vector<nlohmann::json> JsonLines(const std::string& log) const {
    const std::string text = e2e::ReadFile(Path(log));
    EXPECT_TRUE(grader::IsValidUtf8(text)) << text;
    std::vector<nlohmann::json> out;
    for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
      if (!absl::StartsWith(line, "{")) continue;
      nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      EXPECT_FALSE(j.is_discarded()) << line;
      out.push_back(std::move(j));
    }
    return out;
  }

  fs::path dir_;
};

TEST_F(OutputBytesE2eTest, RunJsonGivesTextAndTheExactBytesOfOutputThatIsNotUtf8) {
  Write("prog.py", e2e::WriteIllFormedUtf8(1) + "\n" + e2e::WriteIllFormedUtf8(2) + "\n");
  ASSERT_EQ(Fathom({"run", "--policies", kSource + "/policies", "--json", Path("prog.py")},
                   "run.log"),
            0)
      << e2e::ReadFile(Path("run.log"));
  std::vector<nlohmann::json> lines = JsonLines("run.log");
  ASSERT_EQ(lines.size(), 1u) << e2e::ReadFile(Path("run.log"));
  const nlohmann::json& r = lines[0];
  EXPECT_EQ(r["status"], "ok");
  EXPECT_EQ(r["stdout"], kIllFormedUtf8Sanitized);
  EXPECT_EQ(r["stderr"], kIllFormedUtf8Sanitized);
  EXPECT_EQ(r["stdout_base64"], absl::Base64Escape(kIllFormedUtf8));
  EXPECT_EQ(r["stderr_base64"], absl::Base64Escape(kIllFormedUtf8));
}

TEST_F(OutputBytesE2eTest, RunJsonGivesValidUtf8AsTextOnly) {
  Write("prog.py", "print('caf\\u00e9 \\u20ac \\U0001f600')\n");
  ASSERT_EQ(Fathom({"run", "--policies", kSource + "/policies", "--json", Path("prog.py")},
                   "run.log"),
            0);
  std::vector<nlohmann::json> lines = JsonLines("run.log");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["stdout"], "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n");
  EXPECT_FALSE(lines[0].contains("stdout_base64"));
  EXPECT_FALSE(lines[0].contains("stderr_base64"));
}

// A sample that writes the bytes on both descriptors and fails with a message holding a
// lone surrogate: the results record and the --json summary stay valid and exact.
TEST_F(OutputBytesE2eTest, GradeResultsAndSummaryStayValidJson) {
  const std::string completion = "    " + e2e::WriteIllFormedUtf8(1) + "\n    " +
                                 e2e::WriteIllFormedUtf8(2) +
                                 "\n    raise ValueError('x\\ud800y')\n";
  Write("samples.jsonl",
        nlohmann::json{{"task_id", "FathomMini/0"}, {"completion", completion}}.dump() + "\n");
  ASSERT_EQ(Fathom({"grade", "--policies", kSource + "/policies", "--no-progress", "--json",
                    "--timeout", "10", "--k", "1", "--problems",
                    kSource + "/problems/fathom-mini.jsonl", "--samples", Path("samples.jsonl")},
                   "grade.log"),
            0)
      << e2e::ReadFile(Path("grade.log"));
  std::vector<nlohmann::json> summary = JsonLines("grade.log");
  ASSERT_FALSE(summary.empty()) << e2e::ReadFile(Path("grade.log"));
  EXPECT_EQ(summary.back()["pass_at_k"]["pass@1"], 0.0) << summary.back().dump();

  std::vector<nlohmann::json> results = JsonLines("samples.jsonl_results.jsonl");
  ASSERT_EQ(results.size(), 1u);
  const nlohmann::json& r = results[0];
  EXPECT_EQ(r["status"], "error");
  // The harness turns the surrogate into its escape; stderr is the program's, sanitized.
  EXPECT_EQ(r["result"], "failed: x\\ud800y");
  EXPECT_EQ(r["stderr_tail"], kIllFormedUtf8Sanitized);
  EXPECT_EQ(r["completion"], completion);
}

}  // namespace
}  // namespace fathom
