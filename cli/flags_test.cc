// The command-line parser: every spelling the subcommands accept, and every usage error.
#include "cli/flags.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fathom::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Flags shaped like `fathom grade`'s: values, a repeatable value, booleans.
Flags GradeLike() {
  Flags f;
  f.Value("out", "results file");
  f.Value("k", "pass@k values");
  f.Value("stop", "stop sequence (\\n escapes; repeatable)", true);
  f.Value("limit", "override a limit", true);
  f.Bool("json", "print JSON");
  f.Bool("help", "show this help");
  return f;
}

absl::Status Parse(Flags& f, const std::vector<const char*>& args) {
  std::vector<char*> argv = {const_cast<char*>("fathom-test")};
  for (const char* a : args) argv.push_back(const_cast<char*>(a));
  return f.Parse(static_cast<int>(argv.size()), argv.data());
}

TEST(FlagsTest, ValuesBothSpellingsBooleansAndPositionals) {
  Flags f = GradeLike();
  ASSERT_TRUE(Parse(f, {"a.py", "--out", "o.jsonl", "--k=1,10", "--json", "b.py"}).ok());
  EXPECT_EQ(f.Get("out"), "o.jsonl");
  EXPECT_EQ(f.Get("k"), "1,10");
  EXPECT_TRUE(f.GetBool("json"));
  EXPECT_TRUE(f.Has("json"));
  EXPECT_FALSE(f.GetBool("help"));
  EXPECT_FALSE(f.Has("limit"));
  EXPECT_EQ(f.Get("limit", "dflt"), "dflt");
  EXPECT_THAT(f.GetAll("limit"), IsEmpty());
  EXPECT_THAT(f.positionals(), ElementsAre("a.py", "b.py"));
}

TEST(FlagsTest, RepeatableFlagsKeepEveryValueInOrder) {
  Flags f = GradeLike();
  ASSERT_TRUE(Parse(f, {"--stop", "\\ndef", "--limit=a=1", "--stop=\\nclass", "--limit", "b=2"}).ok());
  EXPECT_THAT(f.GetAll("stop"), ElementsAre("\\ndef", "\\nclass"));
  EXPECT_THAT(f.GetAll("limit"), ElementsAre("a=1", "b=2"));
  EXPECT_EQ(f.Get("stop"), "\\nclass");  // the last one
}

TEST(FlagsTest, ValuesMayLookLikeFlagsOrBeEmpty) {
  Flags f = GradeLike();
  ASSERT_TRUE(Parse(f, {"--out", "--json", "--k", "-1", "--stop", "-", "--limit", ""}).ok());
  EXPECT_EQ(f.Get("out"), "--json");
  EXPECT_FALSE(f.GetBool("json"));
  EXPECT_EQ(f.Get("k"), "-1");
  EXPECT_THAT(f.GetAll("stop"), ElementsAre("-"));
  EXPECT_THAT(f.GetAll("limit"), ElementsAre(""));
  EXPECT_TRUE(f.Has("limit"));
}

// "--name=" is the empty value, also from a script whose variable is empty, and never
// takes the next word.
TEST(FlagsTest, AnEmptyInlineValueIsEmpty) {
  Flags f = GradeLike();
  ASSERT_TRUE(Parse(f, {"--out=", "--json", "--stop", "--k=", "x=", "--", "--limit="}).ok());
  EXPECT_EQ(f.Get("out", "unset"), "");
  EXPECT_TRUE(f.GetBool("json"));
  EXPECT_THAT(f.GetAll("stop"), ElementsAre("--k="));
  EXPECT_FALSE(f.Has("k"));
  EXPECT_THAT(f.positionals(), ElementsAre("x=", "--limit="));
}

TEST(FlagsTest, DashIsStdinAndDoubleDashEndsTheFlags) {
  Flags f = GradeLike();
  ASSERT_TRUE(Parse(f, {"-", "--json", "--", "--out", "-x", "--unknown"}).ok());
  EXPECT_TRUE(f.GetBool("json"));
  EXPECT_FALSE(f.Has("out"));
  EXPECT_THAT(f.positionals(), ElementsAre("-", "--out", "-x", "--unknown"));
}

TEST(FlagsTest, SingleDashWordsArePositionals) {
  Flags f = GradeLike();
  ASSERT_TRUE(Parse(f, {"-x", "-json"}).ok());
  EXPECT_FALSE(f.GetBool("json"));
  EXPECT_THAT(f.positionals(), ElementsAre("-x", "-json"));
}

TEST(FlagsTest, UsageErrorsNameTheFlag) {
  struct Case {
    std::vector<const char*> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"--nope"}, "unknown flag --nope"},
           {{"a.py", "--nope=3"}, "unknown flag --nope"},
           {{"--Out", "x"}, "unknown flag --Out"},
           {{"--ou", "x"}, "unknown flag --ou"},  // no prefix matching
           {{"--out"}, "--out needs a value"},
           {{"--json", "--stop"}, "--stop needs a value"},
           {{"--json=1"}, "--json takes no value"},
           {{"--json="}, "--json takes no value"},
           {{"--out", "a", "--out=b"}, "--out given twice"},
       }) {
    Flags f = GradeLike();
    absl::Status s = Parse(f, c.args);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_EQ(s.message(), c.message);
  }
}

TEST(FlagsTest, HelpListsEveryFlagOnceSortedAndSaysRepeatableOnce) {
  Flags f = GradeLike();
  EXPECT_EQ(f.Help(),
            "  --help                     show this help\n"
            "  --json                     print JSON\n"
            "  --k VALUE                  pass@k values\n"
            "  --limit VALUE              override a limit (repeatable)\n"
            "  --out VALUE                results file\n"
            "  --stop VALUE               stop sequence (\\n escapes; repeatable)\n");
}

}  // namespace
}  // namespace fathom::cli
