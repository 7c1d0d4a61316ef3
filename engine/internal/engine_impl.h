// The engine's shared internals: the sharded limit table, the id/name catalog,
// the lease table, and the lock helpers. Included only by the engine's .cc
// files.
//
// Lock order (never acquired in another order, so no call can deadlock):
//   0. the wait line (internal/wait_line.h);
//   1. limit shards, ascending by index (ShardGuard does this);
//   2. lease shards (inside LeaseTable, one at a time);
//   3. the catalog (its own locks), innermost and held only briefly.
// A call that must go from a lease to its limits first takes the lease out of
// the lease table (releasing that lock) and only then locks the limit shards.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/change.h"
#include "engine/internal/catalog.h"
#include "engine/internal/lease_table.h"
#include "engine/internal/limit_state.h"
#include "engine/internal/wait_line.h"
#include "engine/mutex.h"
#include "engine/slot_engine.h"

namespace slotd {

struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view name) const noexcept {
    return std::hash<std::string_view>{}(name);
  }
};

// Cache-line aligned so two threads on different shards do not share a line.
struct alignas(64) LimitShard {
  // Limits of this shard by name. Each key views the name inside its own
  // LimitState, so the name is stored once (see InsertLocked).
  using Map = std::unordered_map<std::string_view, LimitState, NameHash, std::equal_to<>>;

  Mutex mutex;
  // Every LimitState in it is guarded by `mutex` too; the analysis cannot
  // say so, since a LimitState does not know its shard.
  Map limits SLOTD_GUARDED_BY(mutex);
};

struct SlotEngine::Impl {
  explicit Impl(const EngineOptions& options);

  size_t ShardIndex(std::string_view name) const { return ShardIndexOfHash(NameHash{}(name)); }
  // The same from the name's hash (Catalog::Locate gives it).
  size_t ShardIndexOfHash(size_t name_hash) const { return name_hash % shards.size(); }

  // The limits of the shard `name` picks. Caller holds that shard's lock (a
  // ShardGuard naming `name`); the analysis cannot see it, as the shard is
  // chosen at run time, hence the "Locked" names here.
  LimitShard::Map& LimitsLocked(std::string_view name) {
    LimitShard& shard = *shards[ShardIndex(name)];
    shard.mutex.AssertHeld();
    return shard.limits;
  }

  // Caller holds the shard lock of `name`.
  LimitState* FindLocked(std::string_view name);
  // Puts a limit node into the shard its name picks, re-keying it by the name
  // it holds (caller holds that shard's lock). Returns the limit.
  LimitState& InsertLocked(LimitShard::Map::node_type node);
  // Caller holds the shard locks of every name; appends the limits that exist.
  void FindAllLocked(std::span<const std::string_view> names, std::vector<LimitState*>* found);

  double MaxWait(const LimitState& limit) const {
    return limit.is_tag_limit() ? options.tag_wait_seconds : options.max_slot_wait_seconds;
  }

  // Records a new lease `id` holding `held` (the caller holds their shard
  // locks and has already counted the slots). The id is drawn before the
  // locks are taken, to keep them short. With a change being built, adds
  // the lease to its new_leases.
  void AddLease(const Uuid& id, std::span<LimitState* const> held, int64_t slots,
                const std::optional<Holder>& holder, TimePoint now, Micros duration,
                Change* change);

  // Gives back the slots of a lease already taken out of the lease table, on
  // every limit it still holds; with record_occupancy, folds
  // occupancy = released_at - created_at into each limit's average. With a
  // sink, appends the release as a change of `kind`.
  void ReleaseTakenLease(const LeaseSnapshot& lease, TimePoint released_at, bool record_occupancy,
                         ChangeKind kind);

  // Drops the limit from every lease holding it, unindexes and frees it
  // (caller holds its shard lock).
  void DeleteLocked(LimitState& limit);

