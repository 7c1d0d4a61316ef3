// The numbers a run comes down to, computed from what the workers recorded
// (metrics.h does the arithmetic). Only acquisitions whose 200 arrived
// inside the window [0, duration] count; holds are clipped to the window.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "run.h"
#include "scenario.h"

namespace slotd::contend {

// Time from a worker's first attempt to its 200, in milliseconds.
struct WaitStats {
  int64_t samples = 0;
  double mean_ms = 0, p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
};

struct LimitSummary {
  std::string name;
  int64_t limit = 0;
  double slot_decay_per_second = 0;
  double mean_held = 0;    // time-weighted mean of slots held
  double utilisation = 0;  // mean_held / limit
  int64_t peak_held = 0;
  std::vector<double> held_over_time;  // mean held per slice of the window (for the plot)
};

struct GroupSummary {
  std::string name;
  Api api = Api::kV2Lease;
  int workers = 0;
  int64_t acquisitions = 0;
  int64_t refusals = 0;
  WaitStats wait;
};

struct ErrorCounts {
  int64_t transient = 0;            // no answer or 5xx to an acquire (retried)
  int64_t missing_retry_after = 0;  // 423 without a usable Retry-After
  int64_t release_failures = 0;     // releases never accepted
  std::vector<std::string> fatal;   // distinct reasons workers stopped early
  bool any() const;
};

struct Summary {
  std::string scenario_name;
  uint64_t seed = 0;
  std::string server;  // the URL run against
  double window_s = 0;
  int workers = 0;

  int64_t acquisitions = 0;
  double acquisitions_per_second = 0;
  WaitStats wait;
  int64_t refusals = 0;  // every 423, including those of waits the run's end cut short
  double refusals_per_acquisition = 0;

  double jain_index = 1;            // over acquisitions per worker
  double longest_wait_ms = 0;       // including waits still going at the end
  int64_t fewest_acquisitions = 0;  // by any one worker
  int64_t most_acquisitions = 0;
  int workers_never_acquired = 0;
  int waits_cut_short = 0;  // workers still waiting when the run ended

  std::vector<LimitSummary> limits;
  std::vector<GroupSummary> groups;
  ErrorCounts errors;
  int64_t breach_count = 0;
  std::vector<Breach> breaches;
  std::string cleanup_error;

  std::vector<double> waits_ms;  // every counted wait, ascending (for the plot)
};

// How many slices of the window the held-over-time curves have.
inline constexpr int kHeldSlices = 1000;

Summary Summarize(const Scenario& scenario, const RunResult& result, const std::string& server);

}  // namespace slotd::contend
