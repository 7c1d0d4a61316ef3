// Limits: create, read, list, update, delete, and the name rule.
#include <limits>

#include "tests/engine/engine_test_support.h"

namespace slotd::test {
namespace {

TEST_CASE("a limit created with only a name and a limit gets the spec's defaults", "[limits]") {
  TestEngine t;
  LimitSnapshot created = t.Create("db", 5);
  CHECK(created.name == "db");
  CHECK(created.limit == 5);
  CHECK(created.active);
  CHECK(created.active_slots == 0);
  CHECK(created.denied_slots == 0);
  CHECK(created.slot_decay_per_second == 0);
  CHECK(created.avg_slot_occupancy_seconds == 2.0);
  CHECK(created.created == kStart);
  CHECK(created.updated == kStart);
  CHECK(created.id.version() == Uuid::version_random_number_based);
  CHECK(t.engine().LimitCount() == 1);
}

TEST_CASE("a limit created with every field keeps each of them", "[limits]") {
  TestEngine t;
  LimitSnapshot created = t.Create("db", 7, 0.25, /*active=*/false, 3, 4);
  CHECK_FALSE(created.active);
  CHECK(created.limit == 7);
  CHECK(created.active_slots == 3);
  CHECK(created.denied_slots == 4);
  CHECK(created.slot_decay_per_second == 0.25);
  LimitSnapshot read = t.Read("db");
  CHECK(read.id == created.id);
  CHECK(read.active_slots == 3);
  CHECK(read.denied_slots == 4);
}

TEST_CASE("creating a limit under a taken name is refused with NameTaken and changes nothing",
          "[limits]") {
  TestEngine t;
  LimitSnapshot first = t.Create("db", 5);
  NewLimit again;
  again.name = "db";
  again.limit = 9;
  LimitSnapshot out;
  CHECK(t.engine().CreateLimit(again, &out) == Status::kNameTaken);
  CHECK(t.engine().LimitCount() == 1);
  LimitSnapshot read = t.Read("db");
  CHECK(read.id == first.id);
  CHECK(read.limit == 5);
}

TEST_CASE("a limit name that is empty or holds a banned character is refused with InvalidName",
          "[limits]") {
  std::string name = GENERATE(std::string(""), std::string("a/b"), std::string("50%"),
                              std::string("x&y"), std::string(">x"), std::string("x<"));
  TestEngine t;
  NewLimit spec;
  spec.name = name;
  spec.limit = 1;
  LimitSnapshot out;
  CHECK(t.engine().CreateLimit(spec, &out) == Status::kInvalidName);
  CHECK(t.engine().LimitCount() == 0);
  CHECK_FALSE(IsValidLimitName(name));
}

TEST_CASE("names with other punctuation, spaces and unicode are valid", "[limits]") {
  for (std::string_view name : {"tag:x", "a b", "a.b-c_d", "日本", "?#!"}) {
    CHECK(IsValidLimitName(name));
  }
}

TEST_CASE("a negative or non-finite value on create is refused with InvalidValue", "[limits]") {
  TestEngine t;
  NewLimit spec;
  spec.name = "db";
  spec.limit = 1;
  SECTION("negative limit") { spec.limit = -1; }
  SECTION("negative active_slots") { spec.active_slots = -1; }
  SECTION("negative denied_slots") { spec.denied_slots = -1; }
  SECTION("negative decay") { spec.slot_decay_per_second = -0.5; }
  SECTION("NaN decay") { spec.slot_decay_per_second = std::numeric_limits<double>::quiet_NaN(); }
  SECTION("infinite decay") {
    spec.slot_decay_per_second = std::numeric_limits<double>::infinity();
  }
  LimitSnapshot out;
  CHECK(t.engine().CreateLimit(spec, &out) == Status::kInvalidValue);
  CHECK(t.engine().LimitCount() == 0);
}

TEST_CASE("a limit of zero is a valid limit", "[limits]") {
  TestEngine t;
  CHECK(t.Create("zero", 0).limit == 0);
}

TEST_CASE("a limit reads the same by id and by name", "[limits]") {
  TestEngine t;
  LimitSnapshot created = t.Create("db", 5);
  LimitSnapshot by_id, by_name;
  REQUIRE(t.engine().ReadLimit(created.id, &by_id) == Status::kOk);
  REQUIRE(t.engine().ReadLimit(std::string_view("db"), &by_name) == Status::kOk);
  CHECK(by_id.id == created.id);
  CHECK(by_name.id == created.id);
  CHECK(by_id.name == "db");
  CHECK(by_id.limit == 5);
}

TEST_CASE("reading an unknown id or name is NotFound", "[limits]") {
  TestEngine t;
  t.Create("db", 5);
  LimitSnapshot out;
  CHECK(t.engine().ReadLimit(NewRandomUuid(), &out) == Status::kNotFound);
  CHECK(t.engine().ReadLimit(std::string_view("other"), &out) == Status::kNotFound);
}

TEST_CASE("limits are listed ordered by name, filtered by prefix, with offset and count",
          "[limits]") {
  TestEngine t;
  for (std::string name : {"tag:b", "zeta", "tag:a", "alpha", "tag:c", "beta"}) t.Create(name, 1);
  std::vector<LimitSnapshot> out;

  t.engine().ListLimits("", 0, 100, &out);
  CHECK(NamesOf(out) ==
        std::vector<std::string>{"alpha", "beta", "tag:a", "tag:b", "tag:c", "zeta"});

  t.engine().ListLimits("tag:", 0, 100, &out);
  CHECK(NamesOf(out) == std::vector<std::string>{"tag:a", "tag:b", "tag:c"});

  t.engine().ListLimits("tag:", 1, 1, &out);
  CHECK(NamesOf(out) == std::vector<std::string>{"tag:b"});

  t.engine().ListLimits("", 4, 100, &out);
  CHECK(NamesOf(out) == std::vector<std::string>{"tag:c", "zeta"});

  t.engine().ListLimits("", 6, 100, &out);
  CHECK(out.empty());

  t.engine().ListLimits("", 0, 0, &out);
  CHECK(out.empty());

  t.engine().ListLimits("nothing", 0, 100, &out);
  CHECK(out.empty());
}

// Each bit of the mask says whether one field is in the patch.
TEST_CASE("an update sets exactly the fields given, for every subset of fields", "[limits]") {
  const int mask = GENERATE(range(0, 64));
  TestEngine t;
  LimitSnapshot before = t.Create("db", 5, 0, true, 1, 2);
  t.Advance(3);
  LimitPatch patch;
  if (mask & 1) patch.active = false;
  if (mask & 2) patch.name = "renamed";
  if (mask & 4) patch.limit = 9;
  if (mask & 8) patch.active_slots = 4;
  if (mask & 16) patch.denied_slots = 6;
  if (mask & 32) patch.slot_decay_per_second = 0.5;
  REQUIRE(t.engine().UpdateLimit(before.id, patch) == Status::kOk);

  LimitSnapshot after;
  REQUIRE(t.engine().ReadLimit(before.id, &after) == Status::kOk);
  CAPTURE(mask);
  CHECK(after.id == before.id);
  CHECK(after.created == before.created);
  CHECK(after.updated == t.Now());
  CHECK(after.active == ((mask & 1) ? false : true));
  CHECK(after.name == ((mask & 2) ? "renamed" : "db"));
  CHECK(after.limit == ((mask & 4) ? 9 : 5));
  CHECK(after.slot_decay_per_second == ((mask & 32) ? 0.5 : 0.0));
  // No time passes after the update, so the levels read back as set.
  CHECK(after.active_slots == ((mask & 8) ? 4 : 1));
  if (mask & 16) CHECK(after.denied_slots == 6);
  CHECK(after.avg_slot_occupancy_seconds == 2.0);
}

TEST_CASE("an update may name the limit by id or by name", "[limits]") {
  TestEngine t;
  LimitSnapshot created = t.Create("db", 5);
  LimitPatch patch;
  patch.limit = 6;
  REQUIRE(t.engine().UpdateLimit(std::string_view("db"), patch) == Status::kOk);
  CHECK(t.Read("db").limit == 6);
  patch.limit = 7;
  REQUIRE(t.engine().UpdateLimit(created.id, patch) == Status::kOk);
  CHECK(t.Read("db").limit == 7);
}

TEST_CASE("a renamed limit keeps its id and is found only under its new name", "[limits]") {
  TestEngine t;
  LimitSnapshot created = t.Create("db", 5);
  LimitPatch patch;
  patch.name = "store";
  REQUIRE(t.engine().UpdateLimit(std::string_view("db"), patch) == Status::kOk);
  LimitSnapshot out;
  CHECK(t.engine().ReadLimit(std::string_view("db"), &out) == Status::kNotFound);
  CHECK(t.Read("store").id == created.id);
  REQUIRE(t.engine().ReadLimit(created.id, &out) == Status::kOk);
  CHECK(out.name == "store");
  std::vector<LimitSnapshot> list;
  t.engine().ListLimits("", 0, 10, &list);
  CHECK(NamesOf(list) == std::vector<std::string>{"store"});
  CHECK(t.engine().LimitCount() == 1);
}

TEST_CASE("renaming a limit to its own name succeeds", "[limits]") {
  TestEngine t;
  t.Create("db", 5);
  LimitPatch patch;
  patch.name = "db";
  patch.limit = 8;
  CHECK(t.engine().UpdateLimit(std::string_view("db"), patch) == Status::kOk);
  CHECK(t.Read("db").limit == 8);
}

TEST_CASE("renaming onto an existing name is refused with NameTaken and nothing changes",
          "[limits]") {
  TestEngine t;
  LimitSnapshot a = t.Create("a", 5);
  LimitSnapshot b = t.Create("b", 3);
  t.Advance(1);
  LimitPatch patch;
  patch.name = "b";
  patch.limit = 9;
  patch.active = false;
  CHECK(t.engine().UpdateLimit(a.id, patch) == Status::kNameTaken);
  LimitSnapshot a_after = t.Read("a");
  LimitSnapshot b_after = t.Read("b");
  CHECK(a_after.id == a.id);
  CHECK(a_after.limit == 5);
  CHECK(a_after.active);
  CHECK(a_after.updated == a.updated);
  CHECK(b_after.id == b.id);
  CHECK(b_after.limit == 3);
}

TEST_CASE("an update with an invalid name or a negative value is refused and changes nothing",
          "[limits]") {
  TestEngine t;
  t.Create("db", 5);
  LimitPatch patch;
  patch.limit = 9;
  Status expected = Status::kInvalidValue;
  SECTION("banned character in the new name") {
    patch.name = "a/b";
    expected = Status::kInvalidName;
  }
  SECTION("empty new name") {
    patch.name = "";
    expected = Status::kInvalidName;
  }
  SECTION("negative limit") { patch.limit = -1; }
  SECTION("negative active_slots") { patch.active_slots = -1; }
  SECTION("negative denied_slots") { patch.denied_slots = -2; }
  SECTION("negative decay") { patch.slot_decay_per_second = -1; }
  SECTION("NaN decay") { patch.slot_decay_per_second = std::numeric_limits<double>::quiet_NaN(); }
  CHECK(t.engine().UpdateLimit(std::string_view("db"), patch) == expected);
  LimitSnapshot after = t.Read("db");
  CHECK(after.limit == 5);
  CHECK(after.slot_decay_per_second == 0);
}

TEST_CASE("updating an unknown limit is NotFound", "[limits]") {
  TestEngine t;
  LimitPatch patch;
  patch.limit = 1;
  CHECK(t.engine().UpdateLimit(std::string_view("nope"), patch) == Status::kNotFound);
  CHECK(t.engine().UpdateLimit(NewRandomUuid(), patch) == Status::kNotFound);
}

TEST_CASE("a deleted limit is gone by id, by name and from the list", "[limits]") {
  TestEngine t;
  LimitSnapshot a = t.Create("a", 1);
  t.Create("b", 1);
  SECTION("deleted by id") { REQUIRE(t.engine().DeleteLimit(a.id) == Status::kOk); }
  SECTION("deleted by name") {
    REQUIRE(t.engine().DeleteLimit(std::string_view("a")) == Status::kOk);
  }
  LimitSnapshot out;
  CHECK(t.engine().ReadLimit(a.id, &out) == Status::kNotFound);
  CHECK(t.engine().ReadLimit(std::string_view("a"), &out) == Status::kNotFound);
  std::vector<LimitSnapshot> list;
  t.engine().ListLimits("", 0, 10, &list);
  CHECK(NamesOf(list) == std::vector<std::string>{"b"});
  CHECK(t.engine().LimitCount() == 1);
  CHECK(t.engine().DeleteLimit(a.id) == Status::kNotFound);
  CHECK(t.engine().DeleteLimit(std::string_view("a")) == Status::kNotFound);
}

TEST_CASE("a limit recreated under a deleted name is a new limit with fresh counters", "[limits]") {
  TestEngine t;
  LimitSnapshot old = t.Create("a", 2);
  REQUIRE(t.Acquire({"a"}, 2) == Status::kOk);
  REQUIRE(t.engine().DeleteLimit(old.id) == Status::kOk);
  LimitSnapshot fresh = t.Create("a", 2);
  CHECK(fresh.id != old.id);
  CHECK(fresh.active_slots == 0);
  CHECK(t.Acquire({"a"}, 1) == Status::kOk);
}

TEST_CASE("an engine without an injected clock reads the system clock", "[limits]") {
  SlotEngine engine;
  const auto before = std::chrono::system_clock::now();
  const TimePoint now = engine.Now();
  const auto after = std::chrono::system_clock::now();
  CHECK(now >= std::chrono::time_point_cast<Micros>(before));
  CHECK(now <= std::chrono::ceil<Micros>(after));
}

TEST_CASE("every status has a name", "[limits]") {
  CHECK(std::string(StatusName(Status::kOk)) == "Ok");
  CHECK(std::string(StatusName(Status::kLocked)) == "Locked");
  CHECK(std::string(StatusName(Status::kLeaseNotFound)) == "LeaseNotFound");
}

}  // namespace
}  // namespace slotd::test
