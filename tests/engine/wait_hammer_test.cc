// The engine's invariants with waiting on, under many threads: never more
// holders than a limit, every wait ends exactly once (or is cancelled and
// never ends), a granted wait's slots come back, and everything returns to
// zero.
#include <random>

#include "tests/engine/concurrency_test_support.h"

namespace slotd::test {
namespace {

TEST_CASE("racing waits, grants, cancels and releases never exceed a limit or leak a slot",
          "[concurrency][wait]") {
  TestEngine t(FewShards());
  const std::vector<std::string> names = {"a", "b", "tag:t"};
  const std::vector<int64_t> limits = {2, 1, 2};
  for (size_t i = 0; i < names.size(); ++i) t.Create(names[i], limits[i]);
  HolderCounts holders(names, limits);
  Violations violations;
  std::atomic<int> granted_later{0}, cancelled{0};
  const int iterations = kIterations / 10;
  {
    Sampler sampler(t.engine(), names, violations);
    RunThreads(kThreads, [&](int index) {
      std::mt19937 rng(99 + index);
      for (int i = 0; i < iterations; ++i) {
        const int kind = static_cast<int>(rng() % 3);  // 0 v2, 1 v2 lease, 2 v1
        std::vector<std::string_view> request;
        std::vector<size_t> chosen;
        if (kind == 2) {
          request.push_back("t");
          chosen.push_back(2);
        } else {
          const int mask = std::uniform_int_distribution<int>(1, 3)(rng);
          for (size_t n = 0; n < 2; ++n) {
            if (mask & (1 << n)) {
              request.push_back(names[n]);
              chosen.push_back(n);
            }
          }
        }
        std::atomic<int> ended{0};
        WaitResult later;
        WaitTerms terms;
        terms.deadline = t.Now() + std::chrono::hours(1);  // the manual clock never gets there
        terms.done = [&](WaitResult result) {
          later = std::move(result);
          if (ended.fetch_add(1) != 0) violations.Add("a wait ended twice");
        };
        WaitId id = 0;
        Status status;
        AcquireOutcome out;
        TagIncrementOutcome tag_out;
        const Uuid run = NewRandomUuid();
        if (kind == 2) {
          status = t.engine().IncrementByTaskRunOrWait(request, run, &tag_out, terms, &id);
        } else {
          AcquireRequest acquire;
          acquire.names = request;
          if (kind == 1) acquire.lease = LeaseTerms{};
          status = t.engine().AcquireOrWait(acquire, &out, terms, &id);
        }
        if (status == Status::kWaiting) {
          if (rng() % 4 == 0 && t.engine().CancelWait(id)) {
            cancelled.fetch_add(1);
            continue;
          }
          while (ended.load() == 0) std::this_thread::yield();
          status = later.status;
          out = later.acquire;
          granted_later.fetch_add(1);
        }
        if (status != Status::kOk) {
          violations.Add(std::string("wait ended ") + StatusName(status));
          continue;
        }
        for (size_t n : chosen) holders.Take(n, 1, violations);
        std::this_thread::yield();
        for (size_t n : chosen) holders.Give(n, 1);
        std::vector<LimitRef> released;
        if (kind == 2) {
          violations.Expect("Decrement", t.engine().DecrementByTaskRun(request, run, &released));
        } else if (kind == 1) {
          violations.Expect("ReleaseLease", t.engine().ReleaseLease(out.lease_id));
        } else {
          ReleaseRequest release;
          release.names = request;
          violations.Expect("Release", t.engine().Release(release, &released));
        }
      }
    });
    sampler.Stop();
    CHECK(sampler.samples() > 0);
  }
  CHECK_NO_VIOLATIONS(violations);
  CHECK(granted_later.load() > 0);
  CHECK(cancelled.load() > 0);
  CHECK(t.engine().WaiterCount() == 0);
  CHECK(t.engine().LeaseCount() == 0);
  for (const std::string& name : names) CHECK(t.Active(name) == 0);
}

}  // namespace
}  // namespace slotd::test
