// Monitoring: the engine's totals, its limits' figures (named and summed)
// and a limit's holders.
#include "tests/engine/engine_test_support.h"

namespace slotd::test {
namespace {

void UpsertTag(TestEngine& t, std::string_view tag, int64_t limit) {
  LimitSnapshot out;
  bool created = false;
  REQUIRE(t.engine().UpsertTagLimit(tag, limit, &out, &created) == Status::kOk);
}

const LimitFigures* Find(const EngineFigures& figures, std::string_view name) {
  for (const LimitFigures& limit : figures.named) {
    if (limit.name == name) return &limit;
  }
  return nullptr;
}

TEST_CASE("a new engine counts nothing", "[figures]") {
  TestEngine t;
  const EngineCounters counters = t.engine().Counters();
  CHECK(counters.acquisitions == 0);
  CHECK(counters.refusals == 0);
  CHECK(counters.releases == 0);
  CHECK(counters.expired_leases == 0);
  CHECK(counters.revoked_leases == 0);
}

TEST_CASE("granted and refused acquisitions are counted, v2 and v1 alike", "[figures]") {
  TestEngine t;
  t.Create("a", 2);
  UpsertTag(t, "t", 1);
  CHECK(t.Acquire({"a"}, 2) == Status::kOk);
  CHECK(t.Acquire({"a"}, 1) == Status::kLocked);
  CHECK(t.Acquire({"a"}, 3) == Status::kSlotsExceedLimit);  // neither
  t.AcquireLease({"ghost"});
  const Uuid run = NewRandomUuid();
  CHECK(t.Increment({"t"}, run) == Status::kOk);
  CHECK(t.Increment({"t"}, NewRandomUuid()) == Status::kLocked);
  const EngineCounters counters = t.engine().Counters();
  CHECK(counters.acquisitions == 3);
  CHECK(counters.refusals == 2);
  CHECK(counters.releases == 0);
}

TEST_CASE("releases count v2 decrements, lease releases and v1 decrements", "[figures]") {
  TestEngine t;
  t.Create("a", 5);
  UpsertTag(t, "t", 5);
  CHECK(t.Acquire({"a"}, 1) == Status::kOk);
  CHECK(t.Release({"a"}) == Status::kOk);
  const Uuid lease = t.AcquireLease({"a"});
  CHECK(t.engine().ReleaseLease(lease) == Status::kOk);
  CHECK(t.engine().ReleaseLease(lease) == Status::kLeaseNotFound);  // not counted
  const Uuid run = NewRandomUuid();
  CHECK(t.Increment({"t"}, run) == Status::kOk);
  CHECK(t.Decrement({"t"}, run) == Status::kOk);
  CHECK(t.Release({"a"}, 0) == Status::kInvalidValue);  // not counted
  CHECK(t.engine().Counters().releases == 3);
}

TEST_CASE("expired leases are counted when swept, revoked ones by v1 delete and reset",
          "[figures]") {
  TestEngine t;
  t.Create("a", 5);
  t.AcquireLease({"a"}, 1, /*duration_seconds=*/10);
  t.AcquireLease({"a"}, 1, /*duration_seconds=*/10);
  t.AcquireLease({"a"}, 1, /*duration_seconds=*/100);
  t.Advance(11);
  CHECK(t.engine().ExpireLeases() == 2);
  CHECK(t.engine().Counters().expired_leases == 2);

  UpsertTag(t, "t", 5);
  UpsertTag(t, "u", 5);
  CHECK(t.Increment({"t"}, NewRandomUuid()) == Status::kOk);
  CHECK(t.Increment({"t", "u"}, NewRandomUuid()) == Status::kOk);
  // The lease on t alone goes; the one on t and u keeps u.
  CHECK(t.engine().ResetTagLimit("t", {}) == Status::kOk);
  CHECK(t.engine().Counters().revoked_leases == 1);
  CHECK(t.engine().DeleteLimitAndRevokeLeases(std::string_view("tag:u")) == Status::kOk);
  CHECK(t.engine().Counters().revoked_leases == 2);
  CHECK(t.engine().Counters().expired_leases == 2);
}

TEST_CASE("figures show each limit's limit, slots after decay, denials, holders and flag",
          "[figures]") {
  TestEngine t;
  t.Create("b", 4, /*decay=*/1.0);
  t.Create("a", 3);
  t.Create("off", 2, 0, /*active=*/false);
  UpsertTag(t, "t", 1);
  CHECK(t.Acquire({"b"}, 4) == Status::kOk);
  CHECK(t.Acquire({"b"}, 1) == Status::kLocked);
  t.AcquireLease({"a"}, 2);
  t.AcquireLease({"a"}, 1);
  t.Advance(1.5);

  EngineFigures figures;
  t.engine().ReadFigures(100, &figures);
  std::vector<std::string> names;
  for (const LimitFigures& limit : figures.named) names.push_back(limit.name);
  CHECK(names == std::vector<std::string>{"a", "b", "off", "tag:t"});  // by name
  const LimitFigures* a = Find(figures, "a");
  const LimitFigures* b = Find(figures, "b");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->limit == 3);
  CHECK(a->active_slots == 3);
  CHECK(a->holders == 2);
  CHECK(b->active_slots == t.Active("b"));  // decayed, as a read shows it
  CHECK(b->active_slots == 3);
  CHECK(b->denied_slots == t.Denied("b"));
  CHECK(b->holders == 0);
  CHECK_FALSE(Find(figures, "off")->active);
  CHECK(Find(figures, "tag:t")->active);
  CHECK(figures.others[0].count == 0);
  CHECK(figures.others[1].count == 0);
}

TEST_CASE("figures past the cap are summed per kind, and the named ones come first by name",
          "[figures]") {
  TestEngine t;
  t.Create("c", 10);
  t.Create("a", 1);
  t.Create("b", 2, 0, /*active=*/false);
  t.Create("d", 20);
  UpsertTag(t, "x", 5);
  UpsertTag(t, "y", 6);
  CHECK(t.Acquire({"c", "d", "tag:x"}, 1) == Status::kOk);
  t.AcquireLease({"d"}, 3);

  EngineFigures figures;
  t.engine().ReadFigures(2, &figures);
  REQUIRE(figures.named.size() == 2);
  CHECK(figures.named[0].name == "a");
  CHECK(figures.named[1].name == "b");
  const EngineFigures::Sum& plain = figures.others[0];
  CHECK(plain.count == 2);
  CHECK(plain.active_count == 2);
  CHECK(plain.limit == 30);
  CHECK(plain.active_slots == 5);
  CHECK(plain.holders == 1);
  const EngineFigures::Sum& tags = figures.others[1];
  CHECK(tags.count == 2);
  CHECK(tags.limit == 11);
  CHECK(tags.active_slots == 1);

  t.engine().ReadFigures(0, &figures);
  CHECK(figures.named.empty());
  CHECK(figures.others[0].count + figures.others[1].count == t.engine().LimitCount());
}

TEST_CASE("summed figures of many limits at the largest count do not overflow", "[figures]") {
  TestEngine t;
  for (int i = 0; i < 2000; ++i) {
    t.Create("big" + std::to_string(i), kMaxSlotCount, 0, true, kMaxSlotCount);
  }
  EngineFigures figures;
  t.engine().ReadFigures(0, &figures);
  CHECK(figures.others[0].count == 2000);
  CHECK(figures.others[0].limit == Approx(2000.0 * static_cast<double>(kMaxSlotCount)));
  CHECK(figures.others[0].active_slots == Approx(2000.0 * static_cast<double>(kMaxSlotCount)));
}

TEST_CASE("a limit's holders are its live leases in the order they were taken", "[figures]") {
  TestEngine t;
  t.Create("a", 10);
  t.Create("other", 10);
  const Holder flow{HolderType::kFlowRun, NewRandomUuid()};
  const Uuid first = t.AcquireLease({"a"}, 2, 60, flow);
  const Uuid short_lived = t.AcquireLease({"a"}, 1, 5);
  t.AcquireLease({"other"}, 1);
  t.Advance(1);
  const Uuid last = t.AcquireLease({"a", "other"}, 3, 120, TaskRun(NewRandomUuid()));
  t.Advance(5);  // short_lived has expired, unswept
  CHECK(t.Read("a").active_slots == 6);

  std::vector<HolderLease> holders;
  REQUIRE(t.engine().ReadHolders("a", &holders) == Status::kOk);
  REQUIRE(holders.size() == 2);
  CHECK(holders[0].lease_id == first);
  CHECK(holders[0].holder == std::optional<Holder>(flow));
  CHECK(holders[0].slots == 2);
  CHECK(holders[0].created_at == kStart);
  CHECK(holders[0].expiration == kStart + std::chrono::seconds(60));
  CHECK(holders[1].lease_id == last);
  CHECK(holders[1].slots == 3);
  CHECK(holders[1].created_at == kStart + std::chrono::seconds(1));
  CHECK(holders[1].lease_id != short_lived);
}

TEST_CASE("holders of an unknown, invalid or too long name are NotFound", "[figures]") {
  TestOptions options;
  options.max_name_bytes = 8;
  TestEngine t(options);
  t.Create("a", 1);
  std::vector<HolderLease> holders;
  CHECK(t.engine().ReadHolders("nope", &holders) == Status::kNotFound);
  CHECK(t.engine().ReadHolders("a/b", &holders) == Status::kNotFound);
  CHECK(t.engine().ReadHolders(std::string(100000, 'a'), &holders) == Status::kNotFound);
  CHECK(t.engine().ReadHolders("a", &holders) == Status::kOk);
  CHECK(holders.empty());
}

}  // namespace
}  // namespace slotd::test
