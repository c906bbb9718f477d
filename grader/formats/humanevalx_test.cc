// HumanEval-X program assembly per language, pinned on real rows when the shared data is
// there (tests/humanevalx_test.cc runs whole sets through the sandbox).
#include "grader/formats/humanevalx.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grader/formats/problems.h"
#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

Problem Row(const std::string& task_id, const std::string& prompt, const std::string& test) {
  Problem p;
  p.task_id = task_id;
  p.format = ProblemFormat::kHumanEvalX;
  p.language = std::string(HumanEvalXLanguageOf(task_id));
  p.prompt = prompt;
  p.test = test;
  return p;
}

// The released row `task_id` of `file` under the shared data, or null (the test skips).
const Problem* SharedRow(const std::string& file, const std::string& task_id,
                         ProblemSet* storage) {
  absl::StatusOr<ProblemSet> set =
      LoadProblems(absl::StrCat(FATHOM_SHARED_DATA_DIR, "/humanevalx/", file));
  if (!set.ok()) return nullptr;
  *storage = *std::move(set);
  return storage->Find(task_id);
}

// --- Java and JavaScript ---

TEST(HumanEvalXJvmJsTest, JavaAndJavaScriptRunPromptCompletionAndTest) {
  for (const char* id : {"Java/7", "JavaScript/7"}) {
    const Problem p = Row(id, "PROMPT{", "TEST");
    ASSERT_TRUE(HumanEvalXAssembled(p)) << id;
    EXPECT_EQ(HumanEvalXProgram(p, "BODY}", false), "PROMPT{BODY}\nTEST") << id;
    // A whole-program sample replaces the prompt.
    EXPECT_EQ(HumanEvalXProgram(p, "WHOLE", true), "WHOLE\nTEST") << id;
  }
  EXPECT_EQ(HumanEvalXLanguageOf("Java/0"), "java");
  EXPECT_EQ(HumanEvalXLanguageOf("JavaScript/0"), "javascript");
}

TEST(HumanEvalXJvmJsTest, OnlyJavaScriptNeedsASilentPass) {
  EXPECT_TRUE(HumanEvalXQuietPass(Row("JavaScript/0", "", "")));
  EXPECT_FALSE(HumanEvalXQuietPass(Row("Java/0", "", "")));
  EXPECT_FALSE(HumanEvalXQuietPass(Row("CPP/0", "", "")));
  // Not HumanEval-X (a MultiPL-E JavaScript problem, say): exit status alone.
  Problem other = Row("JavaScript/0", "", "");
  other.format = ProblemFormat::kHumanEval;
  EXPECT_FALSE(HumanEvalXQuietPass(other));
}

TEST(HumanEvalXJvmJsTest, JavaRowAssemblesToMainJava) {
  ProblemSet set;
  const Problem* p = SharedRow("humaneval_java.jsonl.gz", "Java/0", &set);
  if (p == nullptr) GTEST_SKIP() << "no shared data";
  EXPECT_EQ(p->language, "java");
  const std::string program = HumanEvalXProgram(*p, p->canonical_solution, false);
  EXPECT_EQ(program, absl::StrCat(p->prompt, p->canonical_solution, "\n", p->test));
  // The prompt brings its imports; the test is the public class the file is named after.
  EXPECT_TRUE(absl::StartsWith(program, "import java.util.*;\nimport java.lang.*;\n"));
  EXPECT_TRUE(absl::StrContains(program, "\npublic class Main {"));
}

TEST(HumanEvalXJvmJsTest, JavaScriptRowAssemblesAsIs) {
  ProblemSet set;
  const Problem* p = SharedRow("humaneval_js.jsonl.gz", "JavaScript/0", &set);
  if (p == nullptr) GTEST_SKIP() << "no shared data";
  EXPECT_EQ(p->language, "javascript");
  const std::string program = HumanEvalXProgram(*p, p->canonical_solution, false);
  EXPECT_EQ(program, absl::StrCat(p->prompt, p->canonical_solution, "\n", p->test));
  EXPECT_TRUE(absl::StartsWith(program, "/* Check if in given list of numbers"));
  EXPECT_TRUE(absl::StrContains(program, "console.assert(hasCloseElements("));
  EXPECT_TRUE(HumanEvalXQuietPass(*p));
}

}  // namespace
}  // namespace fathom::grader
