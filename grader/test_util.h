// Helpers shared by the grader's tests (header-only; test binaries only).
#ifndef FATHOM_GRADER_TEST_UTIL_H_
#define FATHOM_GRADER_TEST_UTIL_H_

#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grader/grade.h"
#include "gtest/gtest.h"

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

#endif  // FATHOM_GRADER_TEST_UTIL_H_
