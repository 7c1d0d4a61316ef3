// v2 Acquire and Release: the spec's "Acquiring" steps and the occupancy
// average. (Retry-After has its own file.)
#include "tests/engine/engine_test_support.h"

namespace slotd::test {
namespace {

TEST_CASE("acquiring takes the slots on every named limit and lists them", "[acquire]") {
  TestEngine t;
  t.Create("a", 3);
  t.Create("b", 5);
  t.Advance(1);
  AcquireOutcome out;
  REQUIRE(t.Acquire({"a", "b"}, 2, &out) == Status::kOk);
  CHECK(NamesOf(out.limits) == std::vector<std::string>{"a", "b"});
  CHECK(out.limits[0].id == t.Read("a").id);
  CHECK(out.limits[0].limit == 3);
  CHECK(out.limits[1].limit == 5);
  CHECK(t.Active("a") == 2);
  CHECK(t.Active("b") == 2);
  CHECK(t.Read("a").updated == t.Now());
}

TEST_CASE("acquiring up to the limit succeeds and one slot more is Locked", "[acquire]") {
  TestEngine t;
  t.Create("a", 3);
  CHECK(t.Acquire({"a"}, 2) == Status::kOk);
  CHECK(t.Acquire({"a"}, 1) == Status::kOk);
  CHECK(t.Acquire({"a"}, 1) == Status::kLocked);
  CHECK(t.Active("a") == 3);
}

TEST_CASE("acquiring over several limits is all-or-nothing", "[acquire]") {
  TestEngine t;
  t.Create("a", 5);
  t.Create("b", 1, 0, true, /*active_slots=*/1);
  CHECK(t.Acquire({"a", "b"}, 1) == Status::kLocked);
  CHECK(t.Active("a") == 0);
  CHECK(t.Active("b") == 1);
}

TEST_CASE("the outcome lists every existing named limit in request order, unknown names ignored",
          "[acquire]") {
  TestEngine t;
  t.Create("a", 5);
  t.Create("b", 5, 0, /*active=*/false);
  t.Create("c", 5);
  AcquireOutcome out;
  REQUIRE(t.Acquire({"c", "ghost", "b", "a"}, 1, &out) == Status::kOk);
  CHECK(NamesOf(out.limits) == std::vector<std::string>{"c", "b", "a"});
}

TEST_CASE("acquiring only unknown names succeeds with an empty list", "[acquire]") {
  TestEngine t;
  AcquireOutcome out;
  CHECK(t.Acquire({"ghost", "phantom"}, 1, &out) == Status::kOk);
  CHECK(out.limits.empty());
}

TEST_CASE("an inactive limit is listed but takes no slots and never blocks", "[acquire]") {
  TestEngine t;
  t.Create("a", 5);
  // Full, and smaller than the request: both would refuse if it were active.
  t.Create("off", 1, 0, /*active=*/false, /*active_slots=*/1);
  AcquireOutcome out;
  REQUIRE(t.Acquire({"a", "off"}, 2, &out) == Status::kOk);
  CHECK(NamesOf(out.limits) == std::vector<std::string>{"a", "off"});
  CHECK(t.Active("a") == 2);
  CHECK(t.Active("off") == 1);
}

TEST_CASE("an acquisition over many limits, with repeats, is all-or-nothing too", "[acquire]") {
  TestEngine t;
  std::vector<std::string> names;
  for (int i = 0; i < 24; ++i) names.push_back("limit-" + std::to_string(i));
  for (const std::string& name : names) t.Create(name, 2);
  std::vector<std::string_view> request(names.begin(), names.end());
  request.insert(request.end(), names.begin(), names.end());  // each named twice
  AcquireRequest acquire;
  acquire.names = request;
  AcquireOutcome out;
  REQUIRE(t.engine().Acquire(acquire, &out) == Status::kOk);
  CHECK(out.limits.size() == names.size());
  for (const std::string& name : names) CHECK(t.Active(name) == 1);

  t.Create("full", 1, 0, true, 1);
  request.push_back("full");
  acquire.names = request;
  CHECK(t.engine().Acquire(acquire, &out) == Status::kLocked);
  for (const std::string& name : names) CHECK(t.Active(name) == 1);

  std::vector<LimitRef> released;
  ReleaseRequest release;
  release.names = request;
  REQUIRE(t.engine().Release(release, &released) == Status::kOk);
  CHECK(released.size() == names.size() + 1);
  for (const std::string& name : names) CHECK(t.Active(name) == 0);
}

TEST_CASE("a name given twice in one request counts once", "[acquire]") {
  TestEngine t;
  t.Create("a", 2);
  AcquireOutcome out;
  REQUIRE(t.Acquire({"a", "a"}, 2, &out) == Status::kOk);
  CHECK(t.Active("a") == 2);
  CHECK(NamesOf(out.limits) == std::vector<std::string>{"a"});
  REQUIRE(t.Release({"a", "a"}, 1) == Status::kOk);
  CHECK(t.Active("a") == 1);
}

TEST_CASE("acquiring more slots than a limit holds is refused with SlotsExceedLimit", "[acquire]") {
  TestEngine t;
  t.Create("a", 5);
  t.Create("small", 2);
  CHECK(t.Acquire({"a", "small"}, 3) == Status::kSlotsExceedLimit);
  CHECK(t.Active("a") == 0);
  // Refused before admission: no denial is recorded.
  CHECK(t.Denied("a") == 0);
  CHECK(t.Denied("small") == 0);
}

TEST_CASE("a limit of zero refuses any acquisition with SlotsExceedLimit", "[acquire]") {
  TestEngine t;
  t.Create("zero", 0);
  CHECK(t.Acquire({"zero"}, 1) == Status::kSlotsExceedLimit);
}

TEST_CASE("SlotsExceedLimit is checked before the rate-limit decay rule", "[acquire]") {
  TestEngine t;
  t.Create("small", 1);  // no decay, and too small
  CHECK(t.Acquire({"small"}, 2, nullptr, AcquireMode::kRateLimit) == Status::kSlotsExceedLimit);
}

TEST_CASE("rate limiting on limits without decay is refused with NoDecayForRateLimit naming them",
          "[acquire]") {
  TestEngine t;
  t.Create("plain2", 5);
  t.Create("decays", 5, 1.0);
  t.Create("plain1", 5);
  t.Create("off", 5, 0, /*active=*/false);
  AcquireOutcome out;
  CHECK(t.Acquire({"plain2", "off", "decays", "plain1", "plain2"}, 1, &out,
                  AcquireMode::kRateLimit) == Status::kNoDecayForRateLimit);
  CHECK(out.names_without_decay == std::vector<std::string>{"plain2", "plain1"});
  CHECK(t.Active("decays") == 0);
  CHECK(t.Active("plain1") == 0);
  CHECK(t.Denied("plain1") == 0);
}

TEST_CASE("rate limiting on limits that decay takes the slots", "[acquire]") {
  TestEngine t;
  t.Create("decays", 5, 1.0);
  t.Create("off", 5, 0, /*active=*/false);
  CHECK(t.Acquire({"decays", "off"}, 2, nullptr, AcquireMode::kRateLimit) == Status::kOk);
  CHECK(t.Active("decays") == 2);
}

TEST_CASE("a refused acquisition adds the slots to denied_slots of every active named limit",
          "[acquire]") {
  TestEngine t;
  t.Create("roomy", 10, 0, true, 0, /*denied_slots=*/1);
  t.Create("full", 2, 0, true, /*active_slots=*/2);
  t.Create("off", 10, 0, /*active=*/false);
  t.Advance(1);
  AcquireOutcome out;
  REQUIRE(t.Acquire({"roomy", "full", "off", "ghost"}, 2, &out) == Status::kLocked);
  // roomy's denial of 1 decayed at 1/avg = 0.5/s for 1 s: 0.5, plus 2.
  CHECK(t.Denied("roomy") == 3);
  CHECK(t.Denied("full") == 2);
  CHECK(t.Denied("off") == 0);
  CHECK(t.Active("roomy") == 0);
  CHECK(t.Active("full") == 2);
  CHECK(t.Read("full").updated == t.Now());
  CHECK(t.Read("off").updated == kStart);
}

TEST_CASE("acquiring zero or negative slots is InvalidValue", "[acquire]") {
  TestEngine t;
  t.Create("a", 5);
  CHECK(t.Acquire({"a"}, 0) == Status::kInvalidValue);
  CHECK(t.Acquire({"a"}, -1) == Status::kInvalidValue);
  CHECK(t.Active("a") == 0);
}

TEST_CASE("releasing takes the slots off every active named limit and lists existing ones",
          "[acquire]") {
  TestEngine t;
  t.Create("a", 5, 0, true, 3);
  t.Create("off", 5, 0, /*active=*/false, 3);
  std::vector<LimitRef> out;
  REQUIRE(t.Release({"off", "ghost", "a"}, 2, std::nullopt, &out) == Status::kOk);
  CHECK(NamesOf(out) == std::vector<std::string>{"off", "a"});
  CHECK(t.Active("a") == 1);
  CHECK(t.Active("off") == 3);
}

TEST_CASE("acquiring and releasing move the limit's updated time, reading does not", "[acquire]") {
  TestEngine t;
  t.Create("a", 5);
  t.Advance(1);
  REQUIRE(t.Acquire({"a"}, 1) == Status::kOk);
  CHECK(t.Read("a").updated == kStart + std::chrono::seconds(1));
  t.Advance(1);
  CHECK(t.Read("a").updated == kStart + std::chrono::seconds(1));
  REQUIRE(t.Release({"a"}, 1) == Status::kOk);
  CHECK(t.Read("a").updated == kStart + std::chrono::seconds(2));
}

TEST_CASE("releasing more slots than are held floors the count at zero", "[acquire]") {
  TestEngine t;
  t.Create("a", 5, 0, true, 1);
  REQUIRE(t.Release({"a"}, 3) == Status::kOk);
  CHECK(t.Active("a") == 0);
  REQUIRE(t.Acquire({"a"}, 5) == Status::kOk);
  CHECK(t.Active("a") == 5);
}

TEST_CASE("releasing only unknown names succeeds with an empty list", "[acquire]") {
  TestEngine t;
  std::vector<LimitRef> out;
  CHECK(t.Release({"ghost"}, 1, std::nullopt, &out) == Status::kOk);
  CHECK(out.empty());
}

TEST_CASE("releasing zero or negative slots is InvalidValue", "[acquire]") {
  TestEngine t;
  t.Create("a", 5, 0, true, 2);
  CHECK(t.Release({"a"}, 0) == Status::kInvalidValue);
  CHECK(t.Release({"a"}, -2) == Status::kInvalidValue);
  CHECK(t.Active("a") == 2);
}

TEST_CASE("a release with occupancy moves the average by per_slot/(2 limit) - avg/(2 limit)",
          "[acquire]") {
  TestEngine t;
  t.Create("a", 4, 0, true, 2);
  REQUIRE(t.Release({"a"}, 2, 10.0) == Status::kOk);
  // per_slot = 10 / 2 = 5; avg = 2 + 5/8 - 2/8.
  CHECK(t.AvgOccupancy("a") == Approx(2.375));
  REQUIRE(t.Release({"a"}, 1, 1.0) == Status::kOk);
  // per_slot = 1; avg = 2.375 + 1/8 - 2.375/8.
  CHECK(t.AvgOccupancy("a") == Approx(2.375 + 1.0 / 8 - 2.375 / 8));
}

TEST_CASE("a release's occupancy per slot counts as at least 0.1 s", "[acquire]") {
  TestEngine t;
  t.Create("a", 1, 0, true, 1);
  REQUIRE(t.Release({"a"}, 1, 0.01) == Status::kOk);
  // per_slot = max(0.01, 0.1); avg = 2 + 0.1/2 - 2/2.
  CHECK(t.AvgOccupancy("a") == Approx(1.05));
}

TEST_CASE("a release on a limit of zero leaves the occupancy average alone", "[acquire]") {
  TestEngine t;
  t.Create("zero", 0);
  REQUIRE(t.Release({"zero"}, 1, 10.0) == Status::kOk);
  CHECK(t.AvgOccupancy("zero") == 2.0);
}

TEST_CASE("a release without occupancy leaves the occupancy average alone", "[acquire]") {
  TestEngine t;
  t.Create("a", 4, 0, true, 2);
  REQUIRE(t.Release({"a"}, 1) == Status::kOk);
  CHECK(t.AvgOccupancy("a") == 2.0);
}

}  // namespace
}  // namespace slotd::test
