// Helpers shared by the grader's tests (header-only; test binaries only).
#ifndef FATHOM_GRADER_PIPELINE_TEST_UTIL_H_
#define FATHOM_GRADER_PIPELINE_TEST_UTIL_H_

#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grader/pipeline/grade.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace fathom::grader::testing {

// An empty directory of its own for the running test: TempDir()/<prefix>_<pid>_<test name>.
inline std::filesystem::path FreshTestDir(const std::string& prefix) {
  std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) /
      absl::StrCat(prefix, "_", getpid(), "_",
                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A results file's text (JSONL) without the fields allowed to differ between runs of
// the same samples: cpu_ms, wall_ms, max_rss_kb.
inline std::string JsonlWithoutTimings(const std::string& text) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(line);
    j.erase("cpu_ms");
    j.erase("wall_ms");
    j.erase("max_rss_kb");
    out += j.dump() + "\n";
  }
  return out;
}

// A runtime for fake runners: the program is main.py, run by /usr/bin/python3.
inline RuntimeContext FakeRuntime() {
  RuntimeContext runtime;
  runtime.make_spec = [](std::string program, const sandbox::Limits& limits) {
    sandbox::RunSpec spec;
    spec.argv = {"/usr/bin/python3", "main.py"};
    spec.files.push_back({"main.py", std::move(program)});
    spec.limits = limits;
    return spec;
  };
  runtime.fingerprint = "fake-runtime";
  return runtime;
}

}  // namespace fathom::grader::testing

#endif  // FATHOM_GRADER_PIPELINE_TEST_UTIL_H_
