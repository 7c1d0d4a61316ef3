// A restart at scale: 100k limits and 1M leases (a tenth of each under a
// sanitizer, whose slowdown would make the full size take minutes) are all
// there after a restart, first replayed from the journal alone, then from a
// snapshot (and the journal after it). The times are reported, not
// asserted (bench/durable/run.sh measures the restart of the real process).
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "engine/durable/durable_store.h"
#include "engine/slot_engine.h"

namespace slotd::durable {
namespace {

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr size_t kScale = 10;
#else
constexpr size_t kScale = 1;
#endif
constexpr size_t kLimits = 100'000 / kScale;
constexpr size_t kLeasesPerLimit = 10;
constexpr size_t kLeases = kLimits * kLeasesPerLimit;

using Clock = std::chrono::steady_clock;

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/slotd-durable-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<DurableStore> OpenStore(const std::string& dir, double* seconds) {
  DurableOptions options;
  options.dir = dir;
  options.fsync = FsyncMode::kNever;            // the restart is measured, not the load
  options.snapshot_journal_bytes = UINT64_MAX;  // snapshots only when the test asks
  options.log = [](std::string_view line) {
    std::fprintf(stderr, "store: %.*s\n", static_cast<int>(line.size()), line.data());
  };
  std::string error;
  const auto started = Clock::now();
  auto store = DurableStore::Open(options, EngineOptions{}, &error);
  *seconds = std::chrono::duration<double>(Clock::now() - started).count();
  INFO(error);
  REQUIRE(store != nullptr);
  return store;
}

std::string LimitName(size_t i) { return "limit-" + std::to_string(i); }

// Every limit is there, holding its leases' slots.
void CheckState(SlotEngine& engine) {
  REQUIRE(engine.LimitCount() == kLimits);
  REQUIRE(engine.LeaseCount() == kLeases);
  size_t slots = 0;
  std::vector<LimitSnapshot> page;
  for (size_t offset = 0;; offset += page.size()) {
    page.clear();
    engine.ListLimits("limit-", offset, 10'000, &page);
    if (page.empty()) break;
    for (const LimitSnapshot& limit : page) {
      CHECK(limit.active_slots == static_cast<int64_t>(kLeasesPerLimit));
      slots += static_cast<size_t>(limit.active_slots);
    }
  }
  CHECK(slots == kLeases);
}

TEST_CASE(
    "a restart with 100k limits and 1M leases keeps every one, from the journal and from "
    "a snapshot",
    "[durable][scale]") {
  TempDir dir;
  double seconds = 0;
  {
    auto store = OpenStore(dir.path(), &seconds);
    SlotEngine& engine = store->engine();
    const auto started = Clock::now();
    for (size_t i = 0; i < kLimits; ++i) {
      NewLimit spec;
      spec.name = LimitName(i);
      spec.limit = static_cast<int64_t>(kLeasesPerLimit);
      LimitSnapshot created;
      REQUIRE(engine.CreateLimit(spec, &created) == Status::kOk);
    }
    for (size_t i = 0; i < kLimits; ++i) {
      const std::string name = LimitName(i);
      const std::string_view names[] = {name};
      for (size_t j = 0; j < kLeasesPerLimit; ++j) {
        AcquireRequest request;
        request.names = names;
        request.lease =
            LeaseTerms{std::chrono::hours(24), Holder{HolderType::kFlowRun, NewRandomUuid()}};
        AcquireOutcome outcome;
        REQUIRE(engine.Acquire(request, &outcome) == Status::kOk);
      }
    }
    // The next slot of any limit is refused: every one is full.
    const std::string_view full[] = {"limit-0"};
    AcquireRequest request;
    request.names = full;
    AcquireOutcome outcome;
    CHECK(engine.Acquire(request, &outcome) == Status::kLocked);
    WARN("made " << kLimits << " limits and " << kLeases << " leases in "
                 << std::chrono::duration<double>(Clock::now() - started).count() << " s; journal "
                 << store->journal().file_bytes() << " bytes");
    store->Stop();
  }
  {
    auto store = OpenStore(dir.path(), &seconds);
    WARN("restart from the journal: " << seconds << " s");
    CheckState(store->engine());
    std::string error;
    REQUIRE(store->Compact(&error));
    store->Stop();
  }
  {
    auto store = OpenStore(dir.path(), &seconds);
    WARN("restart from the snapshot: " << seconds << " s");
    CheckState(store->engine());
    store->Stop();
  }
}

}  // namespace
}  // namespace slotd::durable
