// The engine's invariants under many threads on few limits: a limit's
// active_slots never exceeds its limit, every slot taken comes back exactly
// once, and the counters return to zero. Threads record violations in atomics;
// the assertions run on the test's own thread (Catch2 is not thread-safe).
#include <atomic>
#include <barrier>
#include <latch>
#include <mutex>
#include <random>
#include <thread>

#include "tests/engine/engine_test_support.h"

namespace slotd::test {
namespace {

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int kIterations = 10000;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
constexpr int kIterations = 10000;
#else
constexpr int kIterations = 50000;
#endif
#else
constexpr int kIterations = 50000;
#endif

constexpr int kThreads = 8;

// The first violation's description, and how many there were.
class Violations {
 public:
  void Add(std::string what) {
    if (count_.fetch_add(1) == 0) {
      std::lock_guard lock(mutex_);
      first_ = std::move(what);
    }
  }
  int count() const { return count_.load(); }
  std::string first() const {
    std::lock_guard lock(mutex_);
    return first_;
  }

 private:
  std::atomic<int> count_{0};
  mutable std::mutex mutex_;
  std::string first_;
};

#define CHECK_NO_VIOLATIONS(v)   \
  do {                           \
    INFO((v).first());           \
    CHECK((v).count() == 0);     \
  } while (false)

// Runs body(index) on `n` threads released together, and waits for them.
template <typename Body>
void RunThreads(int n, Body body) {
  std::latch start(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      body(i);
    });
  }
  for (std::thread& thread : threads) thread.join();
}

// Reads the named limits in a loop on its own thread until stopped, checking
// 0 <= active_slots <= limit on every snapshot. With `v1_only` (every slot is
// one v1 slot of a distinct task run), also active_slots >= the number of task
// run holders: a slot given back twice would show as fewer slots than holders.
class Sampler {
 public:
  Sampler(SlotEngine& engine, std::vector<std::string> names, Violations& violations,
          bool v1_only = false)
      : thread_([this, &engine, names = std::move(names), &violations, v1_only] {
          LimitSnapshot snapshot;
          while (!stop_.load()) {
            for (const std::string& name : names) {
              if (engine.ReadLimit(std::string_view(name), &snapshot, v1_only) != Status::kOk) {
                continue;
              }
              samples_.fetch_add(1);
              if (snapshot.active_slots < 0 || snapshot.active_slots > snapshot.limit) {
                violations.Add(name + ": active_slots " + std::to_string(snapshot.active_slots) +
                               " outside [0, " + std::to_string(snapshot.limit) + "]");
              }
              const auto holders = static_cast<int64_t>(snapshot.task_run_holders.size());
              if (v1_only && snapshot.active_slots < holders) {
                violations.Add(name + ": active_slots " + std::to_string(snapshot.active_slots) +
                               " below " + std::to_string(holders) + " holders");
              }
            }
            std::this_thread::yield();
          }
        }) {}
  ~Sampler() { Stop(); }
  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  int samples() const { return samples_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> samples_{0};
  std::thread thread_;
};

// Per-limit holder counts kept by the test: raised after a successful
// acquisition and lowered before the release, so each stays at or below the
// number the engine counts, and so at or below the limit.
struct HolderCounts {
  std::vector<std::string> names;
  std::vector<int64_t> limits;
  std::unique_ptr<std::atomic<int64_t>[]> held;

