#include "metrics.h"

#include <catch2/catch.hpp>
#include <numeric>

namespace slotd::contend::test {
namespace {

TEST_CASE("A hold spanning the whole window counts its slots for the whole window") {
  std::vector<HoldInterval> holds = {{0, 10, 3}};
  CHECK(TimeWeightedMeanHeld(holds, 0, 10) == Approx(3));
}

TEST_CASE("Holds are weighted by how long they last") {
  // 2 slots for 2 s, then 1 slot for 4 s, in a 10 s window: (4 + 4) / 10.
  std::vector<HoldInterval> holds = {{0, 2, 2}, {3, 7, 1}};
  CHECK(TimeWeightedMeanHeld(holds, 0, 10) == Approx(0.8));
}

TEST_CASE("Holds are clipped to the window") {
  std::vector<HoldInterval> holds = {{-5, 1, 1}, {9, 20, 1}, {11, 12, 1}};
  CHECK(TimeWeightedMeanHeld(holds, 0, 10) == Approx(0.2));
}

TEST_CASE("An empty window has a mean of zero") {
  std::vector<HoldInterval> holds = {{0, 1, 1}};
  CHECK(TimeWeightedMeanHeld(holds, 5, 5) == 0);
}

TEST_CASE("The held-over-time curve averages to the time-weighted mean") {
  std::vector<HoldInterval> holds = {{0.05, 0.37, 1}, {0.2, 0.9, 2}, {0.6, 1.4, 1}};
  std::vector<double> curve = HeldPerBucket(holds, 0, 1, 7);
  REQUIRE(curve.size() == 7);
  double average = std::accumulate(curve.begin(), curve.end(), 0.0) / 7;
  CHECK(average == Approx(TimeWeightedMeanHeld(holds, 0, 1)));
}

TEST_CASE("A hold filling one slice shows as exactly its slots in that slice") {
  std::vector<HoldInterval> holds = {{0.25, 0.5, 4}};
  std::vector<double> curve = HeldPerBucket(holds, 0, 1, 4);
  CHECK(curve == std::vector<double>{0, 4, 0, 0});
}

TEST_CASE("The peak counts overlapping holds but not back-to-back ones") {
  CHECK(PeakHeld(std::vector<HoldInterval>{{0, 1, 1}, {1, 2, 1}, {2, 3, 1}}) == 1);
  CHECK(PeakHeld(std::vector<HoldInterval>{{0, 2, 1}, {1, 3, 2}, {1.5, 1.6, 1}}) == 4);
  CHECK(PeakHeld(std::vector<HoldInterval>{}) == 0);
}

TEST_CASE("Nearest-rank percentiles pick values from the list") {
  std::vector<double> values(100);
  std::iota(values.begin(), values.end(), 1.0);  // 1..100
  CHECK(Percentile(values, 50) == 50);
  CHECK(Percentile(values, 90) == 90);
  CHECK(Percentile(values, 99) == 99);
  CHECK(Percentile(values, 100) == 100);
  CHECK(Percentile(values, 0) == 1);
  std::vector<double> three = {10, 20, 30};
  CHECK(Percentile(three, 50) == 20);
  CHECK(Percentile(three, 99) == 30);
  CHECK(Percentile(std::vector<double>{}, 50) == 0);
}

TEST_CASE("Jain's index is 1 for equal shares and 1/n when one worker takes everything") {
  CHECK(JainIndex(std::vector<double>{5, 5, 5, 5}) == Approx(1));
  CHECK(JainIndex(std::vector<double>{8, 0, 0, 0}) == Approx(0.25));
  // (1+2+3)^2 / (3 * (1+4+9)) = 36 / 42.
  CHECK(JainIndex(std::vector<double>{1, 2, 3}) == Approx(36.0 / 42.0));
  CHECK(JainIndex(std::vector<double>{0, 0}) == 1);
}

TEST_CASE("The log histogram puts every value in a bin between decade edges") {
  std::vector<double> values = {0.5, 3, 3, 40, 999};
  Histogram h = LogHistogram(values, 2, 0.01);
  REQUIRE(h.edges.size() == h.counts.size() + 1);
  CHECK(h.edges.front() == Approx(0.1));
  CHECK(h.edges.back() == Approx(1000));
  CHECK(std::accumulate(h.counts.begin(), h.counts.end(), int64_t{0}) == 5);
  // 3 falls in [1, 3.16), 40 in [31.6, 100).
  CHECK(h.counts[2] == 2);
  CHECK(h.counts[5] == 1);
}

TEST_CASE("The log histogram counts a zero wait at its floor") {
  Histogram h = LogHistogram(std::vector<double>{0, 0.02}, 1, 0.01);
  CHECK(h.edges.front() == Approx(0.01));
  CHECK(h.counts == std::vector<int64_t>{2});
}

}  // namespace
}  // namespace slotd::contend::test
