// HumanEval-X: task_id prefixes, loading, and CodeGeeX's program assembly per language.
#include "grader/formats/humanevalx.h"

#include "gtest/gtest.h"
#include "grader/formats/problems.h"
#include "nlohmann/json.hpp"

namespace fathom::grader {
namespace {

TEST(HumanEvalXTest, TheTaskIdPrefixNamesTheRuntime) {
  EXPECT_EQ(HumanEvalXLanguageOf("CPP/12"), "cpp");
  EXPECT_EQ(HumanEvalXLanguageOf("Python/0"), "python");
  EXPECT_EQ(HumanEvalXLanguageOf("JavaScript/3"), "js");
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

TEST(HumanEvalXTest, LanguagesNotAssembledYetSaySo) {
  nlohmann::json row = {{"task_id", "Go/0"}, {"prompt", "func F() {"}, {"test", "func T() {}"}};
  absl::StatusOr<Problem> p = ParseProblem(row, "x:1");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->language, "go");
  EXPECT_FALSE(HumanEvalXAssembled(*p));
  EXPECT_EQ(HumanEvalXProgram(*p, "}", false), "");
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

}  // namespace
}  // namespace fathom::grader
