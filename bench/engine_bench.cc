// Benchmarks of the engine's slot hot paths: acquire and release with and
// without a lease, on one limit and on three at once, and the v1 increment and
// decrement by task run. Each runs at one and two threads, with every thread
// on limits of its own ("own_*") or all threads on the same limits
// ("shared_*"). One iteration is one take-and-give-back pair, so
// items_per_second reads as pairs per second over all threads.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/slot_engine.h"

namespace slotd::bench {
namespace {

// Large enough that no benchmark is ever refused: they measure granting.
constexpr int64_t kAmpleLimit = 1'000'000;

enum class Placement { kOwnLimits, kSharedLimits };

// The three limit names a thread uses (the single-limit benchmarks use the
// first). The v1 benchmarks use the first as a bare tag (limit "tag:<name>").
std::array<std::string, 3> LimitNames(Placement placement, int thread_index) {
  std::string base =
      placement == Placement::kSharedLimits ? "shared" : "own" + std::to_string(thread_index);
  return {base + "-a", base + "-b", base + "-c"};
}

// The engine all threads of a run share. SetUpEngine runs once per run before
// any of its threads start and TearDownEngine once after they all finish
// (Benchmark::Setup/Teardown), so the threads only ever read this pointer.
std::unique_ptr<SlotEngine> g_engine;

void CreateAmpleLimit(const std::string& name) {
  LimitSnapshot created;
  Status status = g_engine->CreateLimit(NewLimit{.name = name, .limit = kAmpleLimit}, &created);
  if (status != Status::kOk && status != Status::kNameTaken) std::abort();
}

void CreateAmpleTagLimit(const std::string& tag) {
  LimitSnapshot snapshot;
  bool created = false;
  if (g_engine->UpsertTagLimit(tag, kAmpleLimit, &snapshot, &created) != Status::kOk) std::abort();
}

void SetUpEngine(const benchmark::State& state) {
  g_engine = std::make_unique<SlotEngine>();
  for (Placement placement : {Placement::kOwnLimits, Placement::kSharedLimits}) {
    for (int thread = 0; thread < state.threads(); ++thread) {
      const auto names = LimitNames(placement, thread);
      for (const std::string& name : names) CreateAmpleLimit(name);
      CreateAmpleTagLimit(names[0]);
    }
  }
}

void TearDownEngine(const benchmark::State&) { g_engine.reset(); }

// The calling thread's limit names, as the views the engine's requests take.
class ThreadLimits {
 public:
  ThreadLimits(Placement placement, const benchmark::State& state)
      : names_(LimitNames(placement, state.thread_index())),
        views_{names_[0], names_[1], names_[2]} {}
  ThreadLimits(const ThreadLimits&) = delete;
  ThreadLimits& operator=(const ThreadLimits&) = delete;

  std::span<const std::string_view> First(size_t count) const { return {views_.data(), count}; }

 private:
  std::array<std::string, 3> names_;
  std::array<std::string_view, 3> views_;
};

// Acquire one slot on `limit_count` limits without a lease, then Release it.
void BM_AcquireRelease(benchmark::State& state, Placement placement, size_t limit_count) {
  ThreadLimits limits(placement, state);
  AcquireRequest acquire;
  acquire.names = limits.First(limit_count);
  ReleaseRequest release;
  release.names = limits.First(limit_count);
  AcquireOutcome acquired;
  std::vector<LimitRef> released;
  for (auto _ : state) {
    if (g_engine->Acquire(acquire, &acquired) != Status::kOk ||
        g_engine->Release(release, &released) != Status::kOk) {
      state.SkipWithError("acquire or release refused");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// Acquire one slot on one limit with a lease (default terms, no holder), then
// ReleaseLease.
void BM_AcquireReleaseLease(benchmark::State& state, Placement placement) {
  ThreadLimits limits(placement, state);
  AcquireRequest acquire;
  acquire.names = limits.First(1);
  acquire.lease.emplace();
  AcquireOutcome acquired;
  for (auto _ : state) {
    if (g_engine->Acquire(acquire, &acquired) != Status::kOk ||
        g_engine->ReleaseLease(acquired.lease_id) != Status::kOk) {
      state.SkipWithError("acquire or lease release refused");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// v1: IncrementByTaskRun on one tag, then DecrementByTaskRun. Each thread is
// its own task run, so on a shared tag the threads' runs hold it side by side.
void BM_IncrementDecrementByTaskRun(benchmark::State& state, Placement placement) {
  ThreadLimits limits(placement, state);
  const std::span<const std::string_view> tags = limits.First(1);
  const Uuid task_run = NewRandomUuid();
  TagIncrementOutcome incremented;
  std::vector<LimitRef> decremented;
  for (auto _ : state) {
    if (g_engine->IncrementByTaskRun(tags, task_run, &incremented) != Status::kOk ||
        g_engine->DecrementByTaskRun(tags, task_run, &decremented) != Status::kOk) {
      state.SkipWithError("increment or decrement refused");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// One shared engine per run; wall-clock time, so items_per_second is the
// throughput of all threads together.
void OnSharedEngineAtOneAndTwoThreads(benchmark::internal::Benchmark* benchmark) {
  benchmark->Setup(SetUpEngine)->Teardown(TearDownEngine)->UseRealTime()->Threads(1)->Threads(2);
}

BENCHMARK_CAPTURE(BM_AcquireRelease, own_limit, Placement::kOwnLimits, 1)
    ->Apply(OnSharedEngineAtOneAndTwoThreads);
BENCHMARK_CAPTURE(BM_AcquireRelease, shared_limit, Placement::kSharedLimits, 1)
    ->Apply(OnSharedEngineAtOneAndTwoThreads);
BENCHMARK_CAPTURE(BM_AcquireReleaseLease, own_limit, Placement::kOwnLimits)
    ->Apply(OnSharedEngineAtOneAndTwoThreads);
BENCHMARK_CAPTURE(BM_AcquireReleaseLease, shared_limit, Placement::kSharedLimits)
    ->Apply(OnSharedEngineAtOneAndTwoThreads);
BENCHMARK_CAPTURE(BM_AcquireRelease, own_3_limits, Placement::kOwnLimits, 3)
    ->Apply(OnSharedEngineAtOneAndTwoThreads);
BENCHMARK_CAPTURE(BM_AcquireRelease, shared_3_limits, Placement::kSharedLimits, 3)
    ->Apply(OnSharedEngineAtOneAndTwoThreads);
BENCHMARK_CAPTURE(BM_IncrementDecrementByTaskRun, own_tag, Placement::kOwnLimits)
    ->Apply(OnSharedEngineAtOneAndTwoThreads);
BENCHMARK_CAPTURE(BM_IncrementDecrementByTaskRun, shared_tag, Placement::kSharedLimits)
    ->Apply(OnSharedEngineAtOneAndTwoThreads);

}  // namespace
}  // namespace slotd::bench
