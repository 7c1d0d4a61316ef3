// The engine's invariants under many threads on few limits, v1 calls: one
// slot per task run and tag, never over the limit, resets exact.
#include <barrier>
#include <random>

#include "tests/engine/concurrency_test_support.h"

namespace slotd::test {
namespace {

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

TEST_CASE(
    "racing v1 increments and decrements never exceed a limit and take one slot per run "
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
          violations.Expect("DecrementByTaskRun",
                            t.engine().DecrementByTaskRun(request, run.id, &refs));
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
    for (const RunModel& run : thread_runs) {
      CHECK(t.engine().DecrementByTaskRun(all, run.id, &refs) == Status::kOk);
    }
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
    violations.Expect("ReadLimit", t.engine().ReadLimit(std::string_view("tag:a"), &snapshot));
    if (snapshot.active_slots != 1) {
      violations.Add("round " + std::to_string(round) + ": " +
                     std::to_string(snapshot.active_slots) + " slots for one run");
    }
    const std::string_view tag[] = {"a"};
    std::vector<LimitRef> refs;
    violations.Expect("DecrementByTaskRun", t.engine().DecrementByTaskRun(tag, run, &refs));
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
          violations.Expect("DecrementByTaskRun", t.engine().DecrementByTaskRun(tag, run, &refs));
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
    for (const Uuid& run : thread_runs) {
      CHECK(t.engine().DecrementByTaskRun(tag, run, &refs) == Status::kOk);
    }
  }
  for (const Uuid& run : override_runs) {
    CHECK(t.engine().DecrementByTaskRun(tag, run, &refs) == Status::kOk);
  }
  LimitSnapshot after = t.Read("tag:a", true);
  CHECK(after.active_slots == 0);
  CHECK(after.task_run_holders.empty());
}

}  // namespace
}  // namespace slotd::test
