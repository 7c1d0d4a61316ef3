// Decay of active and denied slots (spec: "Decay, denial and occupancy").
// slotd decays continuously and reports the level rounded up.
#include "tests/engine/engine_test_support.h"

namespace slotd::test {
namespace {

TEST_CASE("active slots decay continuously and are reported rounded up", "[decay]") {
  TestEngine t;
  t.Create("r", 10, 0.5, true, /*active_slots=*/5);
  t.Advance(1);  // 4.5
  CHECK(t.Active("r") == 5);
  t.Advance(1);  // 4.0
  CHECK(t.Active("r") == 4);
  t.Advance(0.1);  // 3.95
  CHECK(t.Active("r") == 4);
  t.Advance(7.9);  // 0.0
  CHECK(t.Active("r") == 0);
  t.Advance(100);  // never below zero
  CHECK(t.Active("r") == 0);
}

TEST_CASE("a decayed level a binary rounding error away from an integer reports that integer",
          "[decay]") {
  TestEngine t;
  t.Create("r", 100, 0.29, true, /*active_slots=*/100);
  // 0.29 * 100 is 28.999999999999996 in binary; the level is 71 exactly.
  t.Advance(100);
  CHECK(t.Active("r") == 71);
  t.Create("s", 10, 0.1, true, 5);
  t.Advance(30);  // 5 - 0.1 * 30 (3.0000000000000004 in binary) is 2
  CHECK(t.Active("s") == 2);
}

TEST_CASE("a limit without decay keeps its active slots however long", "[decay]") {
  TestEngine t;
  t.Create("plain", 10, 0, true, 5);
  t.Advance(86400);
  CHECK(t.Active("plain") == 5);
}

TEST_CASE("admission uses the decayed count rounded up", "[decay]") {
  TestEngine t;
  t.Create("r", 2, 0.5);
  REQUIRE(t.Acquire({"r"}, 2) == Status::kOk);
  t.Advance(1);  // 1.5, reported 2: full
  CHECK(t.Acquire({"r"}, 1) == Status::kLocked);
  t.Advance(1);  // 1.0
  CHECK(t.Acquire({"r"}, 1) == Status::kOk);
  CHECK(t.Active("r") == 2);
}

TEST_CASE("slots taken on a decaying limit add to the fractional level", "[decay]") {
  TestEngine t;
  t.Create("r", 10, 1.0);
  REQUIRE(t.Acquire({"r"}, 3) == Status::kOk);
  t.Advance(1.5);                               // 1.5
  REQUIRE(t.Acquire({"r"}, 1) == Status::kOk);  // 2.5, not floor-then-add
  CHECK(t.Active("r") == 3);
  t.Advance(0.5);  // 2.0
  CHECK(t.Active("r") == 2);
}

TEST_CASE("a release on a decaying limit subtracts from the fractional level", "[decay]") {
  TestEngine t;
  t.Create("r", 10, 1.0, true, 5);
  t.Advance(0.5);                               // 4.5
  REQUIRE(t.Release({"r"}, 2) == Status::kOk);  // 2.5
  CHECK(t.Active("r") == 3);
  t.Advance(0.5);  // 2.0
  CHECK(t.Active("r") == 2);
}

TEST_CASE("a rename does not restart the decay", "[decay]") {
  TestEngine t;
  t.Create("r", 10, 1.0, true, 5);
  t.Advance(1.5);  // 3.5
  LimitPatch patch;
  patch.name = "renamed";
  REQUIRE(t.engine().UpdateLimit(std::string_view("r"), patch) == Status::kOk);
  t.Advance(0.5);  // 3.0 (a restart from 4 would still show 4)
  CHECK(t.Active("renamed") == 3);
}

TEST_CASE("patching other fields does not restart the decay", "[decay]") {
  TestEngine t;
  t.Create("r", 10, 1.0, true, 5);
  t.Advance(1.5);
  LimitPatch patch;
  patch.limit = 20;
  patch.active = true;
  REQUIRE(t.engine().UpdateLimit(std::string_view("r"), patch) == Status::kOk);
  t.Advance(0.5);
  CHECK(t.Active("r") == 3);
}

TEST_CASE("setting active_slots sets the level the decay continues from", "[decay]") {
  TestEngine t;
  t.Create("r", 10, 1.0, true, 5);
  t.Advance(2.5);  // 2.5
  LimitPatch patch;
  patch.active_slots = 4;
  REQUIRE(t.engine().UpdateLimit(std::string_view("r"), patch) == Status::kOk);
  CHECK(t.Active("r") == 4);
  t.Advance(0.5);  // 3.5
  CHECK(t.Active("r") == 4);
  t.Advance(0.5);  // 3.0
  CHECK(t.Active("r") == 3);
}

TEST_CASE("a new decay rate applies from the change on, not to the time before it", "[decay]") {
  TestEngine t;
  t.Create("r", 10, 1.0, true, 8);
  t.Advance(2);  // 6.0 at the old rate
  LimitPatch patch;
  patch.slot_decay_per_second = 0.5;
  REQUIRE(t.engine().UpdateLimit(std::string_view("r"), patch) == Status::kOk);
  CHECK(t.Active("r") == 6);
  t.Advance(2);  // 6.0 - 0.5 * 2
  CHECK(t.Active("r") == 5);
}

TEST_CASE("denied slots decay at the slot decay rate when there is one", "[decay]") {
  TestEngine t;
  t.Create("r", 10, 2.0, true, 0, /*denied_slots=*/10);
  t.Advance(1.5);  // 7.0
  CHECK(t.Denied("r") == 7);
  t.Advance(0.25);  // 6.5
  CHECK(t.Denied("r") == 7);
  t.Advance(10);
  CHECK(t.Denied("r") == 0);
}

TEST_CASE("without decay denied slots decay at 1 / avg_slot_occupancy_seconds", "[decay]") {
  TestEngine t;
  t.Create("plain", 10, 0, true, 0, /*denied_slots=*/10);
  t.Advance(3);  // 10 - 3 / 2.0 = 8.5
  CHECK(t.Denied("plain") == 9);
  t.Advance(1);  // 8.0
  CHECK(t.Denied("plain") == 8);
}

TEST_CASE("without decay the denial rate's occupancy is capped at max_wait", "[decay]") {
  TestEngine t;
  const std::string name = GENERATE(std::string("plain"), std::string("tag:x"));
  const double max_wait = name == "tag:x" ? 10.0 : 30.0;
  t.Create(name, 4);
  REQUIRE(t.Release({name}, 1, 1000.0) == Status::kOk);
  REQUIRE(t.AvgOccupancy(name) == Approx(126.75));
  LimitPatch patch;
  patch.denied_slots = 10;
  REQUIRE(t.engine().UpdateLimit(std::string_view(name), patch) == Status::kOk);
  t.Advance(max_wait * 1.5);  // 10 - 1.5 at 1 / max_wait per second = 8.5
  CAPTURE(name);
  CHECK(t.Denied(name) == 9);
  t.Advance(max_wait * 0.5);  // 8.0
  CHECK(t.Denied(name) == 8);
}

TEST_CASE("a rename into or out of tag: changes the denial rate from the rename on, not before",
          "[decay]") {
  TestEngine t;
  t.Create("p", 4);
  REQUIRE(t.Release({"p"}, 1, 1000.0) == Status::kOk);  // avg 126.75: rate 1 / max_wait
  LimitPatch set_denied;
  set_denied.denied_slots = 10;
  REQUIRE(t.engine().UpdateLimit(std::string_view("p"), set_denied) == Status::kOk);
  t.Advance(30);  // plain: 30 s at 1/30 per second, 9.0
  LimitPatch rename;
  rename.name = "tag:p";
  REQUIRE(t.engine().UpdateLimit(std::string_view("p"), rename) == Status::kOk);
  CHECK(t.Denied("tag:p") == 9);
  t.Advance(10);  // tag: 10 s at 1/10 per second, 8.0 (all 40 s at 1/10 would be 6)
  CHECK(t.Denied("tag:p") == 8);
}

TEST_CASE("the denied decay rate follows the occupancy average as it changes", "[decay]") {
  TestEngine t;
  t.Create("plain", 1, 0, true, 0, /*denied_slots=*/10);
  t.Advance(2);                                          // 10 - 2 / 2.0 = 9.0
  REQUIRE(t.Release({"plain"}, 1, 8.0) == Status::kOk);  // avg = 2 + 8/2 - 2/2 = 5
  REQUIRE(t.AvgOccupancy("plain") == Approx(5.0));
  CHECK(t.Denied("plain") == 9);
  t.Advance(5);  // 9.0 - 5 / 5.0 = 8.0 (the old rate would give 6.5)
  CHECK(t.Denied("plain") == 8);
}

TEST_CASE("a denial adds to the decayed denied level", "[decay]") {
  TestEngine t;
  t.Create("full", 1, 0, true, /*active_slots=*/1, /*denied_slots=*/3);
  t.Advance(2);  // 3 - 2 / 2.0 = 2.0
  REQUIRE(t.Acquire({"full"}, 1) == Status::kLocked);
  CHECK(t.Denied("full") == 3);
}

TEST_CASE("setting denied_slots sets the level the denial decay continues from", "[decay]") {
  TestEngine t;
  t.Create("r", 10, 1.0, true, 0, 2);
  t.Advance(5);
  LimitPatch patch;
  patch.denied_slots = 6;
  REQUIRE(t.engine().UpdateLimit(std::string_view("r"), patch) == Status::kOk);
  CHECK(t.Denied("r") == 6);
  t.Advance(1.5);  // 4.5
  CHECK(t.Denied("r") == 5);
}

}  // namespace
}  // namespace slotd::test
