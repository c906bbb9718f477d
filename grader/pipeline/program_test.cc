// Program assembly per problem format, the harness literal, and record parsing.
#include "grader/pipeline/program.h"

#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

TEST(AssertProgramTest, HumanEvalIsPromptCompletionTestCheck) {
  Problem p;
  p.format = ProblemFormat::kHumanEval;
  p.prompt = "def f():\n";
  p.test = "def check(c):\n    assert c() == 1";
  p.entry_point = "f";
  EXPECT_EQ(AssertProgram(p, "    return 1", false),
            "def f():\n    return 1\ndef check(c):\n    assert c() == 1\ncheck(f)");
  EXPECT_EQ(AssertProgram(p, "def f(): return 1", true),
            "def f(): return 1\ndef check(c):\n    assert c() == 1\ncheck(f)");
}

TEST(AssertProgramTest, MbppRunsEveryAssertAfterCodeAndSetup) {
  Problem p;
  p.format = ProblemFormat::kMbpp;
  p.test_setup = "x = Node()";
  p.test_list = {"assert a", "assert b", "assert c"};
  p.challenge_test_list = {"assert d"};
  EXPECT_EQ(AssertProgram(p, "class Node: pass", true),
            "class Node: pass\nx = Node()\nassert a\nassert b\nassert c\nassert d\n");
}

TEST(AssertProgramTest, MbppPlusFormats) {
  Problem p;
  p.format = ProblemFormat::kMbppPlusOrigin;
  p.test_setup = "import math\n";
  p.test = "assert f() == 1";
  EXPECT_EQ(AssertProgram(p, "def f(): return 1", true),
            "import math\ndef f(): return 1\nassert f() == 1");
  p.format = ProblemFormat::kMbppPlus;
  p.prompt = "\"\"\"doc\"\"\"\n";
  EXPECT_EQ(AssertProgram(p, "def f(): return 1", true), "def f(): return 1\nassert f() == 1");
  EXPECT_EQ(AssertProgram(p, "def f(): return 1", false),
            "\"\"\"doc\"\"\"\ndef f(): return 1\nassert f() == 1");
}

TEST(WrapInHarnessTest, DeterministicAndEscapesEverything) {
  std::string program = "a = '\\\\'\nb = \"\t\r\x01\x7f\"\n# caf\xc3\xa9\n";
  std::string wrapped = WrapInHarness(program);
  EXPECT_EQ(wrapped, WrapInHarness(program));
  std::string tail = wrapped.substr(wrapped.rfind("_fathom_run("));
  EXPECT_EQ(tail,
            "_fathom_run('a = \\'\\\\\\\\\\'\\nb = \"\\t\\r\\x01\\x7f\"\\n# caf\xc3\xa9\\n')\n");
}

TEST(HarnessModuleTest, ProgramsCarryTheModuleFileAndOtherSpecsDoNot) {
  const std::string file = HarnessModuleName() + ".py";
  EXPECT_EQ(HarnessModuleName().rfind("_fathom_harness_", 0), 0u);
  sandbox::RunSpec spec;
  spec.files.push_back({"main.py", WrapInHarness("x = 1")});
  AddHarnessFile(&spec);
  ASSERT_EQ(spec.files.size(), 2u);
  EXPECT_EQ(spec.files[1].name, file);
  EXPECT_EQ(spec.files[1].content, HarnessModuleSource());
  AddHarnessFile(&spec);  // once only
  EXPECT_EQ(spec.files.size(), 2u);
  sandbox::RunSpec plain;
  plain.files.push_back({"main.py", "print('hello')\n"});
  AddHarnessFile(&plain);
  EXPECT_EQ(plain.files.size(), 1u);
  sandbox::ZygoteOptions zygote;
  PreloadHarness(&zygote);
  ASSERT_EQ(zygote.preload_sources.size(), 1u);
  EXPECT_EQ(zygote.preload_sources[0].name, HarnessModuleName());
}

TEST(NonceTest, FreshAndHex) {
  std::string a = NewNonce(), b = NewNonce();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(ParseHarnessRecordTest, FindsOnlyTheNoncesCompleteRecord) {
  const std::string n = "abc";
  EXPECT_EQ(ParseHarnessRecord("\nFATHOM-abc {\"outcome\":\"passed\"}\n", n).kind,
            HarnessRecord::Kind::kPassed);
  EXPECT_EQ(ParseHarnessRecord("\nFATHOM-abc {\"outcome\":\"passed\"}", n).kind,
            HarnessRecord::Kind::kNone);  // cut short
  EXPECT_EQ(ParseHarnessRecord("\nFATHOM-abd {\"outcome\":\"passed\"}\n", n).kind,
            HarnessRecord::Kind::kNone);
  EXPECT_EQ(ParseHarnessRecord("\nFATHOM-abc {broken\n", n).kind, HarnessRecord::Kind::kNone);
  HarnessRecord r = ParseHarnessRecord(
      "x\nFATHOM-abc {\"outcome\":\"exception\",\"type\":\"KeyError\",\"message\":\"'k'\","
      "\"assertion\":false,\"memory\":false}\n",
      n);
  EXPECT_EQ(r.kind, HarnessRecord::Kind::kException);
  EXPECT_EQ(r.type, "KeyError");
  EXPECT_EQ(r.message, "'k'");
  EXPECT_FALSE(r.assertion);
}

}  // namespace
}  // namespace fathom::grader
