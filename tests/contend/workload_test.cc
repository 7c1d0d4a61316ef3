#include "workload.h"

#include <catch2/catch.hpp>
#include <set>

namespace slotd::contend::test {
namespace {

WorkerGroup Group(Duration hold, double start_spread_ms = 0) {
  WorkerGroup g;
  g.hold = hold;
  g.pause = {Duration::Kind::kUniform, 1, 9};
  g.start_spread_ms = start_spread_ms;
  return g;
}

std::vector<double> Holds(uint64_t seed, int worker, const WorkerGroup& g, int n) {
  WorkerSchedule schedule(seed, worker, g);
  std::vector<double> holds;
  for (int i = 0; i < n; ++i) holds.push_back(schedule.NextHoldMs());
  return holds;
}

TEST_CASE("One seed gives every worker the same holds, pauses and start in every run") {
  WorkerGroup g = Group({Duration::Kind::kExponential, 50, 0}, 100);
  WorkerSchedule a(42, 3, g), b(42, 3, g);
  CHECK(a.start_offset_ms() == b.start_offset_ms());
  for (int i = 0; i < 100; ++i) {
    CHECK(a.NextHoldMs() == b.NextHoldMs());
    CHECK(a.NextPauseMs() == b.NextPauseMs());
  }
}

TEST_CASE("Holds do not depend on how many pauses were drawn in between") {
  WorkerGroup g = Group({Duration::Kind::kUniform, 10, 90});
  WorkerSchedule a(7, 0, g), b(7, 0, g);
  for (int i = 0; i < 5; ++i) b.NextPauseMs();
  for (int i = 0; i < 20; ++i) CHECK(a.NextHoldMs() == b.NextHoldMs());
}

TEST_CASE("Different workers and different seeds draw different holds") {
  WorkerGroup g = Group({Duration::Kind::kExponential, 50, 0});
  CHECK(Holds(1, 0, g, 10) != Holds(1, 1, g, 10));
  CHECK(Holds(1, 0, g, 10) != Holds(2, 0, g, 10));
}

TEST_CASE("Exponential holds average to their mean") {
  WorkerGroup g = Group({Duration::Kind::kExponential, 50, 0});
  std::vector<double> holds = Holds(9, 0, g, 20000);
  double sum = 0;
  for (double h : holds) {
    CHECK(h >= 0);
    sum += h;
  }
  CHECK(sum / holds.size() == Approx(50).epsilon(0.03));
}

TEST_CASE("Uniform holds stay within their bounds and constant holds never vary") {
  for (double h : Holds(3, 2, Group({Duration::Kind::kUniform, 20, 80}), 1000)) {
    CHECK(h >= 20);
    CHECK(h < 80);
  }
  for (double h : Holds(3, 2, Group({Duration::Kind::kConstant, 25, 0}), 10)) CHECK(h == 25);
}

TEST_CASE("Start offsets lie within the spread and are zero without one") {
  for (int worker = 0; worker < 50; ++worker) {
    double offset = WorkerSchedule(5, worker, Group({}, 100)).start_offset_ms();
    CHECK(offset >= 0);
    CHECK(offset < 100);
  }
  CHECK(WorkerSchedule(5, 1, Group({}, 0)).start_offset_ms() == 0);
}

TEST_CASE("Task run ids are distinct version-4 UUIDs") {
  WorkerGroup g = Group({});
  WorkerSchedule schedule(1, 0, g);
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    std::string id = schedule.NextTaskRunId();
    REQUIRE(id.size() == 36);
    CHECK(id[14] == '4');
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    ids.insert(id);
  }
  CHECK(ids.size() == 100);
}

}  // namespace
}  // namespace slotd::contend::test