  // ---- changes (engine/change.h) ----
  // True if a sink exists and cannot take changes now: changing calls
  // answer kUnavailable before they change anything.
  bool Refusing() const { return sink && !sink->Accepting(); }
  // Where a changing call appends its change, asked under its locks: the
  // sink, the watcher while it watches, both, or null (build no change).
  ChangeSink* Recorder() {
    if (watcher == nullptr || !watcher->Watching()) return sink;
    return sink ? static_cast<ChangeSink*>(&fan_out) : watcher;
  }
  // The calling thread's change buffer, emptied and stamped; for calls that
  // append one change while holding their locks.
  Change& BeginChange(ChangeKind kind, TimePoint at);
  // Appends the after-images of `limits` to `change` (their locks held).
  static void AddImages(std::span<LimitState* const> limits, Change* change);
  // Appends to the sink the end of a lease and the limits given back to.
  void AppendLeaseEnd(ChangeSink* recorder, const Uuid& lease_id, ChangeKind kind, TimePoint at,
                      std::span<LimitState* const> given_back, Change* change);
  // Replay: each applies one part of a change (engine/slot_engine_replay.cc).
  void ReplayDelete(const Uuid& limit_id);
  void ReplayReset(const Uuid& limit_id);
  void ReplayEndLease(const Uuid& lease_id, std::span<const LimitImage> touched);
  Status ReplayImage(const LimitImage& image);
  Status ReplayNewLease(const LeaseImage& image);

  // ---- acquiring and waiting (engine/slot_engine_waits.cc) ----
  // The body of Acquire under the shard locks of `names` (unique). Grants
  // when every active limit has room beyond what the line holds back on it
  // (`held_back`); otherwise kLocked, recording the refusal and drawing the
  // Retry-After only when `final` (else *blocked says what stopped it).
  Status TryAcquireLocked(std::span<const std::string_view> names, int64_t slots, AcquireMode mode,
                          const std::optional<LeaseTerms>& lease, const Uuid& lease_id,
                          TimePoint now, std::span<const HeldBack> held_back, bool final,
                          AcquireOutcome* out, Blocked* blocked);
  // The same for IncrementByTaskRun (`names` are the "tag:" names).
  Status TryIncrementLocked(std::span<const std::string_view> names, const Uuid& task_run,
                            const Uuid& lease_id, TimePoint now,
                            std::span<const HeldBack> held_back, bool final,
                            TagIncrementOutcome* out, Blocked* blocked);
  // An arrival that takes the line: grants what the line can, then tries it
  // after every waiter; it waits (kWaiting) if it may, else ends as final.
  Status Arrive(Waiter waiter, bool may_wait, WaitResult* result, WaitId* wait_id);
  // Slots may have come free: if anything waits, grants what the line can.
  // Called with no shard lock held.
  void WakeLine();
  void WakeLineNow(bool close);

  // True if an unexpired lease with holder task_run/`task_run` holds `limit`.
  bool HeldByTaskRun(const LimitState& limit, const Uuid& task_run, TimePoint now) const;

  // Sorted, unique task_run holder ids of unexpired leases on `limit`.
  void TaskRunHolders(const LimitState& limit, TimePoint now, std::vector<Uuid>* out) const;

  // The monitoring totals (SlotEngine::Counters). Relaxed: they order
  // nothing, and a reader only wants each count.
  struct alignas(64) CounterCells {
    std::atomic<uint64_t> acquisitions{0};
    std::atomic<uint64_t> refusals{0};
    std::atomic<uint64_t> releases{0};
    std::atomic<uint64_t> expired_leases{0};
    std::atomic<uint64_t> revoked_leases{0};
  };
  static void Count(std::atomic<uint64_t>& cell, uint64_t n = 1) {
    cell.fetch_add(n, std::memory_order_relaxed);
  }

  const EngineOptions& options;
  ChangeSink* const sink;        // options.change_sink, or null: no journal
  ChangeWatcher* const watcher;  // options.change_watcher, or null
  ChangeFanOut fan_out;          // sink and watcher, when both exist
  std::vector<std::unique_ptr<LimitShard>> shards;
  LeaseTable leases;
  Catalog catalog;
  WaitLine line;
  CounterCells counters;
};

