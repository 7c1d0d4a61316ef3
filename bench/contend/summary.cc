#include "summary.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <set>

#include "metrics.h"

namespace slotd::contend {
namespace {

bool InWindow(const AcquisitionRecord& a, double window_s) { return a.acquired_s <= window_s; }

WaitStats Waits(std::vector<double> waits_ms) {
  WaitStats stats;
  std::sort(waits_ms.begin(), waits_ms.end());
  stats.samples = static_cast<int64_t>(waits_ms.size());
  if (waits_ms.empty()) return stats;
  stats.mean_ms = std::accumulate(waits_ms.begin(), waits_ms.end(), 0.0) / waits_ms.size();
  stats.p50_ms = Percentile(waits_ms, 50);
  stats.p90_ms = Percentile(waits_ms, 90);
  stats.p99_ms = Percentile(waits_ms, 99);
  stats.max_ms = waits_ms.back();
  return stats;
}

std::vector<double> WaitsMs(const WorkerRecord& w, double window_s) {
  std::vector<double> waits;
  for (const AcquisitionRecord& a : w.acquisitions) {
    if (InWindow(a, window_s)) waits.push_back((a.acquired_s - a.requested_s) * 1000);
  }
  return waits;
}

LimitSummary SummarizeLimit(const Scenario& s, const RunResult& r, int limit) {
  const LimitSpec& spec = s.limits[limit];
  std::vector<HoldInterval> holds;
  for (const WorkerRecord& w : r.workers) {
    const WorkerGroup& g = s.workers[w.group];
    if (std::find(g.acquire.begin(), g.acquire.end(), spec.name) == g.acquire.end()) continue;
    for (const AcquisitionRecord& a : w.acquisitions) {
      holds.push_back({a.acquired_s, a.released_s, g.slots});
    }
  }
  LimitSummary out;
  out.name = spec.name;
  out.limit = spec.limit;
  out.slot_decay_per_second = spec.slot_decay_per_second;
  out.mean_held = TimeWeightedMeanHeld(holds, 0, r.duration_s);
  out.utilisation = out.mean_held / static_cast<double>(spec.limit);
  out.peak_held = PeakHeld(holds);
  out.held_over_time = HeldPerBucket(holds, 0, r.duration_s, kHeldSlices);
  return out;
}

void SummarizeGroups(const Scenario& s, const RunResult& r, Summary* out) {
  std::vector<std::vector<double>> waits(s.workers.size());
  for (size_t g = 0; g < s.workers.size(); ++g) {
    GroupSummary& group = out->groups.emplace_back();
    group.name = s.workers[g].name;
    group.api = s.workers[g].api;
    group.workers = s.workers[g].count;
  }
  for (const WorkerRecord& w : r.workers) {
    GroupSummary& group = out->groups[w.group];
    std::vector<double> mine = WaitsMs(w, r.duration_s);
    group.acquisitions += static_cast<int64_t>(mine.size());
    group.refusals += w.refusals;
    waits[w.group].insert(waits[w.group].end(), mine.begin(), mine.end());
  }
  for (size_t g = 0; g < s.workers.size(); ++g) out->groups[g].wait = Waits(waits[g]);
}

void SummarizeFairness(const RunResult& r, Summary* out) {
  std::vector<double> per_worker;
  for (const WorkerRecord& w : r.workers) {
    double count = static_cast<double>(WaitsMs(w, r.duration_s).size());
    per_worker.push_back(count);
    if (count == 0) ++out->workers_never_acquired;
    if (w.abandoned_wait_s >= 0) {
      ++out->waits_cut_short;
      out->longest_wait_ms = std::max(out->longest_wait_ms, w.abandoned_wait_s * 1000);
    }
  }
  out->jain_index = JainIndex(per_worker);
  if (!per_worker.empty()) {
    auto [fewest, most] = std::minmax_element(per_worker.begin(), per_worker.end());
    out->fewest_acquisitions = static_cast<int64_t>(*fewest);
    out->most_acquisitions = static_cast<int64_t>(*most);
  }
  out->longest_wait_ms = std::max(out->longest_wait_ms, out->wait.max_ms);
}

ErrorCounts CountErrors(const RunResult& r) {
  ErrorCounts errors;
  std::set<std::string> fatal;
  for (const WorkerRecord& w : r.workers) {
    errors.transient += w.transient_errors;
    errors.missing_retry_after += w.missing_retry_after;
    errors.release_failures += w.release_failures;
    if (!w.fatal.empty()) fatal.insert(w.fatal);
  }
  errors.fatal.assign(fatal.begin(), fatal.end());
  return errors;
}

}  // namespace

bool ErrorCounts::any() const {
  return transient || missing_retry_after || release_failures || !fatal.empty();
}

Summary Summarize(const Scenario& s, const RunResult& r, const std::string& server) {
  Summary out;
  out.scenario_name = s.name;
  out.seed = s.seed;
  out.server = server;
  out.window_s = r.duration_s;
  out.workers = static_cast<int>(r.workers.size());
  for (const WorkerRecord& w : r.workers) {
    std::vector<double> mine = WaitsMs(w, r.duration_s);
    out.waits_ms.insert(out.waits_ms.end(), mine.begin(), mine.end());
    out.refusals += w.refusals;
  }
  out.wait = Waits(out.waits_ms);
  std::sort(out.waits_ms.begin(), out.waits_ms.end());
  out.acquisitions = out.wait.samples;
  out.acquisitions_per_second = out.acquisitions / r.duration_s;
  // Refusals without a single acquisition make the ratio infinite (JSON null).
  out.refusals_per_acquisition = out.acquisitions > 0
                                     ? static_cast<double>(out.refusals) / out.acquisitions
                                 : out.refusals > 0 ? std::numeric_limits<double>::infinity()
                                                    : 0;
  SummarizeFairness(r, &out);
  for (size_t i = 0; i < s.limits.size(); ++i) out.limits.push_back(SummarizeLimit(s, r, i));
  SummarizeGroups(s, r, &out);
  out.errors = CountErrors(r);
  out.breach_count = r.breach_count;
  out.breaches = r.breaches;
  out.cleanup_error = r.cleanup_error;
  return out;
}

}  // namespace slotd::contend
