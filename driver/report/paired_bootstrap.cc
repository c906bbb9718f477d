// The paired, stratified percentile bootstrap (see paired_bootstrap.h).
#include "driver/report/paired_bootstrap.h"

#include <algorithm>
#include <random>

#include "driver/run/stats.h"

namespace fathom::driver::report {

PairedDelta PairedBootstrap(const std::vector<std::vector<std::pair<double, double>>>& strata,
                            bool macro, int replicates, uint64_t seed) {
  PairedDelta out;
  // Per-pair differences: a mean of differences is the difference of the means.
  std::vector<std::vector<double>> diffs;
  double total = 0, macro_sum = 0;
  for (const auto& s : strata) {
    if (s.empty()) continue;
    std::vector<double> d;
    d.reserve(s.size());
    double sum = 0;
    for (const auto& [a, b] : s) {
      d.push_back(b - a);
      sum += b - a;
    }
    total += sum;
    macro_sum += sum / static_cast<double>(d.size());
    out.pairs += static_cast<int64_t>(d.size());
    diffs.push_back(std::move(d));
  }
  if (out.pairs == 0) return out;
  const double strata_count = static_cast<double>(diffs.size());
  out.delta = macro ? macro_sum / strata_count : total / static_cast<double>(out.pairs);
  out.low = out.high = out.delta;
  if (replicates <= 0) return out;
  out.replicates = replicates;
  std::mt19937_64 rng(seed);
  std::vector<double> reps;
  reps.reserve(static_cast<size_t>(replicates));
  int64_t at_or_below = 0, at_or_above = 0;
  for (int r = 0; r < replicates; ++r) {
    double all = 0, means = 0;
    for (const std::vector<double>& d : diffs) {
      double sum = 0;
      for (size_t i = 0; i < d.size(); ++i) sum += d[run::UniformBelow(rng, d.size())];
      all += sum;
      means += sum / static_cast<double>(d.size());
    }
    const double v = macro ? means / strata_count : all / static_cast<double>(out.pairs);
    at_or_below += v <= 0 ? 1 : 0;
    at_or_above += v >= 0 ? 1 : 0;
    reps.push_back(v);
  }
  run::Estimate e;
  e.value = out.delta;
  run::PercentileInterval(reps, &e);
  out.low = e.ci_low;
  out.high = e.ci_high;
  const double tail = static_cast<double>(std::min(at_or_below, at_or_above) + 1);
  out.p_value = std::min(1.0, 2 * tail / static_cast<double>(replicates + 1));
  return out;
}

}  // namespace fathom::driver::report
