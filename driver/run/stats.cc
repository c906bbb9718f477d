// Stratified percentile bootstrap over items (see stats.h).
#include "driver/run/stats.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace fathom::driver::run {
void PercentileInterval(std::vector<double>& v, Estimate* e) {
  if (v.empty()) {
    e->ci_low = e->ci_high = e->value;
    return;
  }
  std::sort(v.begin(), v.end());
  const size_t b = v.size();
  size_t lo = static_cast<size_t>(std::floor(0.025 * static_cast<double>(b)));
  size_t hi = static_cast<size_t>(std::ceil(0.975 * static_cast<double>(b)));
  hi = hi == 0 ? 0 : hi - 1;
  e->ci_low = v[std::min(lo, b - 1)];
  e->ci_high = v[std::min(hi, b - 1)];
}

Aggregate AggregateScores(const std::vector<std::vector<double>>& scores, int replicates,
                          uint64_t seed) {
  Aggregate out;
  out.subtasks.resize(scores.size());
  double micro_sum = 0;
  int64_t micro_n = 0;
  double macro_sum = 0;
  int macro_count = 0;
  for (size_t s = 0; s < scores.size(); ++s) {
    double sum = 0;
    for (double x : scores[s]) sum += x;
    Estimate& e = out.subtasks[s];
    e.n = static_cast<int64_t>(scores[s].size());
    e.value = e.n > 0 ? sum / static_cast<double>(e.n) : 0;
    micro_sum += sum;
    micro_n += e.n;
    if (e.n > 0) {
      macro_sum += e.value;
      ++macro_count;
    }
  }
  out.micro.n = out.macro.n = micro_n;
  out.micro.value = micro_n > 0 ? micro_sum / static_cast<double>(micro_n) : 0;
  out.macro.value = macro_count > 0 ? macro_sum / macro_count : 0;

  std::vector<std::vector<double>> sub_reps(scores.size());
  std::vector<double> macro_reps, micro_reps;
  if (replicates > 0 && micro_n > 0) {
    std::mt19937_64 rng(seed);
    for (auto& v : sub_reps) v.reserve(replicates);
    macro_reps.reserve(replicates);
    micro_reps.reserve(replicates);
    for (int r = 0; r < replicates; ++r) {
      double all = 0, macro = 0;
      for (size_t s = 0; s < scores.size(); ++s) {
        const std::vector<double>& v = scores[s];
        if (v.empty()) continue;
        double sum = 0;
        for (size_t i = 0; i < v.size(); ++i) sum += v[UniformBelow(rng, v.size())];
        all += sum;
        double mean = sum / static_cast<double>(v.size());
        macro += mean;
        sub_reps[s].push_back(mean);
      }
      micro_reps.push_back(all / static_cast<double>(micro_n));
      macro_reps.push_back(macro / macro_count);
    }
  }
  for (size_t s = 0; s < scores.size(); ++s) PercentileInterval(sub_reps[s], &out.subtasks[s]);
  PercentileInterval(macro_reps, &out.macro);
  PercentileInterval(micro_reps, &out.micro);
  return out;
}

}  // namespace fathom::driver::run
