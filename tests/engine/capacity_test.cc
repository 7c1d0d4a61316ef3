// The caps on how many limits and leases exist (EngineOptions::max_limits and
// max_leases): a call that would pass one is refused and changes nothing, and
// racing callers never push the count past the cap.
#include <string>
#include <thread>

#include "tests/engine/concurrency_test_support.h"

namespace slotd::test {
namespace {

TestOptions Caps(size_t max_limits, size_t max_leases) {
  TestOptions options;
  options.max_limits = max_limits;
  options.max_leases = max_leases;
  return options;
}

TEST_CASE("creating past max_limits is TooManyLimits until a limit is deleted", "[capacity]") {
  TestEngine t(Caps(3, SIZE_MAX));
  t.Create("a", 1);
  t.Create("b", 1);
  t.Create("c", 1);
  NewLimit spec;
  spec.name = "d";
  spec.limit = 1;
  LimitSnapshot out;
  CHECK(t.engine().CreateLimit(spec, &out) == Status::kTooManyLimits);
  CHECK(t.engine().LimitCount() == 3);
  CHECK(t.engine().ReadLimit(std::string_view("d"), &out) == Status::kNotFound);
  std::vector<LimitSnapshot> listed;
  t.engine().ListLimits("", 0, 10, &listed);
  CHECK(NamesOf(listed) == std::vector<std::string>{"a", "b", "c"});

  REQUIRE(t.engine().DeleteLimit(std::string_view("b")) == Status::kOk);
  CHECK(t.engine().CreateLimit(spec, &out) == Status::kOk);
  CHECK(t.engine().LimitCount() == 3);
}

TEST_CASE("a tag upsert at max_limits updates an existing tag but cannot create one",
          "[capacity]") {
  TestEngine t(Caps(1, SIZE_MAX));
  LimitSnapshot out;
  bool created = false;
  REQUIRE(t.engine().UpsertTagLimit("a", 1, &out, &created) == Status::kOk);
  CHECK(created);
  CHECK(t.engine().UpsertTagLimit("a", 5, &out, &created) == Status::kOk);
  CHECK_FALSE(created);
  CHECK(out.limit == 5);
  CHECK(t.engine().UpsertTagLimit("b", 1, &out, &created) == Status::kTooManyLimits);
  CHECK(t.engine().LimitCount() == 1);
}

TEST_CASE("an acquisition with a lease past max_leases is TooManyLeases and takes nothing",
          "[capacity]") {
  TestEngine t(Caps(SIZE_MAX, 2));
  t.Create("a", 10);
  const Uuid first = t.AcquireLease({"a"}, 1, 60);
  t.AcquireLease({"a"}, 1, 60);
  LeaseTerms terms;
  terms.duration = SecondsToMicros(60);
  CHECK(t.Acquire({"a"}, 1, nullptr, AcquireMode::kConcurrency, terms) == Status::kTooManyLeases);
  CHECK(t.Active("a") == 2);
  CHECK(t.Denied("a") == 0);
  CHECK(t.engine().LeaseCount() == 2);

  SECTION("slots without a lease are still taken") {
    CHECK(t.Acquire({"a"}) == Status::kOk);
    CHECK(t.Active("a") == 3);
  }
  SECTION("a released lease makes room") {
    REQUIRE(t.engine().ReleaseLease(first) == Status::kOk);
    t.AcquireLease({"a"}, 1, 60);
    CHECK(t.engine().LeaseCount() == 2);
  }
  SECTION("expired leases make room") {
    t.Advance(61);
    REQUIRE(t.engine().ExpireLeases() == 2);
    t.AcquireLease({"a"}, 1, 60);
    t.AcquireLease({"a"}, 1, 60);
    CHECK(t.engine().LeaseCount() == 2);
  }
  SECTION("a lease revoked by a reset makes room") {
    REQUIRE(t.engine().DeleteLimit(std::string_view("a")) == Status::kOk);
    t.Create("tag:x", 10);
    REQUIRE(t.Increment({"x"}, NewRandomUuid()) == Status::kTooManyLeases);
    REQUIRE(t.engine().ReleaseLease(first) == Status::kOk);
    REQUIRE(t.Increment({"x"}, NewRandomUuid()) == Status::kOk);
    REQUIRE(t.engine().ResetTagLimit("x", {}) == Status::kOk);
    CHECK(t.engine().LeaseCount() == 1);  // the one on the deleted limit "a"
    CHECK(t.Increment({"x"}, NewRandomUuid()) == Status::kOk);
  }
}

TEST_CASE("a v1 increment past max_leases is TooManyLeases unless the run already holds the tag",
          "[capacity]") {
  TestEngine t(Caps(SIZE_MAX, 1));
  t.Create("tag:a", 5);
  const Uuid run = NewRandomUuid();
  REQUIRE(t.Increment({"a"}, run) == Status::kOk);
  CHECK(t.Increment({"a"}, NewRandomUuid()) == Status::kTooManyLeases);
  CHECK(t.Active("tag:a") == 1);
  CHECK(t.Increment({"a"}, run) == Status::kOk);  // held already: no new lease
  CHECK(t.Active("tag:a") == 1);
  REQUIRE(t.Decrement({"a"}, run) == Status::kOk);
  CHECK(t.Increment({"a"}, NewRandomUuid()) == Status::kOk);
}

TEST_CASE("a reset whose override would pass max_leases changes nothing", "[capacity]") {
  TestEngine t(Caps(SIZE_MAX, 3));
  t.Create("tag:a", 10);
  const Uuid run = NewRandomUuid();
  REQUIRE(t.Increment({"a"}, run) == Status::kOk);
  const std::vector<Uuid> three = {NewRandomUuid(), NewRandomUuid(), NewRandomUuid()};
  CHECK(t.engine().ResetTagLimit("a", three) == Status::kTooManyLeases);
  LimitSnapshot after = t.Read("tag:a", /*with_holders=*/true);
  CHECK(after.active_slots == 1);
  CHECK(after.task_run_holders == std::vector<Uuid>{run});
  CHECK(t.engine().LeaseCount() == 1);
  const std::vector<Uuid> two(three.begin(), three.begin() + 2);
  CHECK(t.engine().ResetTagLimit("a", two) == Status::kOk);
  CHECK(t.Active("tag:a") == 2);
  CHECK(t.engine().LeaseCount() == 2);
}

TEST_CASE("racing lease takers never hold more than max_leases leases", "[capacity][concurrency]") {
  // A cap of 1: any two threads holding leases at once would break it.
  constexpr size_t kCap = 1;
  TestEngine t(Caps(SIZE_MAX, kCap));
  t.Create("a", 1000);
  Violations violations;
  std::atomic<int> refused{0};
  std::atomic<int64_t> held{0};
  RunThreads(kThreads, [&](int) {
    std::vector<std::string_view> names = {"a"};
    AcquireRequest request;
    request.names = names;
    request.lease = LeaseTerms{SecondsToMicros(60), std::nullopt};
    AcquireOutcome out;
    for (int i = 0; i < kIterations / 10; ++i) {
      Status status = t.engine().Acquire(request, &out);
      if (status == Status::kTooManyLeases) {
        refused.fetch_add(1);
        continue;
      }
      if (status != Status::kOk) {
        violations.Add(std::string("acquire: ") + StatusName(status));
        continue;
      }
      if (held.fetch_add(1) + 1 > static_cast<int64_t>(kCap)) {
        violations.Add("more leases held than the cap");
      }
      // Hold the lease until another thread has been refused (or a bound
      // passes), so the race is sure to contend even when the threads would
      // otherwise run one after another on a loaded machine.
      for (int spin = 0; refused.load() == 0 && spin < 100000; ++spin) std::this_thread::yield();
      held.fetch_sub(1);
      if (t.engine().ReleaseLease(out.lease_id) != Status::kOk) violations.Add("release failed");
    }
  });
  CHECK_NO_VIOLATIONS(violations);
  CHECK(t.engine().LeaseCount() == 0);
  CHECK(t.Active("a") == 0);
  // Eight threads on a cap of one overlap: some acquisitions were refused.
  CHECK(refused.load() > 0);
  // Room came back after the race: the cap is usable to the full.
  for (size_t i = 0; i < kCap; ++i) t.AcquireLease({"a"});
  CHECK(t.engine().LeaseCount() == kCap);
}

TEST_CASE("racing creators never make more than max_limits limits", "[capacity][concurrency]") {
  constexpr size_t kCap = 50;
  TestEngine t(Caps(kCap, SIZE_MAX));
  std::atomic<int> created{0};
  RunThreads(kThreads, [&](int thread) {
    NewLimit spec;
    spec.limit = 1;
    LimitSnapshot out;
    for (int i = 0; i < 40; ++i) {
      spec.name = "t" + std::to_string(thread) + "-" + std::to_string(i);
      if (t.engine().CreateLimit(spec, &out) == Status::kOk) created.fetch_add(1);
    }
  });
  CHECK(created.load() == static_cast<int>(kCap));
  CHECK(t.engine().LimitCount() == kCap);
  std::vector<LimitSnapshot> listed;
  t.engine().ListLimits("", 0, 1000, &listed);
  CHECK(listed.size() == kCap);
}

}  // namespace
}  // namespace slotd::test