  HolderCounts(std::vector<std::string> n, std::vector<int64_t> l)
      : names(std::move(n)), limits(std::move(l)), held(new std::atomic<int64_t>[names.size()]) {
    for (size_t i = 0; i < names.size(); ++i) held[i].store(0);
  }
  void Take(size_t i, int64_t slots, Violations& v) {
    int64_t now = held[i].fetch_add(slots) + slots;
    if (now > limits[i]) {
      v.Add(names[i] + ": " + std::to_string(now) + " holders over limit " +
            std::to_string(limits[i]));
    }
  }
  void Give(size_t i, int64_t slots) { held[i].fetch_sub(slots); }
};

TestOptions FewShards() {
  TestOptions options;
  options.limit_shards = 4;
  options.lease_shards = 4;
  return options;
}

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
          t.engine().Release(release, &released);
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
            t.engine().RenewLease(mine.id, std::chrono::seconds(30));
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

// A thread's model of what its task runs hold: each run's leases, as bit
// masks over the tags (v1 increments take one lease per call).
struct RunModel {
  Uuid id = NewRandomUuid();
  std::vector<int> leases;
  int Held() const {
    int mask = 0;
    for (int lease : leases) mask |= lease;
    return mask;
  }
};

TEST_CASE("racing v1 increments and decrements never exceed a limit and take one slot per run "
          "and tag",
          "[concurrency]") {
  TestEngine t(FewShards());
  const std::vector<std::string> tags = {"a", "b", "c"};
  const std::vector<std::string> names = {"tag:a", "tag:b", "tag:c"};
  const std::vector<int64_t> limits = {2, 3, 1};
  for (size_t i = 0; i < names.size(); ++i) t.Create(names[i], limits[i]);
  HolderCounts holders(names, limits);
  Violations violations;
  // Each thread its own runs (each RunModel draws a fresh id).
  std::vector<std::vector<RunModel>> runs(kThreads);
  for (auto& thread_runs : runs) thread_runs.resize(3);
  {
    Sampler sampler(t.engine(), names, violations, /*v1_only=*/true);
    RunThreads(kThreads, [&](int index) {
      std::mt19937 rng(7 + index);
      std::vector<std::string_view> request;
      TagIncrementOutcome out;
      std::vector<LimitRef> refs;
      for (int i = 0; i < kIterations; ++i) {
        RunModel& run = runs[index][rng() % 3];
        int mask = std::uniform_int_distribution<int>(1, 7)(rng);
        request.clear();
        for (size_t n = 0; n < tags.size(); ++n) {
          if (mask & (1 << n)) request.push_back(tags[n]);
        }
        if (rng() % 2 == 0) {
          Status status = t.engine().IncrementByTaskRun(request, run.id, &out);
          if (status == Status::kLocked) continue;
          if (status != Status::kOk || out.limits.size() != request.size()) {
            violations.Add(std::string("IncrementByTaskRun: ") + StatusName(status));
            continue;
          }
          int fresh = mask & ~run.Held();
          for (size_t n = 0; n < tags.size(); ++n) {
            if (fresh & (1 << n)) holders.Take(n, 1, violations);
          }
          if (fresh) run.leases.push_back(fresh);
        } else {
          // Leases touching any named tag are released whole.
          std::erase_if(run.leases, [&](int lease) {
            if ((lease & mask) == 0) return false;
            for (size_t n = 0; n < tags.size(); ++n) {
              if (lease & (1 << n)) holders.Give(n, 1);
            }
            return true;
          });
          t.engine().DecrementByTaskRun(request, run.id, &refs);
        }
      }
    });
    sampler.Stop();
  }
  CHECK_NO_VIOLATIONS(violations);
  // At rest, each limit's count is exactly what the runs' models hold.
  for (size_t n = 0; n < names.size(); ++n) {
    int64_t held = 0;
    for (const auto& thread_runs : runs) {
      for (const RunModel& run : thread_runs) held += (run.Held() >> n) & 1;
    }
    CAPTURE(names[n]);
    CHECK(t.Active(names[n]) == held);
    CHECK(static_cast<int64_t>(t.Read(names[n], true).task_run_holders.size()) == held);
  }
  const std::vector<std::string_view> all(tags.begin(), tags.end());
  std::vector<LimitRef> refs;
  for (const auto& thread_runs : runs) {
    for (const RunModel& run : thread_runs) t.engine().DecrementByTaskRun(all, run.id, &refs);
  }
  for (const std::string& name : names) CHECK(t.Active(name) == 0);
  CHECK(t.engine().LeaseCount() == 0);
}

TEST_CASE("one task run incrementing a tag from many threads at once takes one slot",
          "[concurrency]") {
  TestEngine t(FewShards());
  t.Create("tag:a", 100);
  const int rounds = kIterations / 10;
  Violations violations;
  Uuid run = NewRandomUuid();  // written only by the barrier's completion step
  int round = 0;
  auto between_rounds = [&]() noexcept {
    LimitSnapshot snapshot;
    t.engine().ReadLimit(std::string_view("tag:a"), &snapshot);
    if (snapshot.active_slots != 1) {
      violations.Add("round " + std::to_string(round) + ": " +
                     std::to_string(snapshot.active_slots) + " slots for one run");
    }
    const std::string_view tag[] = {"a"};
    std::vector<LimitRef> refs;
    t.engine().DecrementByTaskRun(tag, run, &refs);
    run = NewRandomUuid();
    ++round;
  };
  std::barrier sync(kThreads, between_rounds);
  RunThreads(kThreads, [&](int) {
    const std::string_view tag[] = {"a"};
    TagIncrementOutcome out;
    for (int i = 0; i < rounds; ++i) {
      if (t.engine().IncrementByTaskRun(tag, run, &out) != Status::kOk) {
        violations.Add("IncrementByTaskRun refused");
      }
      sync.arrive_and_wait();
    }
  });
  CHECK_NO_VIOLATIONS(violations);
  CHECK(round == rounds);
  CHECK(t.Active("tag:a") == 0);
  CHECK(t.engine().LeaseCount() == 0);
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
        t.engine().DeleteLimit(std::string_view("a"));
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
          t.engine().Release(release, &refs);
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

TEST_CASE("resets racing v1 increments and decrements keep the count equal to the holders",
          "[concurrency]") {
  TestEngine t(FewShards());
  t.Create("tag:a", 3);
  const Uuid override_runs[] = {NewRandomUuid(), NewRandomUuid()};
  Violations violations;
  std::atomic<bool> workers_done{false};
  std::vector<std::vector<Uuid>> runs(kThreads);
  for (auto& thread_runs : runs) thread_runs = {NewRandomUuid(), NewRandomUuid()};
  {
    Sampler sampler(t.engine(), {"tag:a"}, violations, /*v1_only=*/true);
    std::thread resetter([&] {
      size_t n = 0;
      while (!workers_done.load()) {
        std::span<const Uuid> overrides(override_runs, n++ % 3);  // 0, 1 or 2 ids
        if (t.engine().ResetTagLimit("a", overrides) != Status::kOk) violations.Add("reset failed");
        std::this_thread::yield();
      }
    });
    RunThreads(kThreads, [&](int index) {
      std::mt19937 rng(31 + index);
      const std::string_view tag[] = {"a"};
      TagIncrementOutcome out;
      std::vector<LimitRef> refs;
      for (int i = 0; i < kIterations; ++i) {
        const Uuid& run = runs[index][rng() % 2];
        if (rng() % 2 == 0) {
          Status status = t.engine().IncrementByTaskRun(tag, run, &out);
          if (status != Status::kOk && status != Status::kLocked) {
            violations.Add(std::string("IncrementByTaskRun: ") + StatusName(status));
          }
        } else {
          t.engine().DecrementByTaskRun(tag, run, &refs);
        }
      }
    });
    workers_done.store(true);
    resetter.join();
    sampler.Stop();
  }
  CHECK_NO_VIOLATIONS(violations);
  LimitSnapshot at_rest = t.Read("tag:a", true);
  CHECK(at_rest.active_slots == static_cast<int64_t>(at_rest.task_run_holders.size()));
  const std::string_view tag[] = {"a"};
  std::vector<LimitRef> refs;
  for (const auto& thread_runs : runs) {
    for (const Uuid& run : thread_runs) t.engine().DecrementByTaskRun(tag, run, &refs);
  }
  for (const Uuid& run : override_runs) t.engine().DecrementByTaskRun(tag, run, &refs);
  LimitSnapshot after = t.Read("tag:a", true);
  CHECK(after.active_slots == 0);
  CHECK(after.task_run_holders.empty());
}

}  // namespace
}  // namespace slotd::test
