// Fair waiting: the wait line's order, each cause that wakes it, deadlines,
// cancellation, its bound and the no-starvation guarantee, on a manual clock.
#include <map>

#include "tests/engine/engine_test_support.h"

namespace slotd::test {
namespace {

// The waits a test started, by a name it gives each, and how they ended.
class Waits {
 public:
  explicit Waits(TestEngine& t) : t_(t) {}

  // A v2 acquisition that may wait until `seconds` from now.
  Status Acquire(const std::string& who, std::initializer_list<std::string_view> names,
                 int64_t slots = 1, double seconds = 60, bool lease = false) {
    std::vector<std::string_view> list(names);
    AcquireRequest request;
    request.names = list;
    request.slots = slots;
    if (lease) request.lease = LeaseTerms{};
    AcquireOutcome out;
    WaitId id = 0;
    const Status status = t_.engine().AcquireOrWait(request, &out, Terms(who, seconds), &id);
    if (status == Status::kWaiting) {
      ids_[who] = id;
    } else {
      ended_[who] = WaitResult{status, out, {}};
      order_.push_back(who);
    }
    return status;
  }

  // A v1 increment that may wait.
  Status Increment(const std::string& who, std::initializer_list<std::string_view> tags,
                   const Uuid& run, double seconds = 60) {
    std::vector<std::string_view> list(tags);
    TagIncrementOutcome out;
    WaitId id = 0;
    const Status status =
        t_.engine().IncrementByTaskRunOrWait(list, run, &out, Terms(who, seconds), &id);
    if (status == Status::kWaiting) {
      ids_[who] = id;
    } else {
      ended_[who] = WaitResult{status, {}, out};
      order_.push_back(who);
    }
    return status;
  }

  bool Cancel(const std::string& who) { return t_.engine().CancelWait(ids_.at(who)); }
  bool Ended(const std::string& who) const { return ended_.contains(who); }
  Status StatusOf(const std::string& who) const { return ended_.at(who).status; }
  const WaitResult& Result(const std::string& who) const { return ended_.at(who); }
  // Who ended, in the order they ended.
  const std::vector<std::string>& order() const { return order_; }

 private:
  WaitTerms Terms(const std::string& who, double seconds) {
    WaitTerms terms;
    terms.deadline = t_.Now() + SecondsToMicros(seconds);
    terms.done = [this, who](WaitResult result) {
      REQUIRE_FALSE(ended_.contains(who));  // each wait ends once
      ended_[who] = std::move(result);
      order_.push_back(who);
    };
    return terms;
  }

