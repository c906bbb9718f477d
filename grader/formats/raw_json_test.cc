// Raw JSON slicing: exact text of members and elements, Python's extensions accepted.
#include "grader/formats/raw_json.h"

#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

TEST(RawJsonTest, ObjectMembersKeepRawValues) {
  std::string text =
      R"({"task_id": "x/1", "base_input": [[99999999999999999999999, Infinity]], "k\"": {"a": [1, "]"]}})";
  absl::StatusOr<std::vector<RawMember>> m = RawObjectMembers(text);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 3u);
  EXPECT_EQ((*m)[0].key, "task_id");
  EXPECT_EQ((*m)[1].key, "base_input");
  EXPECT_EQ(text.substr((*m)[1].value_begin, (*m)[1].value_end - (*m)[1].value_begin),
            "[[99999999999999999999999, Infinity]]");
  EXPECT_EQ(text.substr((*m)[2].value_begin, (*m)[2].value_end - (*m)[2].value_begin),
            R"({"a": [1, "]"]})");
}

TEST(RawJsonTest, ArrayElementsAreTrimmedRawText) {
  absl::StatusOr<std::vector<std::string>> e =
      RawArrayElements(" [ [1, -Infinity] ,[\"a,b\", {\"x\": NaN}], [] ] ");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(*e, (std::vector<std::string>{"[1, -Infinity]", "[\"a,b\", {\"x\": NaN}]", "[]"}));
  EXPECT_EQ(*RawArrayElements("[]"), std::vector<std::string>{});
}

TEST(RawJsonTest, MalformedTextIsAnErrorNamingTheOffset) {
  for (const char* bad : {"", "[", "[1,]", "[1 2]", "[\"unterminated]", "[1]]", "{}"}) {
    EXPECT_FALSE(RawArrayElements(bad).ok()) << bad;
  }
  for (const char* bad : {"", "{", "{\"a\" 1}", "{} x", "{\"a\": }", "{\"a\": 1,}", "[]"}) {
    EXPECT_FALSE(RawObjectMembers(bad).ok()) << bad;
  }
  absl::StatusOr<std::vector<std::string>> e = RawArrayElements("[1, [2, ]");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("at byte"), std::string::npos);
  std::string deep(600, '[');
  EXPECT_FALSE(RawArrayElements(deep + std::string(600, ']')).ok());
}

}  // namespace
}  // namespace fathom::grader
