// The engine's invariants under many threads on few limits, v2 calls: a
// limit's active_slots never exceeds its limit, every slot taken comes back
// exactly once, and the counters return to zero.
#include <random>

#include "tests/engine/concurrency_test_support.h"

namespace slotd::test {
namespace {

TEST_CASE("racing acquires and releases, with and without leases, never exceed a limit",
          "[concurrency]") {
  TestEngine t(FewShards());
  const std::vector<std::string> names = {"a", "b", "c"};
  const std::vector<int64_t> limits = {2, 3, 1};
  for (size_t i = 0; i < names.size(); ++i) t.Create(names[i], limits[i]);
  HolderCounts holders(names, limits);
  Violations violations;
  std::atomic<int> taken{0}, locked{0};
  {
    Sampler sampler(t.engine(), names, violations);
    RunThreads(kThreads, [&](int index) {
      std::mt19937 rng(1234 + index);
      std::vector<std::string_view> request;
      std::vector<size_t> chosen;
      AcquireOutcome out;
      std::vector<LimitRef> released;
      for (int i = 0; i < kIterations; ++i) {
        int mask = std::uniform_int_distribution<int>(1, 7)(rng);
        const bool with_lease = rng() % 2 == 0;
        request.clear();
        chosen.clear();
        for (size_t n = 0; n < names.size(); ++n) {
          if (mask & (1 << n)) {
            request.push_back(names[n]);
            chosen.push_back(n);
          }
        }
        AcquireRequest acquire;
        acquire.names = request;
        acquire.slots = 1;
        if (with_lease) acquire.lease = LeaseTerms{};
        Status status = t.engine().Acquire(acquire, &out);
        if (status == Status::kLocked) {
          locked.fetch_add(1);
          continue;
        }
        if (status != Status::kOk) {
          violations.Add(std::string("Acquire: ") + StatusName(status));
          continue;
        }
        taken.fetch_add(1);
        for (size_t n : chosen) holders.Take(n, 1, violations);
        std::this_thread::yield();
        for (size_t n : chosen) holders.Give(n, 1);
        if (with_lease) {
          if (Status s = t.engine().RenewLease(out.lease_id, std::chrono::seconds(60));
              s != Status::kOk) {
            violations.Add(std::string("RenewLease: ") + StatusName(s));
          }
          if (Status s = t.engine().ReleaseLease(out.lease_id); s != Status::kOk) {
            violations.Add(std::string("ReleaseLease: ") + StatusName(s));
          }
        } else {
          ReleaseRequest release;
          release.names = request;
          release.slots = 1;
          release.occupancy_seconds = 1.0;
          violations.Expect("Release", t.engine().Release(release, &released));
        }
      }
    });
    sampler.Stop();
    CHECK(sampler.samples() > 0);
  }
  CHECK_NO_VIOLATIONS(violations);
  CHECK(taken.load() > 0);
  CHECK(taken.load() + locked.load() == kThreads * kIterations);
  for (const std::string& name : names) CHECK(t.Active(name) == 0);
  CHECK(t.engine().LeaseCount() == 0);
}

// One record per acquired lease: its id, published once written, and how many
// ReleaseLease calls on it succeeded.
struct LeaseRecord {
  Uuid id;
  std::atomic<bool> ready{false};
  std::atomic<int> released{0};
};

TEST_CASE("racing lease releasers, renewers and the expirer give every lease back exactly once",
          "[concurrency]") {
  TestEngine t(FewShards());
  const std::vector<std::string> names = {"a", "b"};
  t.Create("a", 2);
  t.Create("b", 3);
  const int max_leases = kThreads * kIterations;
  std::unique_ptr<LeaseRecord[]> records(new LeaseRecord[max_leases]);
  std::atomic<int> allocated{0};
  std::atomic<size_t> expired{0};
  std::atomic<bool> workers_done{false};
  Violations violations;
  {
    Sampler sampler(t.engine(), names, violations);
    // The expirer moves the clock a second at a time and sweeps; leases last
    // 20 to 60 s, so many expire while their owners still hold them.
    std::thread expirer([&] {
      while (!workers_done.load()) {
        t.clock().AdvanceSeconds(1);
        expired.fetch_add(t.engine().ExpireLeases());
        std::this_thread::yield();
      }
    });
    RunThreads(kThreads, [&](int index) {
      std::mt19937 rng(99 + index);
      AcquireOutcome out;
      const std::string_view pools[3][2] = {{"a", ""}, {"b", ""}, {"a", "b"}};
      for (int i = 0; i < kIterations; ++i) {
        int pick = static_cast<int>(rng() % 3);
        std::span<const std::string_view> request(pools[pick], pick == 2 ? 2 : 1);
        AcquireRequest acquire;
        acquire.names = request;
        acquire.lease = LeaseTerms{std::chrono::seconds(20 + rng() % 41), std::nullopt};
        Status status = t.engine().Acquire(acquire, &out);
        if (status != Status::kOk) continue;
        int slot = allocated.fetch_add(1);
        LeaseRecord& mine = records[slot];
        mine.id = out.lease_id;
        mine.ready.store(true, std::memory_order_release);
        switch (rng() % 4) {
          case 0:  // the owner releases
            if (t.engine().ReleaseLease(mine.id) == Status::kOk) mine.released.fetch_add(1);
            break;
          case 1:  // the owner renews (it may have expired already), then releases
            violations.Expect("RenewLease",
                              t.engine().RenewLease(mine.id, std::chrono::seconds(30)),
                              {Status::kOk, Status::kLeaseNotFound});
            if (t.engine().ReleaseLease(mine.id) == Status::kOk) mine.released.fetch_add(1);
            break;
          default:  // abandoned: left to expiry or to another thread
            break;
        }
        // Race another thread's lease: release a random published one.
        int other = static_cast<int>(rng() % static_cast<unsigned>(slot + 1));
        LeaseRecord& theirs = records[other];
        if (theirs.ready.load(std::memory_order_acquire) &&
            t.engine().ReleaseLease(theirs.id) == Status::kOk) {
          theirs.released.fetch_add(1);
        }
      }
    });
    workers_done.store(true);
    expirer.join();
    sampler.Stop();
  }
  // Everything left expires now.
  t.clock().AdvanceSeconds(3600);
  expired.fetch_add(t.engine().ExpireLeases());

  const int created = allocated.load();
  int released = 0;
  int released_twice = 0;
  for (int i = 0; i < created; ++i) {
    int n = records[i].released.load();
    released += n;
    if (n > 1) ++released_twice;
  }
  CHECK_NO_VIOLATIONS(violations);
  CHECK(created > 0);
  CHECK(released_twice == 0);
  CHECK(static_cast<size_t>(released) + expired.load() == static_cast<size_t>(created));
  CHECK(t.engine().LeaseCount() == 0);
  CHECK(t.Active("a") == 0);
  CHECK(t.Active("b") == 0);
}

TEST_CASE("deleting and recreating a limit while others hold it leaves no slot behind",
          "[concurrency]") {
  TestEngine t(FewShards());
  t.Create("a", 2);
  t.Create("b", 3);
  HolderCounts holders({"b"}, {3});  // b is never deleted, so its holders are known
  Violations violations;
  std::atomic<bool> workers_done{false};
  std::atomic<int> recreated{0};
  {
    Sampler sampler(t.engine(), {"a", "b"}, violations);
    std::thread churn([&] {
      LimitSnapshot snapshot;
      NewLimit spec;
      spec.name = "a";
      spec.limit = 2;
      while (!workers_done.load()) {
        // Only this thread deletes and creates "a", so it is always there.
        violations.Expect("DeleteLimit", t.engine().DeleteLimit(std::string_view("a")));
        if (t.engine().CreateLimit(spec, &snapshot) == Status::kOk) recreated.fetch_add(1);
        t.clock().AdvanceSeconds(1);
        t.engine().ExpireLeases();
        std::this_thread::yield();
      }
    });
    RunThreads(kThreads, [&](int index) {
      std::mt19937 rng(555 + index);
      const std::string_view both[] = {"a", "b"};
      AcquireOutcome out;
      std::vector<LimitRef> refs;
      for (int i = 0; i < kIterations; ++i) {
        const bool with_lease = rng() % 2 == 0;
        AcquireRequest acquire;
        acquire.names = both;
        // Long enough that the churn thread's clock never expires them here.
        if (with_lease) acquire.lease = LeaseTerms{std::chrono::hours(24 * 365), std::nullopt};
        if (t.engine().Acquire(acquire, &out) != Status::kOk) continue;
        bool holds_b = false;
        for (const LimitRef& ref : out.limits) holds_b = holds_b || ref.name == "b";
        if (!holds_b) violations.Add("acquired without b");
        holders.Take(0, 1, violations);
        holders.Give(0, 1);
        if (with_lease) {
          if (t.engine().ReleaseLease(out.lease_id) != Status::kOk) {
            violations.Add("a lease vanished");
          }
        } else {
          ReleaseRequest release;
          release.names = both;
          violations.Expect("Release", t.engine().Release(release, &refs));
        }
      }
    });
    workers_done.store(true);
    churn.join();
    sampler.Stop();
  }
  CHECK_NO_VIOLATIONS(violations);
  CHECK(recreated.load() > 0);
  CHECK(t.Active("a") == 0);
  CHECK(t.Active("b") == 0);
  CHECK(t.engine().LeaseCount() == 0);
  CHECK(t.engine().LimitCount() == 2);
}

// A lease release finds its limits by id (WithLimitById: the catalog's
// address and name hash, checked again under the shard lock); a rename moves
// the limit to another shard under both locks. Racing them must neither
// lose a release nor touch a limit through a stale address.
TEST_CASE(
    "releasing leases by id while their limit is renamed back and forth gives every slot back",
    "[concurrency]") {
  TestEngine t(FewShards());
  const Uuid id = t.Create("r0", 1000000).id;
  Violations violations;
  std::atomic<bool> workers_done{false};
  std::atomic<int> renames{0};
  std::atomic<int> released{0};
  std::thread churn([&] {
    int next = 1;
    while (!workers_done.load()) {
      LimitPatch patch;
      patch.name = "r" + std::to_string(next % 2);
      violations.Expect("UpdateLimit", t.engine().UpdateLimit(id, patch));
      renames.fetch_add(1);
      ++next;
      std::this_thread::yield();
    }
  });
  RunThreads(kThreads, [&](int index) {
    (void)index;
    AcquireOutcome out;
    for (int i = 0; i < kIterations; ++i) {
      // Under one of its two names, whichever it has now.
      Status status = Status::kNotFound;
      for (const char* name : {"r0", "r1", "r0"}) {
        const std::string_view names[] = {name};
        AcquireRequest acquire;
        acquire.names = names;
        acquire.lease = LeaseTerms{std::chrono::hours(1), std::nullopt};
        status = t.engine().Acquire(acquire, &out);
        if (status != Status::kNotFound) break;
      }
      if (status == Status::kNotFound) continue;  // renamed under each try
      if (status != Status::kOk) {
        violations.Add(std::string("Acquire: ") + StatusName(status));
        continue;
      }
      if (t.engine().RenewLease(out.lease_id, std::chrono::seconds(60)) != Status::kOk) {
        violations.Add("a lease could not be renewed");
      }
      if (t.engine().ReleaseLease(out.lease_id) != Status::kOk) {
        violations.Add("a lease vanished");
      } else {
        released.fetch_add(1);
      }
    }
  });
  workers_done.store(true);
  churn.join();
  CHECK_NO_VIOLATIONS(violations);
  CHECK(renames.load() > 0);
  CHECK(released.load() > 0);
  LimitSnapshot limit;
  REQUIRE(t.engine().ReadLimit(id, &limit) == Status::kOk);
  CHECK(limit.active_slots == 0);
  CHECK(t.engine().LeaseCount() == 0);
  CHECK(t.engine().LimitCount() == 1);
}

}  // namespace
}  // namespace slotd::test