  TestEngine& t_;
  std::map<std::string, WaitId> ids_;
  std::map<std::string, WaitResult> ended_;
  std::vector<std::string> order_;
};

const Uuid kRunA = *ParseUuid("a1a1a1a1-0000-4000-8000-000000000001");
const Uuid kRunB = *ParseUuid("b1b1b1b1-0000-4000-8000-000000000002");

TEST_CASE("waiters on one limit are granted first come, first served", "[wait]") {
  TestEngine t;
  t.Create("db", 1);
  Waits w(t);
  REQUIRE(w.Acquire("holder", {"db"}) == Status::kOk);
  for (const char* who : {"w1", "w2", "w3", "w4"})
    REQUIRE(w.Acquire(who, {"db"}) == Status::kWaiting);
  CHECK(t.engine().WaiterCount() == 4);
  for (int i = 0; i < 4; ++i) {
    REQUIRE(t.Release({"db"}) == Status::kOk);
    CHECK(t.Active("db") == 1);  // the freed slot went straight to the next waiter
  }
  CHECK(w.order() == std::vector<std::string>{"holder", "w1", "w2", "w3", "w4"});
  CHECK(t.engine().WaiterCount() == 0);
}

TEST_CASE("a request arriving while others wait does not jump the line", "[wait]") {
  TestEngine t;
  t.Create("db", 1);
  Waits w(t);
  REQUIRE(w.Acquire("holder", {"db"}) == Status::kOk);
  REQUIRE(w.Acquire("w1", {"db"}) == Status::kWaiting);
  REQUIRE(t.Release({"db"}) == Status::kOk);
  CHECK(w.StatusOf("w1") == Status::kOk);
  // Full again; one that does not wait is refused as before.
  CHECK(t.Acquire({"db"}) == Status::kLocked);
}

TEST_CASE("granted waits are not denials, and a wait that times out is one", "[wait]") {
  TestEngine t;
  t.Create("db", 1);
  Waits w(t);
  REQUIRE(w.Acquire("holder", {"db"}) == Status::kOk);
  REQUIRE(w.Acquire("granted", {"db"}, 1, 10) == Status::kWaiting);
  CHECK(t.Denied("db") == 0);
  REQUIRE(t.Release({"db"}) == Status::kOk);
  CHECK(w.StatusOf("granted") == Status::kOk);
  CHECK(t.Denied("db") == 0);

  REQUIRE(w.Acquire("late", {"db"}, 1, 5) == Status::kWaiting);
  CHECK(t.engine().NextWaitDue() == t.Now() + SecondsToMicros(5));
  t.Advance(4.999);
  t.engine().ServiceWaits();
  CHECK_FALSE(w.Ended("late"));
  t.Advance(0.001);
  t.engine().ServiceWaits();
  REQUIRE(w.StatusOf("late") == Status::kLocked);
  CHECK(w.Result("late").acquire.retry_after_seconds > 0);
  CHECK(t.Denied("db") == 1);  // as a 423 counts
  CHECK(t.engine().NextWaitDue() == TimePoint::max());
}

TEST_CASE("each cause of free slots wakes the line", "[wait]") {
  TestEngine t;
  Waits w(t);
  SECTION("a v2 release") {
    t.Create("db", 1, 0, true, 1);
    REQUIRE(w.Acquire("w", {"db"}) == Status::kWaiting);
    REQUIRE(t.Release({"db"}) == Status::kOk);
  }
  SECTION("a lease released") {
    t.Create("db", 1);
    const Uuid lease = t.AcquireLease({"db"});
    REQUIRE(w.Acquire("w", {"db"}, 1, 60, /*lease=*/true) == Status::kWaiting);
    REQUIRE(t.engine().ReleaseLease(lease) == Status::kOk);
    REQUIRE(w.Ended("w"));
    CHECK(w.Result("w").acquire.lease_id != Uuid{});
  }
  SECTION("a lease expired") {
    t.Create("db", 1);
    t.AcquireLease({"db"}, 1, 30);
    REQUIRE(w.Acquire("w", {"db"}, 1, 60) == Status::kWaiting);
    t.Advance(30);
    REQUIRE(t.engine().ExpireLeases() == 1);
  }
  SECTION("a v1 decrement") {
    LimitSnapshot out;
    bool created = false;
    REQUIRE(t.engine().UpsertTagLimit("etl", 1, &out, &created) == Status::kOk);
    REQUIRE(t.Increment({"etl"}, kRunA) == Status::kOk);
    REQUIRE(w.Increment("w", {"etl"}, kRunB) == Status::kWaiting);
    REQUIRE(t.Decrement({"etl"}, kRunA) == Status::kOk);
    REQUIRE(w.Ended("w"));
    CHECK(t.Read("tag:etl", true).task_run_holders == std::vector<Uuid>{kRunB});
  }
  SECTION("a v1 reset") {
    LimitSnapshot out;
    bool created = false;
    REQUIRE(t.engine().UpsertTagLimit("etl", 1, &out, &created) == Status::kOk);
    REQUIRE(t.Increment({"etl"}, kRunA) == Status::kOk);
    REQUIRE(w.Increment("w", {"etl"}, kRunB) == Status::kWaiting);
    REQUIRE(t.engine().ResetTagLimit("etl", {}) == Status::kOk);
  }
  SECTION("a delete") {
    t.Create("db", 1, 0, true, 1);
    REQUIRE(w.Acquire("w", {"db"}) == Status::kWaiting);
    REQUIRE(t.engine().DeleteLimit(std::string_view("db")) == Status::kOk);
    REQUIRE(w.Ended("w"));
    CHECK(w.Result("w").acquire.limits.empty());  // as an unknown name is ignored
  }
  SECTION("a raised limit") {
    t.Create("db", 1, 0, true, 1);
    REQUIRE(w.Acquire("w", {"db"}) == Status::kWaiting);
    LimitPatch patch;
    patch.limit = 2;
    REQUIRE(t.engine().UpdateLimit(std::string_view("db"), patch) == Status::kOk);
    CHECK(t.Active("db") == 2);
  }
  SECTION("a limit made inactive") {
    t.Create("db", 1, 0, true, 1);
    REQUIRE(w.Acquire("w", {"db"}) == Status::kWaiting);
    LimitPatch patch;
    patch.active = false;
    REQUIRE(t.engine().UpdateLimit(std::string_view("db"), patch) == Status::kOk);
  }
  SECTION("decay, by the timer's due time") {
    t.Create("rate", 2, /*decay=*/4, true, 2);  // one slot frees every 0.25 s
    REQUIRE(w.Acquire("w", {"rate"}) == Status::kWaiting);
    const TimePoint due = t.engine().NextWaitDue();
    CHECK(due > t.Now());
    CHECK(due <= t.Now() + SecondsToMicros(0.25) + Micros(2));
    t.Advance(0.2);
    t.engine().ServiceWaits();
    CHECK_FALSE(w.Ended("w"));
    t.clock().Advance(due - t.Now());
    t.engine().ServiceWaits();
  }
  REQUIRE(w.Ended("w"));
  CHECK(w.StatusOf("w") == Status::kOk);
  CHECK(t.engine().WaiterCount() == 0);
}

TEST_CASE("a lowered limit ends the wait with the answer it now gets", "[wait]") {
  TestEngine t;
  t.Create("db", 2, 0, true, 2);
  Waits w(t);
  REQUIRE(w.Acquire("w", {"db"}, 2) == Status::kWaiting);
  LimitPatch patch;
  patch.limit = 1;
  REQUIRE(t.engine().UpdateLimit(std::string_view("db"), patch) == Status::kOk);
  CHECK(w.StatusOf("w") == Status::kSlotsExceedLimit);
}

TEST_CASE("a cancelled waiter leaves the line and never gets a slot", "[wait]") {
  TestEngine t;
  t.Create("db", 1, 0, true, 1);
  Waits w(t);
  REQUIRE(w.Acquire("gone", {"db"}) == Status::kWaiting);
  REQUIRE(w.Acquire("next", {"db"}) == Status::kWaiting);
  CHECK(w.Cancel("gone"));
  CHECK_FALSE(w.Cancel("gone"));
  REQUIRE(t.Release({"db"}) == Status::kOk);
  CHECK(w.order() == std::vector<std::string>{"next"});
  CHECK_FALSE(w.Cancel("next"));  // ended: its outcome was given
  CHECK(t.Active("db") == 1);
}

TEST_CASE("past max_waiters a request is refused as if it had not asked to wait", "[wait]") {
  TestOptions options;
  options.max_waiters = 2;
  TestEngine t(options);
  t.Create("db", 1, 0, true, 1);
  Waits w(t);
  REQUIRE(w.Acquire("w1", {"db"}) == Status::kWaiting);
  REQUIRE(w.Acquire("w2", {"db"}) == Status::kWaiting);
  REQUIRE(w.Acquire("w3", {"db"}) == Status::kLocked);
  CHECK(w.Result("w3").acquire.retry_after_seconds > 0);
  CHECK(t.Denied("db") == 1);
}

TEST_CASE("ending all waits refuses the waiters and later waits", "[wait]") {
  TestEngine t;
  t.Create("db", 1, 0, true, 1);
  Waits w(t);
  REQUIRE(w.Acquire("w1", {"db"}) == Status::kWaiting);
  REQUIRE(w.Increment("w2", {"nothing-here"}, kRunA) == Status::kOk);  // no such tag: granted
  t.engine().EndAllWaits();
  CHECK(w.StatusOf("w1") == Status::kLocked);
  CHECK(w.Acquire("w3", {"db"}) == Status::kLocked);
  CHECK(t.engine().WaiterCount() == 0);
}

// The guarantee: a waiter is overtaken at most max_overtakes times; after
// that, later requests wait behind it on its limits and it is granted as
// soon as its own limits have room.
TEST_CASE("a multi-limit waiter is overtaken at most max_overtakes times", "[wait]") {
  TestOptions options;
  options.max_overtakes = 3;
  TestEngine t(options);
  t.Create("a", 1);
  t.Create("b", 1, 0, true, 1);  // b is held: the two-limit request cannot go
  Waits w(t);
  REQUIRE(w.Acquire("both", {"a", "b"}) == Status::kWaiting);
  // a is free: a single-limit request goes ahead rather than leave it idle.
  for (int i = 0; i < 3; ++i) {
    REQUIRE(t.Acquire({"a"}) == Status::kOk);
    REQUIRE(t.Release({"a"}) == Status::kOk);
  }
  // The fourth would overtake a fourth time: it waits (or is refused).
  CHECK(t.Acquire({"a"}) == Status::kLocked);
  REQUIRE(w.Acquire("later", {"a"}) == Status::kWaiting);
  CHECK(t.Active("a") == 0);  // held back for "both"
  REQUIRE(t.Release({"b"}) == Status::kOk);
  CHECK(w.order() == std::vector<std::string>{"both"});
  REQUIRE(t.Release({"a", "b"}) == Status::kOk);
  CHECK(w.order() == std::vector<std::string>{"both", "later"});
}

TEST_CASE("only the slots a waiter needs are held back for it, and the rest stay in use",
          "[wait]") {
  TestOptions options;
  options.max_overtakes = 1;
  TestEngine t(options);
  t.Create("a", 3);
  t.Create("b", 1, 0, true, 1);
  Waits w(t);
  REQUIRE(w.Acquire("both", {"a", "b"}) == Status::kWaiting);
  REQUIRE(t.Acquire({"a"}) == Status::kOk);  // the one overtake it allows
  // "both" may be overtaken no more: one slot of a is held for it, the
  // other free one is still used.
  CHECK(t.Acquire({"a"}) == Status::kOk);
  CHECK(t.Acquire({"a"}) == Status::kLocked);
  CHECK(t.Active("a") == 2);
  REQUIRE(t.Release({"b"}) == Status::kOk);
  CHECK(w.StatusOf("both") == Status::kOk);
  CHECK(t.Active("a") == 3);
}

TEST_CASE("slots are held back only for waiters next in line where they lack room", "[wait]") {
  TestOptions options;
  options.max_overtakes = 0;  // every waiter may hold slots back at once
  TestEngine t(options);
  t.Create("db", 3);
  t.Create("gpu", 1, 0, true, 1);
  Waits w(t);
  for (const char* who : {"r1", "r2", "r3"}) {
    REQUIRE(w.Acquire(who, {"db", "gpu"}) == Status::kWaiting);
  }
  // Only r1 can have the gpu next: one db slot is held for it, not three.
  CHECK(t.Acquire({"db"}) == Status::kOk);
  CHECK(t.Acquire({"db"}) == Status::kOk);
  CHECK(t.Acquire({"db"}) == Status::kLocked);
  REQUIRE(t.Release({"gpu"}) == Status::kOk);
  CHECK(w.order() == std::vector<std::string>{"r1"});
  REQUIRE(t.Release({"db", "gpu"}) == Status::kOk);
  CHECK(w.order() == std::vector<std::string>{"r1", "r2"});
}

TEST_CASE("in strict order nothing goes ahead of an earlier waiter on its limits", "[wait]") {
  TestOptions options;
  options.strict_wait_order = true;
  TestEngine t(options);
  t.Create("db", 3);
  t.Create("gpu", 1, 0, true, 1);
  Waits w(t);
  REQUIRE(w.Acquire("r1", {"db", "gpu"}) == Status::kWaiting);
  REQUIRE(w.Acquire("r2", {"db", "gpu"}) == Status::kWaiting);
  CHECK(t.Acquire({"db"}) == Status::kOk);  // one slot beyond r1's and r2's
  CHECK(t.Acquire({"db"}) == Status::kLocked);
  CHECK(t.Acquire({"other"}) == Status::kOk);  // no such limit: nothing to wait for
  REQUIRE(t.Release({"gpu"}) == Status::kOk);
  CHECK(w.order() == std::vector<std::string>{"r1"});
}

TEST_CASE("single-limit waiters never starve a multi-limit one behind a busy limit", "[wait]") {
  // Three workers on a, three on b, one on a+b, all waiting, every holder
  // releasing at once in turn: the two-limit request is granted within
  // max_overtakes rounds.
  TestOptions options;
  options.max_overtakes = 2;
  TestEngine t(options);
  t.Create("a", 1, 0, true, 1);
  t.Create("b", 1, 0, true, 1);
  Waits w(t);
  REQUIRE(w.Acquire("both", {"a", "b"}) == Status::kWaiting);
  int rounds = 0;
  for (; rounds < 10 && !w.Ended("both"); ++rounds) {
    const std::string n = std::to_string(rounds);
    REQUIRE(w.Acquire("a" + n, {"a"}) == Status::kWaiting);
    REQUIRE(w.Acquire("b" + n, {"b"}) == Status::kWaiting);
    REQUIRE(t.Release({"a"}) == Status::kOk);
    REQUIRE(t.Release({"b"}) == Status::kOk);
  }
  CHECK(w.Ended("both"));
  CHECK(rounds <= 3);
}

TEST_CASE("a waiter needing more slots than are free does not hold up smaller ones for ever",
          "[wait]") {
  TestOptions options;
  options.max_overtakes = 1;
  TestEngine t(options);
  t.Create("db", 3, 0, true, 2);
  Waits w(t);
  REQUIRE(w.Acquire("two", {"db"}, 2) == Status::kWaiting);
  REQUIRE(w.Acquire("one", {"db"}) == Status::kOk);  // the free slot is used
  REQUIRE(w.Acquire("one-more", {"db"}) == Status::kWaiting);
  REQUIRE(t.Release({"db"}, 2) == Status::kOk);  // two free: "two" first
  CHECK(w.order() == std::vector<std::string>{"one", "two"});
}

}  // namespace
}  // namespace slotd::test

