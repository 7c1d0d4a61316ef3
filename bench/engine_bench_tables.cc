// Benchmarks of the engine's whole-table operations: listing a page of limits
// and sweeping a large batch of expired leases.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/slot_engine.h"

namespace slotd::bench {
namespace {

// ListLimits of one 200-limit page (the first) out of a table of 1000.
void BM_ListLimits(benchmark::State& state) {
  constexpr int kTableSize = 1000;
  constexpr size_t kPageSize = 200;
  SlotEngine engine;
  for (int i = 0; i < kTableSize; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "limit-%04d", i);
    LimitSnapshot created;
    if (engine.CreateLimit(NewLimit{.name = name, .limit = 10}, &created) != Status::kOk) {
      state.SkipWithError("could not create the table");
      return;
    }
  }
  std::vector<LimitSnapshot> page;
  for (auto _ : state) {
    engine.ListLimits("", 0, kPageSize, &page);
    benchmark::DoNotOptimize(page.data());
  }
  if (page.size() != kPageSize) state.SkipWithError("short page");
  state.SetItemsProcessed(state.iterations() * kPageSize);
}
BENCHMARK(BM_ListLimits);

constexpr int kSweepLeases = 100'000;
constexpr int kSweepLimits = 100;

// An engine on a manual clock holding kSweepLeases one-slot leases spread
// round-robin over kSweepLimits limits, with expirations 60 to 61 s away.
struct LeasedEngine {
  std::shared_ptr<ManualTimeSource> clock;
  std::unique_ptr<SlotEngine> engine;
};

LeasedEngine MakeLeasedEngine() {
  LeasedEngine leased;
  leased.clock = std::make_shared<ManualTimeSource>(TimePoint(std::chrono::seconds(1'800'000'000)));
  EngineOptions options;
  options.clock = leased.clock;
  leased.engine = std::make_unique<SlotEngine>(options);
  std::vector<std::string> names;
  for (int i = 0; i < kSweepLimits; ++i) {
    names.push_back("sweep-" + std::to_string(i));
    LimitSnapshot created;
    if (leased.engine->CreateLimit(NewLimit{.name = names.back(), .limit = kSweepLeases},
                                   &created) != Status::kOk) {
      std::abort();
    }
  }
  AcquireOutcome acquired;
  AcquireRequest request;
  request.lease.emplace();
  for (int i = 0; i < kSweepLeases; ++i) {
    const std::string_view name = names[i % kSweepLimits];
    request.names = {&name, 1};
    request.lease->duration = std::chrono::seconds(60) + std::chrono::milliseconds(i % 1000);
    if (leased.engine->Acquire(request, &acquired) != Status::kOk) std::abort();
  }
  return leased;
}

// ExpireLeases over kSweepLeases expired leases; the setup is not timed.
void BM_ExpireLeases(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    LeasedEngine leased = MakeLeasedEngine();
    leased.clock->Advance(std::chrono::seconds(62));
    state.ResumeTiming();

    const size_t expired = leased.engine->ExpireLeases();

    state.PauseTiming();
    leased.engine.reset();
    state.ResumeTiming();
    if (expired != static_cast<size_t>(kSweepLeases)) {
      state.SkipWithError("not every lease expired");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kSweepLeases);
}
BENCHMARK(BM_ExpireLeases)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace slotd::bench
