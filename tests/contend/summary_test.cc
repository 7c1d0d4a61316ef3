#include "summary.h"

#include <catch2/catch.hpp>

namespace slotd::contend::test {
namespace {

// Two workers on one limit of 2 in a 10 s window, with records worked out by
// hand: worker 0 acquired three times, worker 1 once and was still waiting
// at the end.
struct HandMadeRun {
  Scenario scenario;
  RunResult result;

  HandMadeRun() {
    scenario.name = "hand-made";
    scenario.limits = {{"tag:db", 2, 0}};
    WorkerGroup g;
    g.count = 2;
    g.api = Api::kV1Tag;
    g.acquire = {"tag:db"};
    scenario.workers = {g};
    result.duration_s = 10;
    WorkerRecord w0;
    w0.acquisitions = {{0.0, 0.001, 2.001, 0}, {2.0, 2.003, 4.003, 0}, {4.0, 6.0, 8.0, 3}};
    w0.refusals = 3;
    WorkerRecord w1;
    w1.acquisitions = {{0.0, 0.002, 9.0, 0}, {9.0, 10.5, 11.0, 1}};  // the second ends outside
    w1.refusals = 2;
    w1.abandoned_wait_s = 0.2;
    result.workers = {w0, w1};
  }
};

TEST_CASE("Only acquisitions inside the window count towards rate and waits") {
  HandMadeRun run;
  Summary s = Summarize(run.scenario, run.result, "http://x/api");
  CHECK(s.acquisitions == 4);
  CHECK(s.acquisitions_per_second == Approx(0.4));
  CHECK(s.refusals == 5);
  CHECK(s.refusals_per_acquisition == Approx(1.25));
  // Waits: 1, 3, 2000, 2 ms.
  CHECK(s.wait.p50_ms == Approx(2));
  CHECK(s.wait.max_ms == Approx(2000));
  CHECK(s.wait.mean_ms == Approx((1 + 3 + 2000 + 2) / 4.0));
  REQUIRE(s.waits_ms.size() == 4);
  CHECK(s.waits_ms[0] == Approx(1));
  CHECK(s.waits_ms[3] == Approx(2000));
}

TEST_CASE("Utilisation is the time-weighted mean held over the limit") {
  HandMadeRun run;
  Summary s = Summarize(run.scenario, run.result, "http://x/api");
  REQUIRE(s.limits.size() == 1);
  // Worker 0 holds 2 + 2 + 2 s, worker 1 holds 8.998 s; the hold acquired
  // after the end adds nothing.
  double mean = (6.0 + 8.998) / 10;
  CHECK(s.limits[0].mean_held == Approx(mean));
  CHECK(s.limits[0].utilisation == Approx(mean / 2));
  CHECK(s.limits[0].peak_held == 2);
  CHECK(s.limits[0].held_over_time.size() == static_cast<size_t>(kHeldSlices));
}

TEST_CASE("Fairness compares acquisitions per worker and counts unfinished waits") {
  HandMadeRun run;
  Summary s = Summarize(run.scenario, run.result, "http://x/api");
  // Counts 3 and 1: (4^2) / (2 * 10).
  CHECK(s.jain_index == Approx(0.8));
  CHECK(s.fewest_acquisitions == 1);
  CHECK(s.most_acquisitions == 3);
  CHECK(s.workers_never_acquired == 0);
  CHECK(s.waits_cut_short == 1);
  CHECK(s.longest_wait_ms == Approx(2000));
}

TEST_CASE("A wait cut short by the end can be the longest wait") {
  HandMadeRun run;
  run.result.workers[1].abandoned_wait_s = 7.5;
  Summary s = Summarize(run.scenario, run.result, "http://x/api");
  CHECK(s.longest_wait_ms == Approx(7500));
}

TEST_CASE("Refusals with no acquisition at all make an infinite ratio") {
  HandMadeRun run;
  for (WorkerRecord& w : run.result.workers) w.acquisitions.clear();
  Summary s = Summarize(run.scenario, run.result, "http://x/api");
  CHECK(s.acquisitions == 0);
  CHECK(std::isinf(s.refusals_per_acquisition));
  CHECK(s.workers_never_acquired == 2);
  CHECK(s.jain_index == 1);
}

TEST_CASE("Worker errors are totalled and fatal reasons listed once") {
  HandMadeRun run;
  run.result.workers[0].transient_errors = 2;
  run.result.workers[0].fatal = "422 bad";
  run.result.workers[1].fatal = "422 bad";
  run.result.workers[1].release_failures = 1;
  Summary s = Summarize(run.scenario, run.result, "http://x/api");
  CHECK(s.errors.transient == 2);
  CHECK(s.errors.release_failures == 1);
  CHECK(s.errors.fatal == std::vector<std::string>{"422 bad"});
  CHECK(s.errors.any());
}

}  // namespace
}  // namespace slotd::contend::test
