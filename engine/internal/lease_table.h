// LeaseTable: the leases, sharded by id, each shard with an expiry index (a
// binary min-heap on expiration that knows every lease's position, so renewal
// and removal are O(log n) and finding the expired ones costs O(expired)).
// Internal to the engine.
//
// Locking: each shard's mutex guards its map and heap. The engine may call in
// while holding limit-shard locks (limit shards before lease shards), never
// the other way round; no LeaseTable call takes a limit lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "engine/change.h"
#include "engine/mutex.h"
#include "engine/slot_engine.h"

namespace slotd {

class LeaseTable {
 public:
  // At most `max_leases` leases exist (or are reserved) at once.
  LeaseTable(size_t shard_count, size_t max_leases);

  // Reserves room for `count` new leases; false (nothing reserved) if that
  // would pass the maximum. Each Insert uses one reservation; Unreserve gives
  // back the ones a call ends up not using.
  [[nodiscard]] bool TryReserve(size_t count);
  void Unreserve(size_t count);

  // Inserts a lease reserved by TryReserve.
  void Insert(LeaseSnapshot lease);

  // Removes the lease and returns it; nullopt if unknown.
  [[nodiscard]] std::optional<LeaseSnapshot> Take(const Uuid& id);

  // Sets a new expiration if the lease exists and has not expired at `now`;
  // with a sink, appends the renewal to it under the shard lock (so two
  // renewals of one lease reach it in the order they were made).
  [[nodiscard]] bool Renew(const Uuid& id, TimePoint now, TimePoint new_expiration,
                           ChangeSink* sink);

  // True if the lease exists and has not expired at `now`.
  [[nodiscard]] bool IsLive(const Uuid& id, TimePoint now) const;

  // Copies the lease into *out if it exists and has not expired at `now`
  // (false, *out untouched, if not).
  [[nodiscard]] bool Read(const Uuid& id, TimePoint now, LeaseSnapshot* out) const;

  // Drops one limit from a lease. The lease stays, possibly holding nothing,
  // unless erase_if_empty and that was its last limit; returns whether it
  // went.
  bool DropLimit(const Uuid& lease_id, const Uuid& limit_id, bool erase_if_empty);

  // Removes and returns every lease whose expiration is <= now.
  [[nodiscard]] std::vector<LeaseSnapshot> TakeExpired(TimePoint now);

  size_t size() const;
  // Grows the hash tables for `count` more leases (spread over the shards
  // as the ids are), so inserting them rehashes nothing.
  void ReserveBuckets(size_t count);

  // Copies the leases of shard `index` (< shard_count()) into *out, holding
  // only that shard's lock: a snapshot reads the table a shard at a time.
  size_t shard_count() const { return shards_.size(); }
  void CopyShard(size_t index, std::vector<LeaseSnapshot>* out) const;

 private:
  struct Entry {
    LeaseSnapshot lease;
    size_t heap_index = 0;
  };
  struct alignas(64) Shard {  // aligned: no false sharing between shards
    Mutex mutex;
    std::unordered_map<Uuid, Entry, UuidHash> entries SLOTD_GUARDED_BY(mutex);
    std::vector<Entry*> heap SLOTD_GUARDED_BY(mutex);
  };

  Shard& ShardFor(const Uuid& id) const;
  static void HeapPush(Shard& shard, Entry* entry) SLOTD_REQUIRES(shard.mutex);
  static void HeapRemove(Shard& shard, Entry* entry) SLOTD_REQUIRES(shard.mutex);
  static void HeapFix(Shard& shard, size_t index) SLOTD_REQUIRES(shard.mutex);
  static bool SiftUp(Shard& shard, size_t index) SLOTD_REQUIRES(shard.mutex);
  static void SiftDown(Shard& shard, size_t index) SLOTD_REQUIRES(shard.mutex);

  std::vector<std::unique_ptr<Shard>> shards_;
  const size_t max_leases_;
  std::atomic<size_t> reserved_{0};  // leases in the table plus reservations
};

}  // namespace slotd
