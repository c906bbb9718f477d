// MultiPL-E end to end through the real binary and sandbox: `fathom grade DIR` on each
// language directory of tests/multipl_e/ (our own problems in MultiPL-E's completions
// layout; see its README) writes MultiPL-E's results file with the statuses each file
// expects, in MultiPL-E's layout. Needs root (the sandbox) and every toolchain
// scripts/bootstrap installs.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fathom_process.h"

namespace fathom {
namespace {

namespace fs = std::filesystem;

const std::string kSourceDir = FATHOM_SOURCE_DIR;

class MultiplEE2ETest : public ::testing::TestWithParam<std::string> {};

TEST_P(MultiplEE2ETest, ResultsFileHasMultiplEStatusesAndLayout) {
  const std::string lang = GetParam();
  const std::string in = kSourceDir + "/tests/multipl_e/" + lang;
  const std::string out = absl::StrCat(::testing::TempDir(), "/multipl_e_e2e_", getpid(), "_",
                                       fs::path(lang).stem().string());
  fs::remove_all(out);
  const std::string log = out + ".log";
  const int code = e2e::WaitExit(e2e::StartFathom(
      {"grade", in, "--out", out, "--timeout", "10", "--no-cache", "--no-progress"}, log));
  ASSERT_EQ(code, 0) << e2e::ReadFile(log);

  int files = 0;
  for (const auto& e : fs::directory_iterator(in)) {
    if (e.path().extension() != ".json") continue;
    ++files;
    const nlohmann::ordered_json input =
        nlohmann::ordered_json::parse(e2e::ReadFile(e.path().string()));
    const std::string results_path =
        out + "/" + e.path().stem().string() + ".results.json";
    const std::string text = e2e::ReadFile(results_path);
    ASSERT_FALSE(text.empty()) << results_path << "\n" << e2e::ReadFile(log);
    const nlohmann::ordered_json results = nlohmann::ordered_json::parse(text);
    // The input's keys in order, `completions` replaced by `results` at the end.
    std::vector<std::string> want_keys;
    for (const auto& [k, v] : input.items()) {
      if (k != "completions") want_keys.push_back(k);
    }
    want_keys.push_back("results");
    std::vector<std::string> keys;
    for (const auto& [k, v] : results.items()) keys.push_back(k);
    EXPECT_EQ(keys, want_keys);
    const auto& completions = input["completions"];
    const auto& expected = input["fathom_expected_statuses"];
    ASSERT_EQ(results["results"].size(), completions.size());
    for (size_t i = 0; i < completions.size(); ++i) {
      const auto& r = results["results"][i];
      std::vector<std::string> rkeys;
      for (const auto& [k, v] : r.items()) rkeys.push_back(k);
      EXPECT_EQ(rkeys, (std::vector<std::string>{"program", "timestamp", "stdout", "stderr",
                                                 "exit_code", "status"}));
      EXPECT_EQ(r["status"], expected[i]) << lang << " completion " << i << ": " << r.dump(2);
      EXPECT_EQ(r["program"].get<std::string>(),
                absl::StrCat(input["prompt"].get<std::string>(),
                             completions[i].get<std::string>(), "\n",
                             input["tests"].get<std::string>()));
      if (r["status"] == "OK") {
        EXPECT_EQ(r["exit_code"], 0);
      }
    }
  }
  EXPECT_GT(files, 0) << in;
  fs::remove_all(out);
  fs::remove(log);
}

INSTANTIATE_TEST_SUITE_P(Languages, MultiplEE2ETest,
                         ::testing::Values("go_test.go", "rs", "lua", "rb", "php", "pl", "java",
                                           "cpp", "js", "ts", "sh", "py", "r", "cs", "d", "rkt",
                                           "scala"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return fs::path(info.param).stem().string();
                         });

}  // namespace
}  // namespace fathom
