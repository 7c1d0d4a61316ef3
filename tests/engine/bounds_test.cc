// Counts at their bounds: every count is in [0, kMaxSlotCount] (2^53 - 1, the
// largest integer the decaying doubles hold exactly); slots are in
// [1, kMaxSlotCount]; the denied counter saturates instead of wrapping.
#include <limits>

#include "tests/engine/engine_test_support.h"

namespace slotd::test {
namespace {

constexpr int64_t kMax = kMaxSlotCount;

TEST_CASE("the largest count is 2^53 - 1", "[bounds]") { CHECK(kMaxSlotCount == 9007199254740991); }

TEST_CASE("counts of exactly kMaxSlotCount are accepted and read back exactly", "[bounds]") {
  TestEngine t;
  LimitSnapshot created = t.Create("big", kMax, 0, true, kMax, kMax);
  CHECK(created.limit == kMax);
  CHECK(created.active_slots == kMax);
  CHECK(created.denied_slots == kMax);
  LimitPatch patch;
  patch.limit = kMax;
  patch.active_slots = kMax - 1;
  patch.denied_slots = kMax - 1;
  REQUIRE(t.engine().UpdateLimit(std::string_view("big"), patch) == Status::kOk);
  LimitSnapshot read = t.Read("big");
  CHECK(read.active_slots == kMax - 1);
  CHECK(read.denied_slots == kMax - 1);
}

TEST_CASE("a count above kMaxSlotCount is refused with InvalidValue on create", "[bounds]") {
  TestEngine t;
  NewLimit spec;
  spec.name = "big";
  spec.limit = 1;
  SECTION("limit") { spec.limit = kMax + 1; }
  SECTION("active_slots") { spec.active_slots = kMax + 1; }
  SECTION("denied_slots") { spec.denied_slots = std::numeric_limits<int64_t>::max(); }
  LimitSnapshot out;
  CHECK(t.engine().CreateLimit(spec, &out) == Status::kInvalidValue);
  CHECK(t.engine().LimitCount() == 0);
}

TEST_CASE("a count above kMaxSlotCount is refused with InvalidValue on update and changes nothing",
          "[bounds]") {
  TestEngine t;
  t.Create("a", 5, 0, true, 1, 1);
  LimitPatch patch;
  patch.active = false;
  SECTION("limit") { patch.limit = kMax + 1; }
  SECTION("active_slots") { patch.active_slots = kMax + 1; }
  SECTION("denied_slots") { patch.denied_slots = kMax + 1; }
  CHECK(t.engine().UpdateLimit(std::string_view("a"), patch) == Status::kInvalidValue);
  LimitSnapshot after = t.Read("a");
  CHECK(after.active);
  CHECK(after.limit == 5);
  CHECK(after.active_slots == 1);
}

TEST_CASE("upserting a tag limit above kMaxSlotCount is InvalidValue", "[bounds]") {
  TestEngine t;
  LimitSnapshot out;
  bool created = false;
  CHECK(t.engine().UpsertTagLimit("db", kMax + 1, &out, &created) == Status::kInvalidValue);
  CHECK(t.engine().UpsertTagLimit("db", kMax, &out, &created) == Status::kOk);
  CHECK(created);
}

TEST_CASE("acquiring or releasing more than kMaxSlotCount slots is InvalidValue", "[bounds]") {
  TestEngine t;
  t.Create("big", kMax, 0, true, 5);
  CHECK(t.Acquire({"big"}, kMax + 1) == Status::kInvalidValue);
  CHECK(t.Release({"big"}, kMax + 1) == Status::kInvalidValue);
  CHECK(t.Release({"big"}, std::numeric_limits<int64_t>::max()) == Status::kInvalidValue);
  CHECK(t.Active("big") == 5);
  CHECK(t.Denied("big") == 0);
}

TEST_CASE("a limit of kMaxSlotCount admits exactly kMaxSlotCount slots", "[bounds]") {
  TestEngine t;
  t.Create("big", kMax);
  REQUIRE(t.Acquire({"big"}, kMax - 1) == Status::kOk);
  REQUIRE(t.Acquire({"big"}, 1) == Status::kOk);
  CHECK(t.Active("big") == kMax);
  CHECK(t.Acquire({"big"}, 1) == Status::kLocked);
  REQUIRE(t.Release({"big"}, kMax) == Status::kOk);
  CHECK(t.Active("big") == 0);
}

TEST_CASE("denied slots saturate at kMaxSlotCount instead of wrapping", "[bounds]") {
  TestOptions options;
  options.uniform = 0.0;
  TestEngine t(options);
  t.Create("full", 1, 0, true, /*active_slots=*/1, /*denied_slots=*/kMax);
  AcquireOutcome out;
  REQUIRE(t.Acquire({"full"}, 1, &out) == Status::kLocked);
  CHECK(t.Denied("full") == kMax);
  // The backlog is huge: the mean is capped at the maximum slot wait (30 s).
  CHECK(out.retry_after_seconds == Approx(30.0 * LowerClampMultiple()));
  REQUIRE(t.Acquire({"full"}, 1, &out) == Status::kLocked);
  CHECK(t.Denied("full") == kMax);
}

TEST_CASE(
    "a release with zero, negative or non-finite occupancy is InvalidValue and changes "
    "nothing",
    "[bounds]") {
  const double occupancy = GENERATE(0.0, -1.0, std::numeric_limits<double>::infinity(),
                                    std::numeric_limits<double>::quiet_NaN());
  TestEngine t;
  t.Create("a", 4, 0, true, 2);
  CAPTURE(occupancy);
  CHECK(t.Release({"a"}, 1, occupancy) == Status::kInvalidValue);
  CHECK(t.Active("a") == 2);
  CHECK(t.AvgOccupancy("a") == 2.0);
}

}  // namespace
}  // namespace slotd::test
