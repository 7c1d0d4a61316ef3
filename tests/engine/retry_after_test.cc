// Retry-After of a refused v2 acquisition, computed by hand from the spec:
//   blocking limit: max of slots + denied if it decays, else (slots + denied) / limit;
//   no decay: mean = min(min(avg_occupancy, max_wait) * blocking, max_wait);
//   decay:    mean = blocking / slot_decay_per_second;
//   the header: an exponential variate of mean `mean` within
//   [mean * c, mean * 1.3], c = log2(2^1.3 / (2^1.3 - 1)).
// The draw is pinned with FixedRandomSource. engine/retry_after.h (which the
// public header names as the contract for the draw) maps the uniform u by the
// inverse CDF of the exponential truncated to the two bounds, as Prefect's
// clamped_poisson_interval does; u = 0 gives the lower bound and u -> 1 the
// upper one.
#include "engine/internal/retry_after.h"

#include <cmath>

#include "tests/engine/engine_test_support.h"

namespace slotd::test {
namespace {

// The truncated inverse-CDF draw, written out from the formula.
double TruncatedExponential(double mean, double u) {
  const double lower = mean * LowerClampMultiple();
  const double upper = mean * 1.3;
  const double cdf_lower = 1.0 - std::exp(-lower / mean);
  const double cdf_upper = 1.0 - std::exp(-upper / mean);
  const double p = cdf_lower + u * (cdf_upper - cdf_lower);
  return -mean * std::log(1.0 - p);
}

double RefusedRetryAfter(TestEngine& t, std::initializer_list<std::string_view> names,
                         int64_t slots = 1) {
  AcquireOutcome out;
  REQUIRE(t.Acquire(names, slots, &out) == Status::kLocked);
  return out.retry_after_seconds;
}

// With u = 0 the draw is exactly mean * c, so these tests read the mean back.
TestOptions LowerBoundDraw() {
  TestOptions options;
  options.uniform = 0.0;
  return options;
}

TEST_CASE("the lower clamp multiple is about 0.752", "[retry_after]") {
  CHECK(LowerClampMultiple() == Approx(0.7520).epsilon(1e-3));
}

TEST_CASE(
    "without decay the blocking limit has the largest (slots + denied) / limit, even with "
    "room left",
    "[retry_after]") {
  TestEngine t(LowerBoundDraw());
  t.Create("full", 2, 0, true, /*active_slots=*/2);         // (1 + 0) / 2 = 0.5
  t.Create("backlog", 10, 0, true, 0, /*denied_slots=*/5);  // (1 + 5) / 10 = 0.6
  // mean = min(min(2.0, 30) * 0.6, 30) = 1.2
  CHECK(RefusedRetryAfter(t, {"full", "backlog"}) == Approx(1.2 * LowerClampMultiple()));
}

TEST_CASE("without decay and no backlog elsewhere the full limit blocks", "[retry_after]") {
  TestEngine t(LowerBoundDraw());
  t.Create("full", 2, 0, true, /*active_slots=*/2);  // (2 + 0) / 2 = 1
  t.Create("roomy", 10);                             // (2 + 0) / 10 = 0.2
  // mean = min(2.0 * 1, 30) = 2
  CHECK(RefusedRetryAfter(t, {"roomy", "full"}, 2) == Approx(2.0 * LowerClampMultiple()));
}

TEST_CASE("a decaying blocking limit weighs slots + denied undivided and waits backlog / decay",
          "[retry_after]") {
  TestEngine t(LowerBoundDraw());
  t.Create("decays", 1, 0.5, true, 1, /*denied_slots=*/3);  // 1 + 3 = 4
  t.Create("plain", 1, 0, true, 0, /*denied_slots=*/1);     // (1 + 1) / 1 = 2
  // mean = 4 / 0.5 = 8
  CHECK(RefusedRetryAfter(t, {"plain", "decays"}) == Approx(8.0 * LowerClampMultiple()));
}

TEST_CASE("a decay rate too small for a finite wait answers the longest wait, finite",
          "[retry_after]") {
  TestEngine low(LowerBoundDraw());
  low.Create("glacial", 1, 1e-310, true, /*active_slots=*/1);  // 1 / 1e-310 overflows
  const double lowest = RefusedRetryAfter(low, {"glacial"});
  CHECK(std::isfinite(lowest));
  CHECK(lowest == Approx(kMaxRetryAfterSeconds * LowerClampMultiple()));

  TestOptions high_draw;
  high_draw.uniform = AlmostOne();
  TestEngine high(high_draw);
  high.Create("glacial", 1, 1e-310, true, /*active_slots=*/1);
  const double highest = RefusedRetryAfter(high, {"glacial"});
  CHECK(std::isfinite(highest));
  CHECK(highest == Approx(kMaxRetryAfterSeconds * 1.3).epsilon(1e-9));
}

TEST_CASE("a plain limit with a larger ratio blocks ahead of a decaying limit", "[retry_after]") {
  TestEngine t(LowerBoundDraw());
  t.Create("decays", 10, 2.0, true, /*active_slots=*/10);  // 1 + 0 = 1
  t.Create("plain", 1, 0, true, 0, /*denied_slots=*/2);    // (1 + 2) / 1 = 3
  // mean = min(2.0 * 3, 30) = 6 (not 1 / 2 = 0.5 from the decaying one)
  CHECK(RefusedRetryAfter(t, {"decays", "plain"}) == Approx(6.0 * LowerClampMultiple()));
}

TEST_CASE("an inactive named limit takes no part in choosing the blocking limit", "[retry_after]") {
  TestEngine t(LowerBoundDraw());
  t.Create("full", 1, 0, true, /*active_slots=*/1);                // (1 + 0) / 1 = 1
  t.Create("off", 1, 0, /*active=*/false, 0, /*denied_slots=*/9);  // would be 10 if active
  // mean = min(2.0 * 1, 30) = 2
  CHECK(RefusedRetryAfter(t, {"off", "full"}) == Approx(2.0 * LowerClampMultiple()));
}

TEST_CASE("a decaying limit's denied slots count after their decay", "[retry_after]") {
  TestEngine t(LowerBoundDraw());
  t.Create("decays", 2, 1.0, true, /*active_slots=*/10, /*denied_slots=*/6);
  t.Advance(2);  // active 8 (still full), denied 4
  // blocking = 1 + 4 = 5; mean = 5 / 1.0
  CHECK(RefusedRetryAfter(t, {"decays"}) == Approx(5.0 * LowerClampMultiple()));
}

TEST_CASE("without decay a plain limit's mean is capped at the maximum slot wait",
          "[retry_after]") {
  TestOptions options = LowerBoundDraw();
  double max_wait = GENERATE(30.0, 25.0);
  options.max_slot_wait_seconds = max_wait;
  TestEngine t(options);
  t.Create("plain", 1, 0, true, 1, /*denied_slots=*/20);  // (1 + 20) / 1 = 21
  // mean = min(2.0 * 21, max_wait) = max_wait
  CHECK(RefusedRetryAfter(t, {"plain"}) == Approx(max_wait * LowerClampMultiple()));
}

TEST_CASE("without decay a tag limit's mean is capped at the tag wait", "[retry_after]") {
  TestOptions options = LowerBoundDraw();
  double tag_wait = GENERATE(10.0, 7.0);
  options.tag_wait_seconds = tag_wait;
  TestEngine t(options);
  t.Create("tag:x", 1, 0, true, 1, /*denied_slots=*/20);
  // mean = min(2.0 * 21, tag_wait) = tag_wait
  CHECK(RefusedRetryAfter(t, {"tag:x"}) == Approx(tag_wait * LowerClampMultiple()));
}

TEST_CASE("the occupancy average counts at most max_wait per slot, tag wait for tag limits",
          "[retry_after]") {
  TestEngine t(LowerBoundDraw());
  const std::string name = GENERATE(std::string("tag:x"), std::string("plain"));
  const double max_wait = name == "tag:x" ? 10.0 : 30.0;
  t.Create(name, 4, 0, true, /*active_slots=*/4);
  REQUIRE(t.Release({name}, 1, 1000.0) == Status::kOk);
  // per_slot = 1000; avg = 2 + 1000/8 - 2/8 = 126.75
  REQUIRE(t.AvgOccupancy(name) == Approx(126.75));
  REQUIRE(t.Acquire({name}, 1) == Status::kOk);  // full again
  // blocking = (1 + 0) / 4; mean = min(min(126.75, max_wait) * 0.25, max_wait)
  CAPTURE(name);
  CHECK(RefusedRetryAfter(t, {name}) == Approx(max_wait * 0.25 * LowerClampMultiple()));
}

TEST_CASE("each refusal's Retry-After uses the denials recorded before it, not its own",
          "[retry_after]") {
  TestEngine t(LowerBoundDraw());
  const double c = LowerClampMultiple();
  SECTION("without decay") {
    t.Create("plain", 1, 0, true, 1);
    CHECK(RefusedRetryAfter(t, {"plain"}) == Approx(2.0 * c));  // 2.0 * (1 + 0) / 1
    CHECK(RefusedRetryAfter(t, {"plain"}) == Approx(4.0 * c));  // 2.0 * (1 + 1) / 1
    CHECK(RefusedRetryAfter(t, {"plain"}) == Approx(6.0 * c));  // 2.0 * (1 + 2) / 1
  }
  SECTION("with decay") {
    t.Create("decays", 1, 0.5, true, 1);
    CHECK(RefusedRetryAfter(t, {"decays"}) == Approx(2.0 * c));  // (1 + 0) / 0.5
    CHECK(RefusedRetryAfter(t, {"decays"}) == Approx(4.0 * c));  // (1 + 1) / 0.5
  }
}

// mean = 2.0 below: one full plain limit of 1, no denials.
double DrawWithUniform(double u) {
  TestOptions options;
  options.uniform = u;
  TestEngine t(options);
  t.Create("plain", 1, 0, true, 1);
  return RefusedRetryAfter(t, {"plain"});
}

TEST_CASE("a uniform draw of 0 gives the lower clamp mean * c", "[retry_after]") {
  CHECK(DrawWithUniform(0.0) == Approx(2.0 * LowerClampMultiple()).epsilon(1e-12));
}

TEST_CASE("a uniform draw just below 1 gives the upper clamp mean * 1.3", "[retry_after]") {
  CHECK(DrawWithUniform(AlmostOne()) == Approx(2.0 * 1.3).epsilon(1e-9));
}

TEST_CASE("an intermediate uniform draw maps through the exponential CDF between the clamps",
          "[retry_after]") {
  double u = GENERATE(0.25, 0.5, 0.6, 0.9);
  double expected = TruncatedExponential(2.0, u);
  CAPTURE(u);
  CHECK(DrawWithUniform(u) == Approx(expected).epsilon(1e-9));
  CHECK(expected > 2.0 * LowerClampMultiple());
  CHECK(expected < 2.0 * 1.3);
}

TEST_CASE("a larger uniform draw never gives a shorter Retry-After", "[retry_after]") {
  double previous = 0;
  for (double u : {0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, AlmostOne()}) {
    double draw = DrawWithUniform(u);
    CHECK(draw >= previous);
    previous = draw;
  }
}

TEST_CASE("averaged over uniform draws the jittered Retry-After stays within 1% of the mean",
          "[retry_after]") {
  constexpr int kDraws = 2000;
  TestOptions options;
  options.random = std::make_shared<GridRandomSource>(kDraws);
  TestEngine t(options);
  t.Create("plain", 1, 0, true, 1);
  LimitPatch clear_denied;
  clear_denied.denied_slots = 0;
  double sum = 0;
  for (int i = 0; i < kDraws; ++i) {
    REQUIRE(t.engine().UpdateLimit(std::string_view("plain"), clear_denied) == Status::kOk);
    double draw = RefusedRetryAfter(t, {"plain"});
    REQUIRE(draw >= 2.0 * LowerClampMultiple() - 1e-9);
    REQUIRE(draw <= 2.0 * 1.3 + 1e-9);
    sum += draw;
  }
  CHECK(sum / kDraws == Approx(2.0).epsilon(0.01));
}

}  // namespace
}  // namespace slotd::test
