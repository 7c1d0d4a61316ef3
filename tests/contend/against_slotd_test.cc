// Scenarios whose answers are known, run against a real slotd: they check
// the tool's arithmetic end to end, and that slotd shows no invariant breach.
#include <catch2/catch.hpp>

#include "run_support.h"
#include "slotd_launcher.h"

#ifdef SLOTD_BINARY

namespace slotd::contend::test {
namespace {

struct Slotd {
  LocalSlotd server;
  Slotd() { REQUIRE(server.Start(SLOTD_BINARY) == ""); }
  ~Slotd() { CHECK(server.Stop() == ""); }
  std::string url() const { return server.url(); }
};

void CheckClean(const Summary& s) {
  CHECK(s.breach_count == 0);
  CHECK_FALSE(s.errors.any());
  for (const Breach& b : s.breaches) FAIL_CHECK(b.detail);
  for (const std::string& reason : s.errors.fatal) FAIL_CHECK(reason);
}

TEST_CASE("One worker on a limit of 1 with a constant hold keeps it busy and is never refused",
          "[slotd]") {
  Slotd slotd;
  constexpr double kHoldS = 0.1, kRunS = 1.0;
  for (Api api : {Api::kV1Tag, Api::kV2Lease, Api::kV2Increment}) {
    INFO(ApiName(api));
    Scenario s =
        ShortScenario({{"tag:solo", 1, 0}}, {Workers(1, api, {"tag:solo"}, kHoldS * 1000)}, kRunS);
    Summary summary = RunAndSummarize(s, slotd.url(), false);
    CheckClean(summary);
    CHECK(summary.refusals == 0);
    CHECK(summary.limits[0].peak_held == 1);
    // Back-to-back holds: utilisation is 1 less the round trips between them.
    double utilisation = summary.limits[0].utilisation;
    CHECK(utilisation > 0.9);
    CHECK(utilisation <= 1.0);
    // Every hold lasts at least kHoldS, the last one perhaps cut by the end.
    CHECK(summary.acquisitions <= kRunS / kHoldS + 1);
    CHECK(utilisation * kRunS >= (summary.acquisitions - 1) * kHoldS);
    CHECK(summary.wait.max_ms < kHoldS * 1000);
    CHECK(summary.jain_index == 1);
  }
}

TEST_CASE("N workers on a limit of N are never refused and share it equally", "[slotd]") {
  Slotd slotd;
  WorkerGroup g = Workers(8, Api::kV2Lease, {"pool"}, 0);
  g.hold = {Duration::Kind::kUniform, 20, 40};
  Scenario s = ShortScenario({{"pool", 8, 0}}, {g}, 1.0);
  Summary summary = RunAndSummarize(s, slotd.url(), true);
  CheckClean(summary);
  CHECK(summary.refusals == 0);
  CHECK(summary.limits[0].peak_held <= 8);
  CHECK(summary.limits[0].utilisation > 0.75);
  CHECK(summary.jain_index > 0.95);
  CHECK(summary.workers_never_acquired == 0);
}

TEST_CASE("A herd asking Prefer: wait is queued by slotd: never refused, shared fairly",
          "[slotd]") {
  Slotd slotd;
  // Every API at once on one limit of 2, each worker asking to wait.
  std::vector<WorkerGroup> groups = {
      Workers(4, Api::kV1Tag, {"tag:q"}, 10),
      Workers(4, Api::kV2Lease, {"tag:q"}, 10),
      Workers(4, Api::kV2Increment, {"tag:q"}, 10),
  };
  for (WorkerGroup& g : groups) g.prefer_wait_s = 30;
  Scenario s = ShortScenario({{"tag:q", 2, 0}}, groups, 1.5);
  Summary summary = RunAndSummarize(s, slotd.url(), true);
  CheckClean(summary);
  CHECK(summary.refusals == 0);
  CHECK(summary.limits[0].peak_held == 2);
  CHECK(summary.limits[0].utilisation > 0.8);
  CHECK(summary.workers_never_acquired == 0);
  CHECK(summary.jain_index > 0.9);
}

TEST_CASE("A herd on overlapping limits is refused but slotd never breaks a limit", "[slotd]") {
  Slotd slotd;
  // Each group needs two of the three limits at once, each through another API.
  std::vector<WorkerGroup> groups = {
      Workers(8, Api::kV1Tag, {"tag:a", "tag:b"}, 10),
      Workers(8, Api::kV2Lease, {"tag:b", "tag:c"}, 10),
      Workers(8, Api::kV2Increment, {"tag:a", "tag:c"}, 10),
  };
  Scenario s = ShortScenario({{"tag:a", 2, 0}, {"tag:b", 3, 0}, {"tag:c", 2, 0}}, groups, 1.5);
  Summary summary = RunAndSummarize(s, slotd.url(), true);
  CheckClean(summary);
  CHECK(summary.refusals > 0);
  CHECK(summary.acquisitions > 50);
  for (const LimitSummary& l : summary.limits) {
    INFO(l.name);
    CHECK(l.peak_held <= l.limit);
    CHECK(l.utilisation > 0.3);
  }
}

}  // namespace
}  // namespace slotd::contend::test

#endif  // SLOTD_BINARY