// Locks the shards of a set of names in ascending index order, each once, and
// unlocks them on destruction. Which shards is known only at run time, so the
// analysis cannot follow these locks (see Impl::LimitsLocked).
class ShardGuard {
 public:
  ShardGuard(SlotEngine::Impl& impl,
             std::span<const std::string_view> names) SLOTD_NO_THREAD_SAFETY_ANALYSIS;
  ShardGuard(SlotEngine::Impl& impl, std::string_view name) SLOTD_NO_THREAD_SAFETY_ANALYSIS;
  // The one shard `index` (< impl.shards.size()).
  struct Index {
    size_t value;
  };
  ShardGuard(SlotEngine::Impl& impl, Index index) SLOTD_NO_THREAD_SAFETY_ANALYSIS;
  ~ShardGuard() SLOTD_NO_THREAD_SAFETY_ANALYSIS;
  ShardGuard(const ShardGuard&) = delete;
  ShardGuard& operator=(const ShardGuard&) = delete;

 private:
  static constexpr size_t kInline = 8;
  SlotEngine::Impl& impl_;
  std::array<size_t, kInline> inline_{};
  std::vector<size_t> overflow_;
  std::span<size_t> locked_;  // sorted, unique shard indices
};

// Wakes the wait line when it goes out of scope: declared before a call's
// shard guards, it runs after they unlock (slots may have come free).
struct WakeLineOnExit {
  SlotEngine::Impl& impl;
  ~WakeLineOnExit() { impl.WakeLine(); }
};

// Buffers of ReleaseTakenLease, apart from CallScratch's because the calls
// that release leases may still be using those.
struct ReleaseScratch {
  std::vector<Uuid> ids;
  std::vector<std::string> names;
  std::vector<std::string_view> views;
  std::vector<LimitState*> given_back;
  Change change;
};

// Per-thread buffers the hot paths reuse, so a call allocates nothing once
// warm. Calls do nest (ListLimits calls ReadLimit; UpsertTagLimit calls
// CreateLimit, UpdateLimit and ReadLimit; lease releases end in
// ReleaseTakenLease), so one set per thread is enough only because no call
// uses a buffer that a call it makes uses too: the three limit calls use none,
// and ReleaseTakenLease has its own.
struct CallScratch {
  std::vector<std::string_view> names;
  std::vector<std::string> owned_names;
  std::vector<LimitState*> found;
  std::vector<LimitState*> chosen;
  Change change;  // Impl::BeginChange
  ReleaseScratch release;
};
CallScratch& ThreadScratch();

// Fills *blocked from the active limits an attempt of `slots` found without
// room: the ones with no slot free at all, and when decay makes room.
void NoteBlocked(std::span<LimitState* const> active, int64_t slots, TimePoint now,
                 Blocked* blocked);

// Copies `names` into *out without duplicates, keeping first occurrences.
void UniqueNames(std::span<const std::string_view> names, std::vector<std::string_view>* out);

}  // namespace slotd

namespace slotd {

// WithLimit for an id, without copying the name or looking it up by name:
// the catalog says where the limit is and which shard its name picks; under
// that shard's lock, a second look that agrees makes the limit safe to use
// (see Catalog::Locate).
template <typename Fn>
Status WithLimitById(SlotEngine::Impl& impl, const Uuid& id, Fn&& fn) {
  for (;;) {
    LimitState* seen = nullptr;
    size_t hash = 0;
    if (!impl.catalog.Locate(id, &seen, &hash)) return Status::kNotFound;
    const size_t index = impl.ShardIndexOfHash(hash);
    ShardGuard guard(impl, ShardGuard::Index{index});
    LimitState* limit = nullptr;
    if (impl.catalog.Locate(id, &limit, &hash) && limit == seen &&
        impl.ShardIndexOfHash(hash) == index) {
      return fn(*limit);
    }
    // Renamed or deleted between the catalog read and the lock: look again.
  }
}

// Runs fn(LimitState&) with the shard of the limit `key` names locked, and
// returns its Status; kNotFound if there is no such limit. An id is resolved
// through the catalog; a rename racing the lookup is retried.
template <typename Fn>
Status WithLimit(SlotEngine::Impl& impl, const LimitKey& key, Fn&& fn) {
  if (const auto* name = std::get_if<std::string_view>(&key)) {
    ShardGuard guard(impl, *name);
    LimitState* limit = impl.FindLocked(*name);
    return limit ? fn(*limit) : Status::kNotFound;
  }
  return WithLimitById(impl, std::get<Uuid>(key), std::forward<Fn>(fn));
}

}  // namespace slotd
