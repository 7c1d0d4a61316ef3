// Leases: acquire with a lease, read, renew, release, expiry, the sweeper,
// and how deleting a limit leaves its leases.
#include <algorithm>
#include <thread>

#include "tests/engine/engine_test_support.h"

namespace slotd::test {
namespace {

TEST_CASE("an acquisition with a lease records the lease's limits, slots, holder and times",
          "[leases]") {
  TestEngine t;
  LimitSnapshot a = t.Create("a", 5);
  LimitSnapshot b = t.Create("b", 5);
  t.Create("off", 5, 0, /*active=*/false);
  const Holder holder{HolderType::kFlowRun, NewRandomUuid()};
  AcquireOutcome out;
  LeaseTerms terms;
  terms.duration = std::chrono::seconds(120);
  terms.holder = holder;
  REQUIRE(t.Acquire({"a", "off", "b"}, 2, &out, AcquireMode::kConcurrency, terms) == Status::kOk);
  CHECK(out.lease_id.version() == Uuid::version_random_number_based);
  CHECK(NamesOf(out.limits) == std::vector<std::string>{"a", "off", "b"});

  LeaseSnapshot lease;
  REQUIRE(t.engine().ReadLease(out.lease_id, &lease) == Status::kOk);
  CHECK(lease.id == out.lease_id);
  std::vector<Uuid> ids = lease.limit_ids;
  std::sort(ids.begin(), ids.end());
  std::vector<Uuid> expected = {a.id, b.id};  // the active limits only
  std::sort(expected.begin(), expected.end());
  CHECK(ids == expected);
  CHECK(lease.slots == 2);
  CHECK(lease.holder == std::optional<Holder>(holder));
  CHECK(lease.created_at == kStart);
  CHECK(lease.expiration == kStart + std::chrono::seconds(120));
  CHECK(t.Active("a") == 2);
  CHECK(t.Active("b") == 2);
  CHECK(t.engine().LeaseCount() == 1);
}

TEST_CASE("a lease acquired with no existing limit still gets an id and holds nothing",
          "[leases]") {
  TestEngine t;
  AcquireOutcome out;
  REQUIRE(t.Acquire({"ghost"}, 1, &out, AcquireMode::kConcurrency, LeaseTerms{}) == Status::kOk);
  CHECK(out.limits.empty());
  CHECK_FALSE(out.lease_id.is_nil());
  LeaseSnapshot lease;
  REQUIRE(t.engine().ReadLease(out.lease_id, &lease) == Status::kOk);
  CHECK(lease.limit_ids.empty());
  CHECK(lease.expiration == kStart + std::chrono::seconds(300));  // the default duration
  CHECK(t.engine().RenewLease(out.lease_id, std::chrono::seconds(60)) == Status::kOk);
  CHECK(t.engine().ReleaseLease(out.lease_id) == Status::kOk);
}

TEST_CASE("a refused acquisition with a lease creates no lease", "[leases]") {
  TestEngine t;
  t.Create("full", 1, 0, true, 1);
  AcquireOutcome out;
  CHECK(t.Acquire({"full"}, 1, &out, AcquireMode::kConcurrency, LeaseTerms{}) == Status::kLocked);
  CHECK(t.engine().LeaseCount() == 0);
}

TEST_CASE("reading or renewing an unknown lease is LeaseNotFound", "[leases]") {
  TestEngine t;
  LeaseSnapshot lease;
  CHECK(t.engine().ReadLease(NewRandomUuid(), &lease) == Status::kLeaseNotFound);
  CHECK(t.engine().RenewLease(NewRandomUuid(), std::chrono::seconds(60)) == Status::kLeaseNotFound);
  CHECK(t.engine().ReleaseLease(NewRandomUuid()) == Status::kLeaseNotFound);
}

TEST_CASE("renewing a lease sets its expiration to now plus the duration", "[leases]") {
  TestEngine t;
  t.Create("a", 1);
  Uuid id = t.AcquireLease({"a"}, 1, /*duration_seconds=*/60);
  t.Advance(50);
  REQUIRE(t.engine().RenewLease(id, std::chrono::seconds(60)) == Status::kOk);
  LeaseSnapshot lease;
  REQUIRE(t.engine().ReadLease(id, &lease) == Status::kOk);
  CHECK(lease.expiration == t.Now() + std::chrono::seconds(60));
  t.Advance(50);  // past the first expiration, before the renewed one
  CHECK(t.engine().ExpireLeases() == 0);
  CHECK(t.engine().ReadLease(id, &lease) == Status::kOk);
  CHECK(t.Active("a") == 1);
}

TEST_CASE("each renewal of a lease is counted, and the holders read shows the count", "[leases]") {
  TestEngine t;
  t.Create("a", 2);
  const Uuid renewed = t.AcquireLease({"a"}, 1, /*duration_seconds=*/60);
  const Uuid other = t.AcquireLease({"a"}, 1, /*duration_seconds=*/60);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(t.engine().RenewLease(renewed, std::chrono::seconds(60)) == Status::kOk);
  }
  CHECK(t.engine().RenewLease(renewed, std::chrono::seconds(0)) == Status::kInvalidValue);
  LeaseSnapshot lease;
  REQUIRE(t.engine().ReadLease(renewed, &lease) == Status::kOk);
  CHECK(lease.renewals == 3);
  std::vector<HolderLease> holders;
  REQUIRE(t.engine().ReadHolders("a", &holders) == Status::kOk);
  REQUIRE(holders.size() == 2);
  CHECK(holders[0].lease_id == renewed);
  CHECK(holders[0].renewals == 3);
  CHECK(holders[1].lease_id == other);
  CHECK(holders[1].renewals == 0);
}

TEST_CASE("an expired lease cannot be renewed or read even before it is swept", "[leases]") {
  TestEngine t;
  t.Create("a", 1);
  Uuid id = t.AcquireLease({"a"}, 1, 60);
  t.Advance(60.000001);
  CHECK(t.engine().RenewLease(id, std::chrono::seconds(300)) == Status::kLeaseNotFound);
  LeaseSnapshot lease;
  CHECK(t.engine().ReadLease(id, &lease) == Status::kLeaseNotFound);
}

TEST_CASE("releasing a lease gives its slots back and records occupancy since creation",
          "[leases]") {
  TestEngine t;
  t.Create("one", 1);
  t.Create("four", 4);
  Uuid id = t.AcquireLease({"one", "four"}, 1);
  t.Advance(7);
  REQUIRE(t.engine().ReleaseLease(id) == Status::kOk);
  CHECK(t.Active("one") == 0);
  CHECK(t.Active("four") == 0);
  CHECK(t.AvgOccupancy("one") == Approx(2 + 7.0 / 2 - 2.0 / 2));  // 4.5
  CHECK(t.AvgOccupancy("four") == Approx(2 + 7.0 / 8 - 2.0 / 8));
  CHECK(t.Read("one").updated == t.Now());
  CHECK(t.engine().LeaseCount() == 0);
}

TEST_CASE("a lease of several slots records occupancy per slot", "[leases]") {
  TestEngine t;
  t.Create("four", 4);
  Uuid id = t.AcquireLease({"four"}, 2);
  t.Advance(7);
  REQUIRE(t.engine().ReleaseLease(id) == Status::kOk);
  // per_slot = 7 / 2 = 3.5; avg = 2 + 3.5/8 - 2/8
  CHECK(t.AvgOccupancy("four") == Approx(2.1875));
}

TEST_CASE("a released lease is LeaseNotFound on a second release and gives nothing back twice",
          "[leases]") {
  TestEngine t;
  t.Create("a", 2);
  Uuid first = t.AcquireLease({"a"});
  t.AcquireLease({"a"});
  REQUIRE(t.engine().ReleaseLease(first) == Status::kOk);
  CHECK(t.engine().ReleaseLease(first) == Status::kLeaseNotFound);
  CHECK(t.Active("a") == 1);
  LeaseSnapshot lease;
  CHECK(t.engine().ReadLease(first, &lease) == Status::kLeaseNotFound);
  CHECK(t.engine().RenewLease(first, std::chrono::seconds(60)) == Status::kLeaseNotFound);
}

TEST_CASE("releasing an expired, unswept lease releases it as at its expiration", "[leases]") {
  TestEngine t;
  t.Create("one", 1);
  Uuid id = t.AcquireLease({"one"}, 1, 60);
  t.Advance(100);
  REQUIRE(t.engine().ReleaseLease(id) == Status::kOk);
  CHECK(t.Active("one") == 0);
  CHECK(t.AvgOccupancy("one") == Approx(2 + 60.0 / 2 - 2.0 / 2));  // occupancy 60, not 100
  CHECK(t.engine().ExpireLeases() == 0);
}

TEST_CASE("expiring leases releases exactly those past expiration, occupancy to expiration",
          "[leases]") {
  TestEngine t;
  t.Create("one", 1);
  t.Create("many", 10);
  Uuid short_lease = t.AcquireLease({"one"}, 1, 60);
  Uuid long_lease = t.AcquireLease({"many"}, 3, 600);
  t.Advance(59);
  CHECK(t.engine().ExpireLeases() == 0);
  t.Advance(41);
  CHECK(t.engine().ExpireLeases() == 1);
  CHECK(t.Active("one") == 0);
  CHECK(t.AvgOccupancy("one") == Approx(31.0));  // 2 + 60/2 - 2/2
  CHECK(t.Active("many") == 3);
  CHECK(t.engine().LeaseCount() == 1);
  CHECK(t.engine().ReleaseLease(short_lease) == Status::kLeaseNotFound);
  LeaseSnapshot lease;
  CHECK(t.engine().ReadLease(long_lease, &lease) == Status::kOk);
  CHECK(t.engine().ExpireLeases() == 0);
}

TEST_CASE("a lease expiring exactly now is expired", "[leases]") {
  TestEngine t;
  t.Create("a", 1);
  Uuid id = t.AcquireLease({"a"}, 1, 60);
  t.Advance(60);
  LeaseSnapshot lease;
  CHECK(t.engine().ReadLease(id, &lease) == Status::kLeaseNotFound);
  CHECK(t.engine().ExpireLeases() == 1);
  CHECK(t.Active("a") == 0);
}

TEST_CASE("the task run holders of a limit exclude expired leases and other holder types",
          "[leases]") {
  TestEngine t;
  t.Create("tag:t", 10);
  Uuid early = NewRandomUuid();
  Uuid late = NewRandomUuid();
  t.AcquireLease({"tag:t"}, 1, 60, TaskRun(early));
  t.AcquireLease({"tag:t"}, 1, 600, TaskRun(late));
  t.AcquireLease({"tag:t"}, 1, 600, Holder{HolderType::kFlowRun, NewRandomUuid()});
  t.AcquireLease({"tag:t"}, 1, 600, Holder{HolderType::kDeployment, NewRandomUuid()});
  t.AcquireLease({"tag:t"}, 1, 600);
  std::vector<Uuid> both = {early, late};  // in lease order
  CHECK(t.Read("tag:t", /*with_holders=*/true).task_run_holders == both);
  CHECK(t.Read("tag:t").task_run_holders.empty());  // only when asked for
  t.Advance(61);                                    // early's lease expired, not swept
  CHECK(t.Read("tag:t", true).task_run_holders == std::vector<Uuid>{late});
  std::vector<LimitSnapshot> list;
  t.engine().ListLimits("tag:", 0, 10, &list, /*with_holders=*/true);
  REQUIRE(list.size() == 1);
  CHECK(list[0].task_run_holders == std::vector<Uuid>{late});
}

TEST_CASE("a task run holding a limit through two leases is listed once", "[leases]") {
  TestEngine t;
  t.Create("tag:t", 10);
  Uuid run = NewRandomUuid();
  t.AcquireLease({"tag:t"}, 1, 600, TaskRun(run));
  t.AcquireLease({"tag:t"}, 1, 600, TaskRun(run));
  CHECK(t.Read("tag:t", true).task_run_holders == std::vector<Uuid>{run});
}

TEST_CASE("deleting a limit drops it from its leases, which stay renewable and releasable",
          "[leases]") {
  TestEngine t;
  LimitSnapshot a = t.Create("a", 5);
  LimitSnapshot b = t.Create("b", 5);
  Uuid id = t.AcquireLease({"a", "b"}, 2);
  REQUIRE(t.engine().DeleteLimit(std::string_view("a")) == Status::kOk);
  LeaseSnapshot lease;
  REQUIRE(t.engine().ReadLease(id, &lease) == Status::kOk);
  CHECK(lease.limit_ids == std::vector<Uuid>{b.id});
  CHECK(t.engine().RenewLease(id, std::chrono::seconds(600)) == Status::kOk);
  t.Advance(5);
  CHECK(t.engine().ReleaseLease(id) == Status::kOk);
  CHECK(t.Active("b") == 0);
  CHECK(t.engine().LeaseCount() == 0);
}

TEST_CASE("a lease whose every limit was deleted stays until released", "[leases]") {
  TestEngine t;
  t.Create("a", 5);
  Uuid id = t.AcquireLease({"a"}, 1, 60);
  REQUIRE(t.engine().DeleteLimit(std::string_view("a")) == Status::kOk);
  LeaseSnapshot lease;
  REQUIRE(t.engine().ReadLease(id, &lease) == Status::kOk);
  CHECK(lease.limit_ids.empty());
  CHECK(t.engine().RenewLease(id, std::chrono::seconds(60)) == Status::kOk);
  CHECK(t.engine().LeaseCount() == 1);
  CHECK(t.engine().ReleaseLease(id) == Status::kOk);
  CHECK(t.engine().ReleaseLease(id) == Status::kLeaseNotFound);
}

TEST_CASE("a lease of a deleted limit gives nothing to a new limit of the same name", "[leases]") {
  TestEngine t;
  t.Create("a", 5);
  Uuid old_lease = t.AcquireLease({"a"}, 2);
  REQUIRE(t.engine().DeleteLimit(std::string_view("a")) == Status::kOk);
  t.Create("a", 5);
  REQUIRE(t.Acquire({"a"}, 3) == Status::kOk);
  REQUIRE(t.engine().ReleaseLease(old_lease) == Status::kOk);
  CHECK(t.Active("a") == 3);
}

TEST_CASE("a lease follows its limit through a rename", "[leases]") {
  TestEngine t;
  t.Create("a", 5);
  Uuid id = t.AcquireLease({"a"}, 2);
  LimitPatch patch;
  patch.name = "renamed";
  REQUIRE(t.engine().UpdateLimit(std::string_view("a"), patch) == Status::kOk);
  REQUIRE(t.engine().ReleaseLease(id) == Status::kOk);
  CHECK(t.Active("renamed") == 0);
}

TEST_CASE("the sweeper releases expired leases in the background", "[leases][sweeper]") {
  TestEngine t;
  t.Create("a", 3);
  t.AcquireLease({"a"}, 1, 60);
  t.AcquireLease({"a"}, 1, 60);
  t.AcquireLease({"a"}, 1, 6000);
  t.engine().StartSweeper(std::chrono::milliseconds(1));
  t.engine().StartSweeper(std::chrono::milliseconds(1));  // a second start restarts it
  t.Advance(61);
  // The only place real time passes: poll, bounded, for the sweep.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (t.engine().LeaseCount() > 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  t.engine().StopSweeper();
  CHECK(t.engine().LeaseCount() == 1);
  CHECK(t.Active("a") == 1);
}

TEST_CASE("an engine destroyed with its sweeper running stops it", "[leases][sweeper]") {
  TestEngine t;
  t.engine().StartSweeper(std::chrono::milliseconds(1));
  // ~TestEngine joins the sweeper; a hang here fails by timeout.
  SUCCEED();
}

TEST_CASE("stopping a sweeper that never started does nothing", "[leases][sweeper]") {
  TestEngine t;
  t.engine().StopSweeper();
  t.engine().StopSweeper();
  SUCCEED();
}

TEST_CASE("starting and stopping the sweeper from many threads at once is safe", "[leases]") {
  TestEngine t;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&t] {
      for (int round = 0; round < 50; ++round) {
        t.engine().StartSweeper(std::chrono::milliseconds(1));
        if (round % 2 == 1) t.engine().StopSweeper();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  t.engine().StopSweeper();
  SUCCEED("no thread joined the sweeper twice or overwrote a running one");
}

}  // namespace
}  // namespace slotd::test
