// Faults: lease holders that never come back, and the sweeper, renewals,
// releases and deletions all racing on the same leases. Every lease's slots
// must come back exactly once: a long-held "anchor" lease keeps a known number
// of slots on each limit, so a slot freed twice shows as fewer than that.
#include <atomic>
#include <thread>
#include <vector>

#include "tests/engine/concurrency_test_support.h"

namespace slotd::test {
namespace {

constexpr int64_t kAnchorSlots = 3;
constexpr double kLeaseSeconds = 60;
constexpr int kLeases = 2000;

// kLeases one-slot leases on `names`, each expiring kLeaseSeconds from now.
std::vector<Uuid> TakeLeases(TestEngine& t, std::initializer_list<std::string_view> names) {
  std::vector<Uuid> leases;
  for (int i = 0; i < kLeases; ++i) leases.push_back(t.AcquireLease(names, 1, kLeaseSeconds));
  return leases;
}

TEST_CASE("a lease holder that never comes back gets its slots returned at expiry, once",
          "[faults]") {
  TestEngine t;
  t.Create("gone", 10);
  const Uuid anchor = t.AcquireLease({"gone"}, kAnchorSlots, 3600);
  const Uuid vanished = t.AcquireLease({"gone"}, 5, kLeaseSeconds);
  REQUIRE(t.Active("gone") == kAnchorSlots + 5);

  t.Advance(kLeaseSeconds - 1);
  CHECK(t.engine().ExpireLeases() == 0);
  CHECK(t.Active("gone") == kAnchorSlots + 5);

  t.Advance(1);
  CHECK(t.engine().ExpireLeases() == 1);
  CHECK(t.Active("gone") == kAnchorSlots);
  // The holder coming back late finds nothing to renew or release, and its
  // slots are not taken off a second time.
  CHECK(t.engine().RenewLease(vanished, SecondsToMicros(kLeaseSeconds)) == Status::kLeaseNotFound);
  CHECK(t.engine().ReleaseLease(vanished) == Status::kLeaseNotFound);
  CHECK(t.engine().ExpireLeases() == 0);
  CHECK(t.Active("gone") == kAnchorSlots);
  CHECK(t.engine().ReleaseLease(anchor) == Status::kOk);
  CHECK(t.Active("gone") == 0);
}

TEST_CASE("the sweeper racing renewals and releases of the same leases frees each once",
          "[faults][concurrency]") {
  TestEngine t(FewShards());
  t.Create("raced", kLeases + kAnchorSlots);
  const Uuid anchor = t.AcquireLease({"raced"}, kAnchorSlots, 1e6);
  const std::vector<Uuid> leases = TakeLeases(t, {"raced"});
  std::atomic<int64_t> released{0}, swept{0};
  Violations violations;
  Sampler sampler(t.engine(), {"raced"}, violations);

  // Thread 0 moves the clock past expirations and sweeps; the others renew
  // and release the same leases, each lease touched by several threads.
  RunThreads(kThreads, [&](int index) {
    if (index == 0) {
      for (int step = 0; step < 200; ++step) {
        t.Advance(kLeaseSeconds / 100);
        swept += static_cast<int64_t>(t.engine().ExpireLeases());
      }
      return;
    }
    for (int round = 0; round < 3; ++round) {
      for (size_t i = index; i < leases.size(); i += 2) {
        if ((i + round) % 3 == 0) {
          if (t.engine().ReleaseLease(leases[i]) == Status::kOk) ++released;
        } else {
          // Another thread may have released it, or the sweeper taken it.
          violations.Expect("RenewLease",
                            t.engine().RenewLease(leases[i], SecondsToMicros(kLeaseSeconds / 4)),
                            {Status::kOk, Status::kLeaseNotFound});
        }
      }
    }
  });
  sampler.Stop();
  t.Advance(kLeaseSeconds);
  swept += static_cast<int64_t>(t.engine().ExpireLeases());

  INFO("released " << released.load() << ", swept " << swept.load());
  CHECK_NO_VIOLATIONS(violations);
  CHECK(released.load() + swept.load() == kLeases);
  CHECK(t.Active("raced") == kAnchorSlots);
  CHECK(t.engine().LeaseCount() == 1);
  CHECK(t.engine().ReleaseLease(anchor) == Status::kOk);
  CHECK(t.Active("raced") == 0);
}

TEST_CASE("deleting a limit while its leases are renewed and released loses no slot elsewhere",
          "[faults][concurrency]") {
  TestEngine t(FewShards());
  t.Create("doomed", kLeases);
  t.Create("kept", kLeases + kAnchorSlots);
  const Uuid anchor = t.AcquireLease({"kept"}, kAnchorSlots, 1e6);
  const std::vector<Uuid> leases = TakeLeases(t, {"doomed", "kept"});
  std::atomic<int64_t> ended{0};
  std::atomic<bool> recreated{false};
  Violations violations;
  Sampler sampler(t.engine(), {"doomed", "kept"}, violations);

  // Thread 0 deletes "doomed" mid-way and creates a new limit of that name
  // holding kAnchorSlots; old leases must never touch the new limit.
  RunThreads(kThreads, [&](int index) {
    if (index == 0) {
      size_t i = 0;
      for (; i < leases.size() / 2; i += kThreads) {
        if (t.engine().ReleaseLease(leases[i]) == Status::kOk) ++ended;
      }
      if (t.engine().DeleteLimit(std::string_view("doomed")) != Status::kOk) {
        violations.Add("deleting doomed failed");
      }
      t.Create("doomed", kLeases);
      t.AcquireLease({"doomed"}, kAnchorSlots, 1e6);
      recreated = true;
      for (; i < leases.size(); i += kThreads) {
        if (t.engine().ReleaseLease(leases[i]) == Status::kOk) ++ended;
      }
      return;
    }
    for (size_t i = index; i < leases.size(); i += kThreads) {
      violations.Expect("RenewLease",
                        t.engine().RenewLease(leases[i], SecondsToMicros(kLeaseSeconds)),
                        {Status::kOk, Status::kLeaseNotFound});
      if (t.engine().ReleaseLease(leases[i]) == Status::kOk) ++ended;
    }
  });
  sampler.Stop();

  CHECK_NO_VIOLATIONS(violations);
  CHECK(recreated.load());
  CHECK(ended.load() == kLeases);
  CHECK(t.Active("kept") == kAnchorSlots);
  CHECK(t.Active("doomed") == kAnchorSlots);
  CHECK(t.engine().LeaseCount() == 2);
  CHECK(t.engine().ReleaseLease(anchor) == Status::kOk);
  CHECK(t.Active("kept") == 0);
}

TEST_CASE("a v1 delete racing renewals and releases revokes each lease once and frees the rest",
          "[faults][concurrency]") {
  TestEngine t(FewShards());
  t.Create("tag:doomed", kLeases);
  t.Create("kept", kLeases + kAnchorSlots);
  const Uuid anchor = t.AcquireLease({"kept"}, kAnchorSlots, 1e6);
  const std::vector<Uuid> leases = TakeLeases(t, {"tag:doomed", "kept"});
  std::atomic<int64_t> released{0};
  Violations violations;
  Sampler sampler(t.engine(), {"kept"}, violations);

  // Thread 0 deletes the tag limit mid-way, revoking whatever leases still
  // hold it; the others renew and release every lease. Each lease ends
  // exactly once, by its release or by the revocation, never both.
  RunThreads(kThreads, [&](int index) {
    if (index == 0) {
      for (int spin = 0; released.load() < kLeases / 4 && spin < 1000000; ++spin) {
        std::this_thread::yield();
      }
      violations.Expect("DeleteLimitAndRevokeLeases",
                        t.engine().DeleteLimitAndRevokeLeases(std::string_view("tag:doomed")));
      return;
    }
    for (size_t i = index; i < leases.size(); i += kThreads - 1) {
      violations.Expect("RenewLease",
                        t.engine().RenewLease(leases[i], SecondsToMicros(kLeaseSeconds)),
                        {Status::kOk, Status::kLeaseNotFound});
      const Status status = t.engine().ReleaseLease(leases[i]);
      if (status == Status::kOk) ++released;
      violations.Expect("ReleaseLease", status, {Status::kOk, Status::kLeaseNotFound});
    }
  });
  sampler.Stop();

  CHECK_NO_VIOLATIONS(violations);
  CHECK(released.load() <= kLeases);
  // Revoked or released, every lease is gone and its slot on "kept" is back.
  CHECK(t.engine().LeaseCount() == 1);
  CHECK(t.Active("kept") == kAnchorSlots);
  for (const Uuid& lease : leases) {
    CHECK(t.engine().RenewLease(lease, SecondsToMicros(kLeaseSeconds)) == Status::kLeaseNotFound);
  }
  CHECK(t.engine().ReleaseLease(anchor) == Status::kOk);
  CHECK(t.Active("kept") == 0);
}

}  // namespace
}  // namespace slotd::test
