// Shared helpers for the engine's unit tests: an engine on a manual clock
// and a pinned random source, short-hand calls, and Catch2 printers.
#pragma once

#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/slot_engine.h"

namespace Catch {
template <>
struct StringMaker<slotd::Status> {
  static std::string convert(slotd::Status status) { return slotd::StatusName(status); }
};
template <>
struct StringMaker<slotd::Uuid> {
  static std::string convert(const slotd::Uuid& id) { return slotd::FormatUuid(id); }
};
template <>
struct StringMaker<std::optional<slotd::Uuid>> {
  static std::string convert(const std::optional<slotd::Uuid>& id) {
    return id ? slotd::FormatUuid(*id) : std::string("nullopt");
  }
};
template <>
struct StringMaker<slotd::TimePoint> {
  static std::string convert(slotd::TimePoint t) {
    return std::to_string(t.time_since_epoch().count()) + "us";
  }
};
}  // namespace Catch

namespace slotd::test {

// 2027-01-15T08:00:00Z: any fixed instant will do; tests only move forward.
inline const TimePoint kStart = TimePoint(std::chrono::seconds(1'800'000'000));

// The spec's lower clamp multiple c = log2(2^1.3 / (2^1.3 - 1)).
inline double LowerClampMultiple() {
  const double k = std::pow(2.0, 1.3);
  return std::log2(k / (k - 1.0));
}

// The largest double below 1: Uniform01 never returns 1 itself.
inline double AlmostOne() { return std::nextafter(1.0, 0.0); }

// Cycles through u = (i + 0.5) / n, i = 0..n-1: a uniform grid of draws.
class GridRandomSource final : public RandomSource {
 public:
  explicit GridRandomSource(int n) : n_(n) {}
  double Uniform01() override {
    int i = next_.fetch_add(1, std::memory_order_relaxed) % n_;
    return (i + 0.5) / n_;
  }

 private:
  int n_;
  std::atomic<int> next_{0};
};

struct TestOptions {
  double uniform = 0.5;  // what FixedRandomSource returns
  double tag_wait_seconds = 10;
  double max_slot_wait_seconds = 30;
  size_t limit_shards = 32;
  size_t lease_shards = 64;
  size_t max_limits = SIZE_MAX;
  size_t max_leases = SIZE_MAX;
  size_t max_name_bytes = SIZE_MAX;
  size_t max_waiters = 10'000;
  int max_overtakes = 4;
  bool strict_wait_order = false;
  std::shared_ptr<RandomSource> random;  // overrides `uniform` when set
};

// An engine on a ManualTimeSource that starts at kStart.
class TestEngine {
 public:
  explicit TestEngine(TestOptions options = {})
      : clock_(std::make_shared<ManualTimeSource>(kStart)), engine_(MakeOptions(options, clock_)) {}

  SlotEngine& engine() { return engine_; }
  ManualTimeSource& clock() { return *clock_; }
  void Advance(double seconds) { clock_->AdvanceSeconds(seconds); }
  TimePoint Now() const { return clock_->Now(); }

  // Creates a limit and REQUIREs success.
  LimitSnapshot Create(std::string name, int64_t limit, double decay = 0, bool active = true,
                       int64_t active_slots = 0, int64_t denied_slots = 0) {
    NewLimit spec;
    spec.name = std::move(name);
    spec.limit = limit;
    spec.slot_decay_per_second = decay;
    spec.active = active;
    spec.active_slots = active_slots;
    spec.denied_slots = denied_slots;
    LimitSnapshot out;
    REQUIRE(engine_.CreateLimit(spec, &out) == Status::kOk);
    return out;
  }

  // Reads a limit by name and REQUIREs that it exists.
  LimitSnapshot Read(std::string_view name, bool with_holders = false) {
    LimitSnapshot out;
    REQUIRE(engine_.ReadLimit(name, &out, with_holders) == Status::kOk);
    return out;
  }
  int64_t Active(std::string_view name) { return Read(name).active_slots; }
  int64_t Denied(std::string_view name) { return Read(name).denied_slots; }
  double AvgOccupancy(std::string_view name) { return Read(name).avg_slot_occupancy_seconds; }

  Status Acquire(std::initializer_list<std::string_view> names, int64_t slots = 1,
                 AcquireOutcome* out = nullptr, AcquireMode mode = AcquireMode::kConcurrency,
                 std::optional<LeaseTerms> lease = std::nullopt) {
    std::vector<std::string_view> list(names);
    AcquireOutcome local;
    AcquireRequest request;
    request.names = list;
    request.slots = slots;
    request.mode = mode;
    request.lease = std::move(lease);
    return engine_.Acquire(request, out ? out : &local);
  }

  // Acquires with a lease and REQUIREs success; returns the lease id.
  Uuid AcquireLease(std::initializer_list<std::string_view> names, int64_t slots = 1,
                    double duration_seconds = 300, std::optional<Holder> holder = std::nullopt) {
    AcquireOutcome out;
    LeaseTerms terms;
    terms.duration = SecondsToMicros(duration_seconds);
    terms.holder = holder;
    REQUIRE(Acquire(names, slots, &out, AcquireMode::kConcurrency, terms) == Status::kOk);
    return out.lease_id;
  }

  Status Release(std::initializer_list<std::string_view> names, int64_t slots = 1,
                 std::optional<double> occupancy = std::nullopt,
                 std::vector<LimitRef>* out = nullptr) {
    std::vector<std::string_view> list(names);
    std::vector<LimitRef> local;
    ReleaseRequest request;
    request.names = list;
    request.slots = slots;
    request.occupancy_seconds = occupancy;
    return engine_.Release(request, out ? out : &local);
  }

  Status Increment(std::initializer_list<std::string_view> tags, const Uuid& run,
                   TagIncrementOutcome* out = nullptr) {
    std::vector<std::string_view> list(tags);
    TagIncrementOutcome local;
    return engine_.IncrementByTaskRun(list, run, out ? out : &local);
  }

  Status Decrement(std::initializer_list<std::string_view> tags, const Uuid& run,
                   std::vector<LimitRef>* out = nullptr) {
    std::vector<std::string_view> list(tags);
    std::vector<LimitRef> local;
    return engine_.DecrementByTaskRun(list, run, out ? out : &local);
  }

 private:
  static EngineOptions MakeOptions(const TestOptions& options,
                                   std::shared_ptr<ManualTimeSource> clock) {
    EngineOptions out;
    out.limit_shards = options.limit_shards;
    out.lease_shards = options.lease_shards;
    out.max_limits = options.max_limits;
    out.max_leases = options.max_leases;
    out.max_name_bytes = options.max_name_bytes;
    out.max_waiters = options.max_waiters;
    out.max_overtakes = options.max_overtakes;
    out.strict_wait_order = options.strict_wait_order;
    out.tag_wait_seconds = options.tag_wait_seconds;
    out.max_slot_wait_seconds = options.max_slot_wait_seconds;
    out.clock = std::move(clock);
    out.random =
        options.random ? options.random : std::make_shared<FixedRandomSource>(options.uniform);
    return out;
  }

  std::shared_ptr<ManualTimeSource> clock_;
  SlotEngine engine_;
};

inline std::vector<std::string> NamesOf(const std::vector<LimitRef>& refs) {
  std::vector<std::string> names;
  for (const LimitRef& ref : refs) names.push_back(ref.name);
  return names;
}

inline std::vector<std::string> NamesOf(const std::vector<LimitSnapshot>& limits) {
  std::vector<std::string> names;
  for (const LimitSnapshot& limit : limits) names.push_back(limit.name);
  return names;
}

inline Holder TaskRun(const Uuid& id) { return Holder{HolderType::kTaskRun, id}; }

}  // namespace slotd::test
