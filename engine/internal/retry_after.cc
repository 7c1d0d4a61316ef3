#include "engine/internal/retry_after.h"

#include <algorithm>
#include <cmath>

namespace slotd {

namespace {

constexpr double kUpperClampMultiple = 1.3;

double BlockingSlots(const RetryAfterInput& limit, int64_t slots) {
  double backlog = static_cast<double>(slots) + limit.denied_slots;
  if (limit.slot_decay_per_second > 0) return backlog;
  return backlog / static_cast<double>(limit.limit);
}

}  // namespace

double MeanRetryAfter(std::span<const RetryAfterInput> limits, int64_t slots) {
  if (limits.empty()) return 0;
  const RetryAfterInput* blocking = &limits.front();
  for (const RetryAfterInput& limit : limits) {
    if (BlockingSlots(limit, slots) > BlockingSlots(*blocking, slots)) blocking = &limit;
  }
  double backlog = BlockingSlots(*blocking, slots);
  if (blocking->slot_decay_per_second > 0) {
    // A decay rate near zero (1e-310) would make the wait infinite, and the
    // jitter of an infinite mean nan: Python's asyncio.sleep(nan) never returns.
    return std::min(backlog / blocking->slot_decay_per_second, kMaxRetryAfterSeconds);
  }
  double max_wait = blocking->max_wait_seconds;
  double per_slot = std::min(blocking->avg_slot_occupancy_seconds, max_wait);
  return std::min(per_slot * backlog, max_wait);
}

double RetryAfterLowerClampMultiple() {
  double k = std::pow(2.0, kUpperClampMultiple);
  return std::log2(k / (k - 1.0));
}

double JitteredRetryAfter(double mean, RandomSource& random) {
  if (!(mean > 0)) return 0;
  // Drawn in units of the mean, so no bound divides by it.
  const double lower = RetryAfterLowerClampMultiple();
  const double upper = kUpperClampMultiple;
  auto cdf = [](double x) { return 1.0 - std::exp(-x); };
  const double u = std::clamp(random.Uniform01(), 0.0, 1.0);
  const double p = cdf(lower) + u * (cdf(upper) - cdf(lower));
  const double draw = -std::log(std::max(1.0 - p, 1e-10));
  return mean * std::clamp(draw, lower, upper);
}

}  // namespace slotd
