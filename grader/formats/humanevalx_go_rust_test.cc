// HumanEval-X's Go and Rust program assembly (humanevalx.h), pinned byte for byte:
// CodeGeeX's process_humaneval_test rules on synthetic rows, and one real row of each
// released file (../shared/data/humanevalx; skipped without it).
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "grader/formats/humanevalx.h"
#include "grader/formats/problems.h"
#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

constexpr char kGoSetup[] =
    "package main\n\nimport (\n    \"testing\"\n    \"github.com/stretchr/testify/assert\"\n)\n";

Problem GoProblem() {
  Problem p;
  p.task_id = "Go/7";
  p.format = ProblemFormat::kHumanEvalX;
  p.language = "go";
  p.imports = "import (\n    \"strings\"\n)\n";
  p.prompt = "import (\n    \"strings\"\n)\n\n// Doc.\nfunc F(s string) string {\n";
  p.test_setup = kGoSetup;
  p.test = "func TestF(t *testing.T) {}\n";
  return p;
}

TEST(HumanEvalXGoTest, ImportsOnlyTheHelpersTheCompletionNames) {
  const Problem p = GoProblem();
  // strings. and fmt. are named; sort is not; the prompt's own import block goes.
  const std::string code = "    return fmt.Sprint(strings.ToUpper(s))\n}\n";
  EXPECT_EQ(HumanEvalXProgram(p, code, /*is_solution=*/false),
            absl::StrCat(kGoSetup, "\n", "import (\n\"strings\"\n    \"fmt\"\n)\n",
                         "\n// Doc.\nfunc F(s string) string {\n", code, "\n", p.test));
}

TEST(HumanEvalXGoTest, NoImportBlockWhenNoHelperIsNamed) {
  const Problem p = GoProblem();
  const std::string code = "    return s\n}\n";
  EXPECT_EQ(HumanEvalXProgram(p, code, false),
            absl::StrCat(kGoSetup, "\n", "\n// Doc.\nfunc F(s string) string {\n", code, "\n",
                         p.test));
}

TEST(HumanEvalXGoTest, HelpersAreMatchedAsCodeGeeXDoes) {
  Problem p = GoProblem();
  // test_setup already names math/rand: "math" is a substring of it, so neither math
  // nor math/rand is imported again. A mention in a comment counts ("time.").
  p.test_setup = "package main\n\nimport (\n    \"testing\"\n    \"math/rand\"\n)\n";
  const std::string code = "    // see time.Now\n    _ = math.Pi; _ = rand.Int()\n    return s\n}\n";
  EXPECT_EQ(HumanEvalXProgram(p, code, false),
            absl::StrCat(p.test_setup, "\n", "import (\n\"time\"\n)\n",
                         "\n// Doc.\nfunc F(s string) string {\n", code, "\n", p.test));
}

TEST(HumanEvalXGoTest, ASolutionReplacesPromptAndCompletion) {
  const Problem p = GoProblem();
  const std::string code = "func F(s string) string { return strings.TrimSpace(s) }\n";
  EXPECT_EQ(HumanEvalXProgram(p, code, /*is_solution=*/true),
            absl::StrCat(kGoSetup, "\n", "import (\n\"strings\"\n)\n", code, "\n", p.test));
}

TEST(HumanEvalXRustTest, MainThenDeclarationPromptCompletionAndTests) {
  Problem p;
  p.task_id = "Rust/3";
  p.format = ProblemFormat::kHumanEvalX;
  p.declaration = "\nuse rand::Rng;\n\nfn f(x: i32) -> i32{\n";
  p.prompt = "\n/*\n Doc.\n*/\n";
  p.test = "\n#[cfg(test)]\nmod tests {}\n";
  const std::string code = "    x + 1\n}\n";
  EXPECT_EQ(HumanEvalXProgram(p, code, false),
            absl::StrCat("\nfn main(){ \n } \n", p.declaration, p.prompt, code, p.test));
  EXPECT_EQ(HumanEvalXProgram(p, "fn f(x: i32) -> i32 { x }\n", true),
            absl::StrCat("\nfn main(){ \n } \n", "fn f(x: i32) -> i32 { x }\n", p.test));
}

TEST(HumanEvalXGoRustTest, PrefixesNameTheirRuntimes) {
  EXPECT_EQ(HumanEvalXLanguageOf("Go/0"), "go");
  EXPECT_EQ(HumanEvalXLanguageOf("Rust/163"), "rust-test");
}

// The released rows: the canonical program is assembled exactly as CodeGeeX's evaluator
// would (the expected text is spelled out from the row's fields here).
TEST(HumanEvalXGoRustTest, ReleasedRows) {
  const std::string dir = std::string(FATHOM_SHARED_DATA_DIR) + "/humanevalx";
  absl::StatusOr<ProblemSet> go = LoadProblems(dir + "/humaneval_go.jsonl.gz");
  if (!go.ok() && go.status().code() == absl::StatusCode::kNotFound) {
    GTEST_SKIP() << "no shared data";
  }
  ASSERT_TRUE(go.ok()) << go.status();
  const Problem* g0 = go->Find("Go/0");
  ASSERT_NE(g0, nullptr);
  EXPECT_EQ(g0->language, "go");
  // Go/0's prompt imports math, which the canonical solution uses (math.Abs).
  EXPECT_EQ(g0->imports, "import (\n    \"math\"\n)\n");
  EXPECT_EQ(HumanEvalXProgram(*g0, g0->canonical_solution, false),
            absl::StrCat(g0->test_setup, "\n", "import (\n\"math\"\n)\n",
                         absl::StrReplaceAll(g0->prompt, {{g0->imports, ""}}),
                         g0->canonical_solution, "\n", g0->test));

  absl::StatusOr<ProblemSet> rust = LoadProblems(dir + "/humaneval_rust.jsonl.gz");
  ASSERT_TRUE(rust.ok()) << rust.status();
  const Problem* r0 = rust->Find("Rust/0");
  ASSERT_NE(r0, nullptr);
  EXPECT_EQ(r0->language, "rust-test");
  EXPECT_EQ(HumanEvalXProgram(*r0, r0->canonical_solution, false),
            absl::StrCat("\nfn main(){ \n } \n", r0->declaration, r0->prompt,
                         r0->canonical_solution, r0->test));
}

}  // namespace
}  // namespace fathom::grader
