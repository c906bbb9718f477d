// Replays a fuzz target's committed inputs under GoogleTest: one test per file of the
// directories in FATHOM_FUZZ_INPUT_DIRS (':'-separated; a missing one is skipped). A
// violated invariant aborts, so the test fails; the fuzz build does not use this file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

// A test name made of [A-Za-z0-9_], which ctest's discovery needs.
std::string TestName(std::string name) {
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class ReplayTest : public testing::Test {
 public:
  explicit ReplayTest(fs::path file) : file_(std::move(file)) {}
  void TestBody() override {
    std::ifstream in(file_, std::ios::binary);
    ASSERT_TRUE(in) << file_;
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }

 private:
  fs::path file_;
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  std::stringstream dirs(FATHOM_FUZZ_INPUT_DIRS);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!fs::is_directory(dir)) continue;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.is_regular_file()) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    // Suite "<target>_<corpus|regressions>", test "<file name>".
    fs::path d(dir);
    std::string suite = TestName(d.filename().string() + "_" + d.parent_path().filename().string());
    for (const fs::path& f : files) {
      testing::RegisterTest(suite.c_str(), TestName(f.filename().string()).c_str(), nullptr,
                            nullptr, __FILE__, __LINE__,
                            [f]() -> testing::Test* { return new ReplayTest(f); });
    }
  }
  return RUN_ALL_TESTS();
}
