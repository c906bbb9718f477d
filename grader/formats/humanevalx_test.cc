// HumanEval-X: task_id prefixes, loading, and CodeGeeX's program assembly per language,
// pinned on real rows when the shared data is there (tests/humanevalx_test.cc runs whole
// sets through the sandbox).
#include "grader/formats/humanevalx.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grader/formats/problems.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace fathom::grader {
namespace {

TEST(HumanEvalXTest, TheTaskIdPrefixNamesTheRuntime) {
  EXPECT_EQ(HumanEvalXLanguageOf("CPP/12"), "cpp");
  EXPECT_EQ(HumanEvalXLanguageOf("Python/0"), "python");
  EXPECT_EQ(HumanEvalXLanguageOf("JavaScript/3"), "javascript");
  EXPECT_EQ(HumanEvalXLanguageOf("Go/163"), "go");
  EXPECT_EQ(HumanEvalXLanguageOf("HumanEval/0"), "");  // openai/human-eval's own ids
  EXPECT_EQ(HumanEvalXLanguageOf("cpp/12"), "");       // prefixes are exact
  EXPECT_EQ(HumanEvalXLanguageOf("CPP"), "");
}

// CPP/0 as released (prompt shortened to its code lines).
Problem CppZero() {
  nlohmann::json row = {
      {"task_id", "CPP/0"},
      {"prompt",
       "/*\nCheck ...\n*/\n#include<stdio.h>\n#include<vector>\n#include<math.h>\nusing "
       "namespace std;\nbool has_close_elements(vector<float> numbers, float threshold){\n"},
      {"declaration", "#include<stdio.h>\n"},
      {"canonical_solution", "    return false;\n}\n"},
      {"test", "#undef NDEBUG\n#include<assert.h>\nint main(){\n    assert (true);\n}\n"},
      {"example_test", ""}};
  absl::StatusOr<Problem> p = ParseProblem(row, "humaneval_cpp.jsonl:1");
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : Problem();
}

TEST(HumanEvalXTest, ARowIsLoadedAsHumanEvalXWithItsLanguage) {
  const Problem p = CppZero();
  EXPECT_EQ(p.format, ProblemFormat::kHumanEvalX);
  EXPECT_EQ(p.language, "cpp");
  EXPECT_EQ(p.declaration, "#include<stdio.h>\n");
  EXPECT_TRUE(HumanEvalXAssembled(p));
}

TEST(HumanEvalXTest, CppPrependsTheHelpersThePromptLacksThenPromptCompletionTest) {
  const Problem p = CppZero();
  EXPECT_EQ(HumanEvalXProgram(p, "    return true;\n}\n", false),
            "#include<stdlib.h>\n#include<algorithm>\n#include<string>\n#include<climits>\n"
            "#include<cstring>\n#include<iostream>\n\n" +
                p.prompt + "    return true;\n}\n\n" + p.test);
  // A whole-program sample replaces prompt + completion.
  EXPECT_EQ(HumanEvalXProgram(p, "int f();", true),
            "#include<stdlib.h>\n#include<algorithm>\n#include<string>\n#include<climits>\n"
            "#include<cstring>\n#include<iostream>\n\nint f();\n" + p.test);
}

TEST(HumanEvalXTest, PythonKeepsTheCompletionUpToItsFirstUnindentedLine) {
  nlohmann::json row = {{"task_id", "Python/1"},
                        {"prompt", "def f(x):\n"},
                        {"canonical_solution", "    return x\n"},
                        {"test", "def check(c):\n    assert c(1) == 1\n\ncheck(f)"}};
  absl::StatusOr<Problem> p = ParseProblem(row, "x:1");
  ASSERT_TRUE(p.ok()) << p.status();
  const std::string program =
      HumanEvalXProgram(*p, "    y = x\n\n    return y\nprint('after')\n    z\n", false);
  EXPECT_EQ(program.substr(0, 12), "import math\n");
  EXPECT_NE(program.find("from collections import *\ndef f(x):\n    y = x\n\n    return y\n"
                         "def check(c):"),
            std::string::npos)
      << program;
  EXPECT_EQ(program.find("after"), std::string::npos);
}

TEST(HumanEvalXTest, EveryLanguageOfTheSixIsAssembled) {
  for (const char* id : {"CPP/0", "Python/0", "Go/0", "Java/0", "JavaScript/0", "Rust/0"}) {
    nlohmann::json row = {{"task_id", id}, {"prompt", "PROMPT {"}, {"test", "TEST"}};
    absl::StatusOr<Problem> p = ParseProblem(row, "x:1");
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_TRUE(HumanEvalXAssembled(*p)) << id;
    EXPECT_TRUE(absl::StrContains(HumanEvalXProgram(*p, "    BODY\n", false), "    BODY\n")) << id;
  }
}

TEST(HumanEvalXTest, AHumanEvalRowWithAnEntryPointStaysHumanEval) {
  nlohmann::json row = {{"task_id", "CPP/0"},
                        {"prompt", "def f():\n"},
                        {"test", "def check(c): pass"},
                        {"entry_point", "f"}};
  absl::StatusOr<Problem> p = ParseProblem(row, "x:1");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->format, ProblemFormat::kHumanEval);
  EXPECT_EQ(p->language, "");
}

// --- Java and JavaScript ---

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

// Java/0 and JavaScript/0 as released: prompt + canonical + "\n" + test, nothing added.
TEST(HumanEvalXJvmJsTest, RealRowsAssembleAsCodeGeeXRunsThem) {
  struct Row {
    const char* file;
    const char* task_id;
    const char* runtime;
    const char* starts_with;  // Java: the prompt brings its imports
    const char* contains;     // Java: the public class the file is named after
    bool quiet_pass;
  };
  for (const Row& r :
       {Row{"humaneval_java.jsonl.gz", "Java/0", "java", "import java.util.*;\nimport java.lang.*;\n",
            "\npublic class Main {", false},
        Row{"humaneval_js.jsonl.gz", "JavaScript/0", "javascript",
            "/* Check if in given list of numbers", "console.assert(hasCloseElements(", true}}) {
    ProblemSet set;
    const Problem* p = SharedRow(r.file, r.task_id, &set);
    if (p == nullptr) GTEST_SKIP() << "no shared data";
    EXPECT_EQ(p->language, r.runtime);
    const std::string program = HumanEvalXProgram(*p, p->canonical_solution, false);
    EXPECT_EQ(program, absl::StrCat(p->prompt, p->canonical_solution, "\n", p->test));
    EXPECT_TRUE(absl::StartsWith(program, r.starts_with)) << r.task_id;
    EXPECT_TRUE(absl::StrContains(program, r.contains)) << r.task_id;
    EXPECT_EQ(HumanEvalXQuietPass(*p), r.quiet_pass) << r.task_id;
  }
}

}  // namespace
}  // namespace fathom::grader
