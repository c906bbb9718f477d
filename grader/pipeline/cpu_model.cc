// The CPU model, from /proc/cpuinfo.
#include "grader/pipeline/cpu_model.h"

#include <fstream>

#include "absl/strings/strip.h"

namespace fathom::grader {

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    return std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return "unknown";
}

}  // namespace fathom::grader
