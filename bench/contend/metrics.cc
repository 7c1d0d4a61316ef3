#include "metrics.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace slotd::contend {

double TimeWeightedMeanHeld(std::span<const HoldInterval> holds, double from, double to) {
  if (!(to > from)) return 0;
  double slot_seconds = 0;
  for (const HoldInterval& h : holds) {
    double overlap = std::min(h.end_s, to) - std::max(h.start_s, from);
    if (overlap > 0) slot_seconds += overlap * static_cast<double>(h.slots);
  }
  return slot_seconds / (to - from);
}

std::vector<double> HeldPerBucket(std::span<const HoldInterval> holds, double from, double to,
                                  int buckets) {
  std::vector<double> held(std::max(buckets, 0), 0.0);
  if (buckets <= 0 || !(to > from)) return held;
  double width = (to - from) / buckets;
  for (const HoldInterval& h : holds) {
    double start = std::max(h.start_s, from);
    double end = std::min(h.end_s, to);
    if (!(end > start)) continue;
    int first = std::clamp(static_cast<int>((start - from) / width), 0, buckets - 1);
    int last = std::clamp(static_cast<int>((end - from) / width), 0, buckets - 1);
    for (int b = first; b <= last; ++b) {
      double lo = from + b * width;
      double overlap = std::min(end, lo + width) - std::max(start, lo);
      if (overlap > 0) held[b] += overlap * static_cast<double>(h.slots) / width;
    }
  }
  return held;
}

int64_t PeakHeld(std::span<const HoldInterval> holds) {
  std::vector<std::pair<double, int64_t>> steps;
  steps.reserve(holds.size() * 2);
  for (const HoldInterval& h : holds) {
    if (!(h.end_s > h.start_s)) continue;
    steps.emplace_back(h.start_s, h.slots);
    steps.emplace_back(h.end_s, -h.slots);
  }
  // At equal times the release (negative step) sorts first: no overlap.
  std::sort(steps.begin(), steps.end());
  int64_t held = 0, peak = 0;
  for (const auto& [time, delta] : steps) {
    held += delta;
    peak = std::max(peak, held);
  }
  return peak;
}

double Percentile(std::span<const double> sorted, double q) {
  if (sorted.empty()) return 0;
  double rank = std::ceil(q / 100.0 * static_cast<double>(sorted.size()));
  size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

double JainIndex(std::span<const double> values) {
  double sum = 0, sum_squares = 0;
  for (double x : values) {
    sum += x;
    sum_squares += x * x;
  }
  if (values.empty() || sum_squares == 0) return 1;
  return sum * sum / (static_cast<double>(values.size()) * sum_squares);
}

Histogram LogHistogram(std::span<const double> values, int bins_per_decade, double floor) {
  Histogram h;
  if (values.empty() || bins_per_decade < 1 || !(floor > 0)) return h;
  auto [min_it, max_it] = std::minmax_element(values.begin(), values.end());
  double lo_decade = std::floor(std::log10(std::max(*min_it, floor)));
  double hi_decade = std::floor(std::log10(std::max(*max_it, floor))) + 1;
  int bins = static_cast<int>(hi_decade - lo_decade) * bins_per_decade;
  for (int i = 0; i <= bins; ++i) {
    h.edges.push_back(std::pow(10.0, lo_decade + static_cast<double>(i) / bins_per_decade));
  }
  h.counts.assign(bins, 0);
  for (double v : values) {
    double position = (std::log10(std::max(v, floor)) - lo_decade) * bins_per_decade;
    h.counts[std::clamp(static_cast<int>(position), 0, bins - 1)]++;
  }
  return h;
}

}  // namespace slotd::contend
