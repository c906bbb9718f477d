// Test helpers for driver/report: small run directories and results files written under a
// per-test temporary directory, and an XML well-formedness check through Python's parser.
#ifndef FATHOM_DRIVER_REPORT_TEST_UTIL_H_
#define FATHOM_DRIVER_REPORT_TEST_UTIL_H_

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace fathom::driver::report::testing {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// A fresh directory named after the process and the running test; removed by the caller.
inline fs::path TestDir(const std::string& what) {
  const fs::path dir = fs::temp_directory_path() /
                       ("fathom_" + what + "_" + std::to_string(getpid()) + "_" +
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

inline void WriteText(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A report.json entry as `fathom eval` writes it (the fields the pages read).
inline Json Entry(const std::string& name, const std::string& title, const std::string& category,
                  double value, double lo, double hi, int64_t n) {
  return Json{{"benchmark", name},
              {"title", title},
              {"category", category},
              {"setting", "1-shot"},
              {"metric", "accuracy"},
              {"higher_is_better", true},
              {"scoring", "judge"},
              {"value", value},
              {"ci95", {lo, hi}},
              {"n", n},
              {"aggregation", "none"},
              {"rows", n},
              {"skipped", 0},
              {"missing", 0},
              {"mode", "faithful"},
              {"api", "chat"},
              {"inputs",
               {{"data", Json::array({{{"path", name + ".jsonl"}, {"sha256", "d-" + name}}})},
                {"shots", {{"source", "split"}, {"count", 1}, {"files", Json::array()}}}}},
              {"bootstrap", {{"replicates", 1000}, {"seed", 0}}},
              {"definition_sha256", "def-" + name},
              {"out_of_window", false},
              {"items_file", name + ".items.jsonl"}};
}

// Writes DIR/report.json with `entries` (in order) and mode "faithful".
inline void WriteRun(const fs::path& dir, const std::vector<Json>& entries,
                     const std::string& mode = "faithful") {
  fs::create_directories(dir);
  Json benchmarks = Json::object();
  for (const Json& e : entries) benchmarks[e["benchmark"].get<std::string>()] = e;
  Json report = {{"fathom_eval_report", 1},
                 {"fingerprint", {{"fathom_version", "0.1.0"}, {"registry_hash", "reg"}, {"mode", mode}}},
                 {"benchmarks", benchmarks}};
  WriteText(dir / "report.json", report.dump(2));
}

inline void WriteLines(const fs::path& path, const std::vector<Json>& lines) {
  std::string text;
  for (const Json& l : lines) text += l.dump() + "\n";
  WriteText(path, text);
}

// Runs `/usr/bin/python3 ARGS` with `input` on stdin; its stdout. A failed run fails the
// test (and returns what it printed).
inline std::string RunPython(const std::string& args, const std::string& input = "") {
  const fs::path dir = TestDir("python");
  WriteText(dir / "in", input);
  const std::string cmd = "/usr/bin/python3 " + args + " < " + (dir / "in").string() + " > " +
                          (dir / "out").string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  std::string out = ReadText(dir / "out");
  fs::remove_all(dir);
  EXPECT_EQ(rc, 0) << cmd << "\n" << out;
  return out;
}

// Parses `text` with Python's xml.etree: "" when well-formed, else the parser's message.
inline std::string XmlError(const std::string& text) {
  return RunPython(
      "-c 'import sys, xml.etree.ElementTree as E\n"
      "try:\n E.fromstring(sys.stdin.buffer.read())\nexcept E.ParseError as e:\n print(e)'",
      text);
}

}  // namespace fathom::driver::report::testing

#endif  // FATHOM_DRIVER_REPORT_TEST_UTIL_H_
