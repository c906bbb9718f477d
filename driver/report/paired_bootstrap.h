// The paired bootstrap behind `fathom compare`: the difference B - A of one benchmark's
// headline value between two runs, with a 95% percentile interval and a two-sided p-value
// from resampling the items both runs scored (paired by sub-task and id).
//
// Each replicate redraws, with replacement, every sub-task's pairs from that sub-task (the
// stratification `fathom eval`'s own intervals use) and takes the headline's aggregation:
// the mean over sub-tasks of the per-sub-task mean differences (macro, GPT-Fathom's) or
// the mean over all pairs. Draws come from a 64-bit Mersenne Twister seeded with `seed`,
// reduced without modulo bias (driver/run/stats.h), so a seed gives the same numbers on
// every machine.
//
// p-value: 2 x min(#{replicates <= 0} + 1, #{replicates >= 0} + 1) / (B + 1), at most 1:
// the share of the bootstrap distribution on the far side of zero, both tails, with the +1
// that keeps a finite number of replicates from claiming p = 0. p < 0.05 and "the
// percentile interval excludes 0" agree up to one replicate.
//
// Pure function; thread-safe.
#ifndef FATHOM_DRIVER_REPORT_PAIRED_BOOTSTRAP_H_
#define FATHOM_DRIVER_REPORT_PAIRED_BOOTSTRAP_H_

#include <cstdint>
#include <utility>
#include <vector>

namespace fathom::driver::report {

struct PairedDelta {
  double delta = 0;  // the point estimate: B - A over the pairs, aggregated as asked
  double low = 0;    // 2.5th percentile of the replicates (delta when no replicates)
  double high = 0;   // 97.5th percentile
  double p_value = 1;
  int64_t pairs = 0;
  int replicates = 0;
};

// strata[s]: sub-task s's pairs (A's per-item value, B's per-item value). Empty strata are
// left out of the macro mean. No pairs at all: pairs = 0, everything else 0 / p 1.
PairedDelta PairedBootstrap(const std::vector<std::vector<std::pair<double, double>>>& strata,
                            bool macro, int replicates, uint64_t seed);

}  // namespace fathom::driver::report

#endif  // FATHOM_DRIVER_REPORT_PAIRED_BOOTSTRAP_H_
