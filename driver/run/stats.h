// Aggregation and confidence intervals for `fathom eval`'s report: per sub-task means,
// the macro average over sub-tasks (GPT-Fathom's) and the micro average over items, each
// with a 95% percentile bootstrap interval over items.
//
// The bootstrap is stratified by sub-task (each replicate redraws every sub-task's items
// from that sub-task, with replacement), so one set of replicates gives the sub-task, macro
// and micro intervals together. Draws come from a 64-bit Mersenne Twister seeded with
// `seed` and reduced without modulo bias, so the result is the same on every platform.
//
// Pure functions; thread-safe.
#ifndef FATHOM_DRIVER_RUN_STATS_H_
#define FATHOM_DRIVER_RUN_STATS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace fathom::driver::run {

struct Estimate {
  double value = 0;
  double ci_low = 0;   // 2.5th percentile of the replicates (value when no bootstrap)
  double ci_high = 0;  // 97.5th percentile
  int64_t n = 0;       // items
};

struct Aggregate {
  std::vector<Estimate> subtasks;  // in the order given
  Estimate macro;                  // mean of the sub-task means
  Estimate micro;                  // mean over all items
};

// `scores[s]` holds sub-task s's per-item values (sub-tasks without items are left out of
// the macro mean). `replicates` 0: no bootstrap (intervals equal the value).
Aggregate AggregateScores(const std::vector<std::vector<double>>& scores, int replicates,
                          uint64_t seed);

// Sets e->ci_low / e->ci_high to the 95% percentile interval of the replicates `v` (sorted
// in place): the replicates at ranks floor(0.025 B) and ceil(0.975 B) - 1. No replicates:
// both equal e->value.
void PercentileInterval(std::vector<double>& v, Estimate* e);

// A uniform integer in [0, n) from `rng` (Lemire's method with rejection). REQUIRES n > 0.
template <typename Rng>
uint64_t UniformBelow(Rng& rng, uint64_t n) {
  while (true) {
    unsigned __int128 m = static_cast<unsigned __int128>(rng()) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low >= n || low >= (-n) % n) return static_cast<uint64_t>(m >> 64);
  }
}

}  // namespace fathom::driver::run

#endif  // FATHOM_DRIVER_RUN_STATS_H_
