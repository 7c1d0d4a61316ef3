// The arithmetic of the report, free of HTTP and threads so that it can be
// checked against numbers worked out by hand.
//
// Times are seconds on one clock; a hold is the span during which the tool
// believed a worker held slots: from the moment the server's 200 arrived to
// the moment the release was about to be sent.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace slotd::contend {

struct HoldInterval {
  double start_s = 0;
  double end_s = 0;
  int64_t slots = 1;
};

// The time-weighted mean of slots held over [from, to]: the integral of
// sum_i slots_i * [start_i <= t < end_i] over the window, divided by its
// length. Holds are clipped to the window. 0 for an empty window.
double TimeWeightedMeanHeld(std::span<const HoldInterval> holds, double from, double to);

// The same mean over each of `buckets` equal slices of [from, to]: the
// "held slots over time" curve. Its average is TimeWeightedMeanHeld.
std::vector<double> HeldPerBucket(std::span<const HoldInterval> holds, double from, double to,
                                  int buckets);

// The most slots held at one instant. A hold ending at t and another
// starting at t do not overlap.
int64_t PeakHeld(std::span<const HoldInterval> holds);

// The nearest-rank percentile (q in 0..100) of ascending `sorted`: the
// smallest value with at least q% of the values at or below it. q = 100 is
// the maximum. 0 for an empty list.
double Percentile(std::span<const double> sorted, double q);

// Jain's fairness index (sum x)^2 / (n * sum x^2): 1 when every x is equal,
// 1/n when one x has everything. 1 for an empty or all-zero list (all equal).
double JainIndex(std::span<const double> values);

// Counts of `values` in log-spaced bins (`bins_per_decade` per power of ten),
// from the decade below the smallest value to the decade above the largest.
// Values below `floor` count as `floor` (a wait of 0 has no logarithm).
struct Histogram {
  std::vector<double> edges;    // counts.size() + 1 ascending bin edges
  std::vector<int64_t> counts;  // values in [edges[i], edges[i + 1])
};
Histogram LogHistogram(std::span<const double> values, int bins_per_decade, double floor);

}  // namespace slotd::contend
