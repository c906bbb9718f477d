// Journal: JSON entries survive a reopen; a torn or refused tail is cut; another run's
// journal is refused.
#include "grader/pipeline/journal.h"

#include <filesystem>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "gtest/gtest.h"

namespace fathom::grader {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (fs::path(::testing::TempDir()) /
             ("journal_test_" + std::to_string(getpid()) + "_" +
              std::string(::testing::UnitTest::GetInstance()->current_test_info()->name())))
                .string();
    fs::remove(path_);
  }
  void TearDown() override { fs::remove(path_); }

  // Reopens the journal; returns the entries replayed (all accepted unless `refuse`).
  std::vector<nlohmann::json> Replay(const std::string& fingerprint = "fp",
                                     int refuse = -1) {
    std::vector<nlohmann::json> seen;
    absl::StatusOr<std::unique_ptr<Journal>> j =
        Journal::Open(path_, fingerprint, [&](const nlohmann::json& e) {
          if (e.value("n", -2) == refuse) return false;
          seen.push_back(e);
          return true;
        });
    EXPECT_TRUE(j.ok()) << j.status();
    return seen;
  }
  std::string Text() {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string path_;
};

TEST_F(JournalTest, EntriesAreReplayedInOrderAfterAReopen) {
  {
    absl::StatusOr<std::unique_ptr<Journal>> j =
        Journal::Open(path_, "fp", [](const nlohmann::json&) { return true; });
    ASSERT_TRUE(j.ok()) << j.status();
    for (int n = 0; n < 3; ++n) ASSERT_TRUE((*j)->Append({{"n", n}, {"s", "x"}}).ok());
  }
  EXPECT_EQ(Text(),
            "{\"fathom_journal\":1,\"fingerprint\":\"fp\"}\n"
            "{\"n\":0,\"s\":\"x\"}\n{\"n\":1,\"s\":\"x\"}\n{\"n\":2,\"s\":\"x\"}\n");
  std::vector<nlohmann::json> seen = Replay();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2]["n"], 2);
}

TEST_F(JournalTest, ATornTailIsCutAndAppendsContinueAfterTheLastWholeEntry) {
  std::ofstream(path_, std::ios::binary)
      << "{\"fathom_journal\":1,\"fingerprint\":\"fp\"}\n{\"n\":0}\n{\"n\":1";
  {
    std::vector<nlohmann::json> seen;
    absl::StatusOr<std::unique_ptr<Journal>> j =
        Journal::Open(path_, "fp", [&](const nlohmann::json& e) {
          seen.push_back(e);
          return true;
        });
    ASSERT_TRUE(j.ok()) << j.status();
    EXPECT_EQ(seen.size(), 1u);
    ASSERT_TRUE((*j)->Append({{"n", 5}}).ok());
  }
  EXPECT_EQ(Text(), "{\"fathom_journal\":1,\"fingerprint\":\"fp\"}\n{\"n\":0}\n{\"n\":5}\n");
}

TEST_F(JournalTest, TheFirstRefusedEntryEndsTheReplayAndIsCutWithTheRest) {
  std::ofstream(path_, std::ios::binary)
      << "{\"fathom_journal\":1,\"fingerprint\":\"fp\"}\n{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n";
  EXPECT_EQ(Replay("fp", /*refuse=*/1).size(), 1u);
  EXPECT_EQ(Text(), "{\"fathom_journal\":1,\"fingerprint\":\"fp\"}\n{\"n\":0}\n");
}

TEST_F(JournalTest, AnotherRunsJournalIsRefusedAndKept) {
  std::ofstream(path_, std::ios::binary)
      << "{\"fathom_journal\":1,\"fingerprint\":\"other\"}\n{\"n\":0}\n";
  absl::StatusOr<std::unique_ptr<Journal>> j =
      Journal::Open(path_, "fp", [](const nlohmann::json&) { return true; });
  EXPECT_EQ(j.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(j.status().message(), path_ + " was written by a run with other inputs or settings");
  EXPECT_EQ(Text(), "{\"fathom_journal\":1,\"fingerprint\":\"other\"}\n{\"n\":0}\n");
}

TEST_F(JournalTest, RemoveDeletesTheFile) {
  absl::StatusOr<std::unique_ptr<Journal>> j =
      Journal::Open(path_, "fp", [](const nlohmann::json&) { return true; });
  ASSERT_TRUE(j.ok());
  ASSERT_TRUE((*j)->Remove().ok());
  EXPECT_FALSE(fs::exists(path_));
}

}  // namespace
}  // namespace fathom::grader
