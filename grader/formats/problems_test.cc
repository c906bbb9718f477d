// Problem records: formats, and EvalPlus inputs kept as raw text.
#include "grader/formats/problems.h"

#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

TEST(ProblemsTest, EvalPlusInputsKeepTheirExactText) {
  absl::StatusOr<Problem> p = ParseProblemLine(
      R"J({"task_id": "Mbpp/404", "prompt": "\"\"\"doc\"\"\"\n", "entry_point": "minimum",)J"
      R"J( "canonical_solution": "def minimum(a, b): return min(a, b)", "assertion": "assert 1",)J"
      R"J( "base_input": [[1, 2], [Infinity, -Infinity]],)J"
      R"J( "plus_input": [[99999999999999999999999, 0.1]], "atol": 0, "contract": ""})J",
      "p.jsonl:7");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->format, ProblemFormat::kMbppPlus);
  EXPECT_TRUE(p->has_io());
  EXPECT_EQ(p->base_inputs, (std::vector<std::string>{"[1, 2]", "[Infinity, -Infinity]"}));
  EXPECT_EQ(p->plus_inputs, (std::vector<std::string>{"[99999999999999999999999, 0.1]"}));
}

TEST(ProblemsTest, AnEmptyObjectMeansNoInputs) {  // MBPP+ task 802's "plus_input": {}
  absl::StatusOr<Problem> p = ParseProblemLine(
      R"J({"task_id": "Mbpp/802", "prompt": "", "entry_point": "f", "assertion": "",)J"
      R"J( "canonical_solution": "", "base_input": [[1]], "plus_input": {}})J",
      "p.jsonl:1");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->base_inputs.size(), 1u);
  EXPECT_TRUE(p->plus_inputs.empty());
}

TEST(ProblemsTest, BadInputListsNameTheFieldAndPlace) {
  for (const char* bad :
       {R"J({"task_id": "a", "prompt": "", "test": "", "entry_point": "f", "base_input": [1]})J",
        R"J({"task_id": "a", "prompt": "", "test": "", "entry_point": "f", "base_input": "x"})J",
        R"J({"task_id": "a", "prompt": "", "test": "", "entry_point": "f", "base_input": [[1})J"}) {
    absl::StatusOr<Problem> p = ParseProblemLine(bad, "p.jsonl:3");
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.status().message().find("p.jsonl:3"), std::string::npos) << p.status();
  }
  absl::StatusOr<Problem> p = ParseProblemLine(
      R"J({"task_id": "a", "prompt": "", "test": "", "entry_point": "f", "base_input": [1]})J",
      "p.jsonl:3");
  EXPECT_NE(p.status().message().find("base_input"), std::string::npos);
}

TEST(ProblemsTest, LoadsTheReleasedEvalPlusFiles) {
  for (const char* file : {"/humanevalplus/HumanEvalPlus.jsonl.gz",
                           "/mbppplus/MbppPlus.jsonl.gz"}) {
    absl::StatusOr<ProblemSet> set = LoadProblems(std::string(FATHOM_SHARED_DATA_DIR) + file);
    if (!set.ok() && set.status().code() == absl::StatusCode::kNotFound) {
      GTEST_SKIP() << "no shared data";
    }
    ASSERT_TRUE(set.ok()) << set.status();
    for (const Problem& p : set->problems) EXPECT_TRUE(p.has_io()) << p.task_id;
  }
  absl::StatusOr<ProblemSet> he =
      LoadProblems(std::string(FATHOM_SHARED_DATA_DIR) + "/humanevalplus/HumanEvalPlus.jsonl.gz");
  // HumanEval/22 holds integers beyond 64 bits; they arrive digit for digit.
  const Problem* p22 = he->Find("HumanEval/22");
  ASSERT_NE(p22, nullptr);
  bool found = false;
  for (const std::string& in : p22->plus_inputs) {
    found = found || in.find("99999999999999999999999") != std::string::npos;
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace fathom::grader