namespace slotd::test {

TEST_CASE("ReadWaiters lists a limit's waiters in arrival order with what they asked", "[wait]") {
  TestEngine t;
  t.Create("db", 1);
  t.Create("web", 1);
  t.Create("tag:etl", 1);
  Waits w(t);
  std::vector<LimitWaiter> waiters;
  t.engine().ReadWaiters("db", &waiters);
  CHECK(waiters.empty());
  REQUIRE(w.Acquire("holder", {"db"}) == Status::kOk);
  REQUIRE(w.Increment("v1 holder", {"etl"}, NewRandomUuid()) == Status::kOk);
  const TimePoint first = t.Now();
  REQUIRE(w.Acquire("w1", {"db", "web"}, 1, 60, /*lease=*/true) == Status::kWaiting);
  t.clock().AdvanceSeconds(1);
  REQUIRE(w.Acquire("w2", {"db"}, 1) == Status::kWaiting);
  REQUIRE(w.Increment("w3", {"etl"}, NewRandomUuid()) == Status::kWaiting);

  t.engine().ReadWaiters("db", &waiters);
  REQUIRE(waiters.size() == 2);
  CHECK(waiters[0].mode == WaitMode::kLease);
  CHECK(waiters[0].since == first);
  CHECK(waiters[0].limits == std::vector<std::string>{"db", "web"});
  CHECK(waiters[1].mode == WaitMode::kNoLease);
  CHECK(waiters[1].since == first + std::chrono::seconds(1));
  CHECK(waiters[1].slots == 1);
  t.engine().ReadWaiters("web", &waiters);
  CHECK(waiters.size() == 1);
  t.engine().ReadWaiters("tag:etl", &waiters);
  REQUIRE(waiters.size() == 1);
  CHECK(waiters[0].mode == WaitMode::kV1);
  CHECK(waiters[0].limits == std::vector<std::string>{"tag:etl"});
  t.engine().ReadWaiters("nothing", &waiters);
  CHECK(waiters.empty());

  EngineFigures figures;
  t.engine().ReadFigures(2, &figures);
  REQUIRE(figures.named.size() == 2);
  CHECK(figures.named[0].name == "db");
  CHECK(figures.named[0].waiters == 2);
  CHECK(figures.named[1].name == "tag:etl");
  CHECK(figures.named[1].waiters == 1);
  CHECK(figures.others[0].waiters == 1);  // web, summed

  REQUIRE(t.Release({"db"}) == Status::kOk);  // w1 is granted and leaves the line
  t.engine().ReadWaiters("db", &waiters);
  REQUIRE(waiters.size() == 1);
  CHECK(waiters[0].mode == WaitMode::kNoLease);
}

}  // namespace slotd::test
