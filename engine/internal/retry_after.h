// The Retry-After value of a refused v2 acquisition (spec: "Retry-After on a
// v2 423"). Internal to the engine.
#pragma once

#include <cstdint>
#include <span>

#include "engine/random_source.h"

namespace slotd {

// What the computation needs of one active named limit, read before the
// refusal's denial is added.
struct RetryAfterInput {
  int64_t limit = 0;        // > 0 (a limit below `slots` was already refused)
  double denied_slots = 0;  // after decay
  double slot_decay_per_second = 0;
  double avg_slot_occupancy_seconds = 2.0;
  double max_wait_seconds = 30;
};

// The longest mean wait answered (about 31.7 years): what a decay rate so
// small that the wait would overflow to infinity gets instead.
inline constexpr double kMaxRetryAfterSeconds = 1e9;

// The mean wait: picks the blocking limit (largest slots + denied if it
// decays, else (slots + denied) / limit) and converts its backlog to seconds.
double MeanRetryAfter(std::span<const RetryAfterInput> limits, int64_t slots);

// Lower clamp multiple c = log2(2^1.3 / (2^1.3 - 1)).
double RetryAfterLowerClampMultiple();

// A jittered draw around `mean`: an exponential variate of mean `mean`
// truncated to [mean * c, mean * 1.3] by inverse-CDF sampling between the two
// bounds' CDF values (as Prefect's clamped_poisson_interval), so its average stays
// near `mean` and waiting clients do not retry in lock-step. One Uniform01()
// draw u maps monotonically: u = 0 gives the lower bound, u -> 1 the upper.
double JitteredRetryAfter(double mean, RandomSource& random);

}  // namespace slotd
