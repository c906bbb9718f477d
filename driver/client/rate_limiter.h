// A token bucket for --rpm and --tpm: holds up to `capacity` and refills continuously at
// `per_ms`, so a run may burst up to the capacity and then proceeds at the rate.
//
// Thread safety: none; the client's run loop owns its buckets.
#ifndef FATHOM_DRIVER_CLIENT_RATE_LIMITER_H_
#define FATHOM_DRIVER_CLIENT_RATE_LIMITER_H_

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>

namespace fathom::driver::client {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket() = default;
  // Starts full.
  TokenBucket(double capacity, double per_ms) : capacity_(capacity), per_ms_(per_ms), level_(capacity) {}

  // Milliseconds until `cost` can be taken (0: now). A cost above the capacity waits for
  // a full bucket only, or it would never go.
  int64_t WaitMs(double cost, Clock::time_point now) {
    Refill(now);
    double need = std::min(cost, capacity_);
    if (level_ >= need) return 0;
    return static_cast<int64_t>(std::ceil((need - level_) / per_ms_));
  }
  // Takes `cost` (the level may go below zero for a cost above the capacity).
  void Take(double cost, Clock::time_point now) {
    Refill(now);
    level_ -= cost;
  }
  double level() const { return level_; }

 private:
  void Refill(Clock::time_point now) {
    if (last_ != Clock::time_point{}) {
      double ms = std::chrono::duration<double, std::milli>(now - last_).count();
      level_ = std::min(capacity_, level_ + ms * per_ms_);
    }
    last_ = now;
  }

  double capacity_ = 0;
  double per_ms_ = 0;
  double level_ = 0;
  Clock::time_point last_{};
};

}  // namespace fathom::driver::client

#endif  // FATHOM_DRIVER_CLIENT_RATE_LIMITER_H_
