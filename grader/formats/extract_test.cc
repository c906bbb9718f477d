// --extract none|fenced|stop.
#include "grader/formats/extract.h"

#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

TEST(ExtractTest, Modes) {
  const std::string text = "Here:\n```python\ndef f():\n    return 1\n```\nmore\n```\nx\n```";
  EXPECT_EQ(Extract(text, ExtractMode::kNone, {}), text);
  EXPECT_EQ(Extract(text, ExtractMode::kFenced, {}), "def f():\n    return 1\n");
  EXPECT_EQ(Extract("no fence", ExtractMode::kFenced, {}), "no fence");
  EXPECT_EQ(Extract("    return 1\ndef g():\n    pass\n#x", ExtractMode::kStop,
                    DefaultStopSequences()),
            "    return 1");
  EXPECT_EQ(Extract("    return 1\n", ExtractMode::kStop, DefaultStopSequences()),
            "    return 1\n");
  EXPECT_EQ(UnescapeStopSequence("\\nclass\\t\\\\"), "\nclass\t\\");
  EXPECT_FALSE(ParseExtractMode("regex").ok());
  EXPECT_EQ(*ParseExtractMode("stop"), ExtractMode::kStop);
}

}  // namespace
}  // namespace fathom::grader
