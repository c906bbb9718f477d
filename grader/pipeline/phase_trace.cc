// Harness trace points and the phases' JSON (phase_trace.h).
#include "grader/pipeline/phase_trace.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace fathom::grader {

void ParseHarnessTrace(absl::string_view text, std::vector<sandbox::TracePoint>* out) {
  for (absl::string_view entry : absl::StrSplit(text, ';', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(entry, ' ');
    sandbox::TracePoint p;
    if (f.size() != 4 || f[0].empty() || !absl::SimpleAtoi(f[1], &p.wall_ns) ||
        !absl::SimpleAtoi(f[2], &p.cpu_ns) || !absl::SimpleAtoi(f[3], &p.minflt)) {
      continue;
    }
    p.name = std::string(f[0]);
    out->push_back(std::move(p));
  }
}

nlohmann::json PhasesJson(const std::vector<sandbox::PhaseTime>& phases) {
  nlohmann::json out = nlohmann::json::array();
  for (const sandbox::PhaseTime& p : phases) {
    out.push_back({{"name", p.name},
                   {"wall_us", p.wall_us},
                   {"cpu_us", p.cpu_us},
                   {"minflt", p.minflt},
                   {"process", p.in_zygote ? "zygote" : "program"}});
  }
  return out;
}

}  // namespace fathom::grader
