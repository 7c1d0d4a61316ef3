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
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "engine/slot_engine.h"

namespace slotd {

struct Lease {
  Uuid id;
  std::vector<Uuid> limit_ids;
  int64_t slots = 0;
  std::optional<Holder> holder;
  TimePoint created_at;
  TimePoint expiration;
};

class LeaseTable {
 public:
  // At most `max_leases` leases exist (or are reserved) at once.
  LeaseTable(size_t shard_count, size_t max_leases);

  // Reserves room for `count` new leases; false (nothing reserved) if that
  // would pass the maximum. Each Insert uses one reservation; Unreserve gives
  // back the ones a call ends up not using.
  bool TryReserve(size_t count);
  void Unreserve(size_t count);

  // Inserts a lease reserved by TryReserve.
  void Insert(Lease lease);

  // Removes the lease and returns it; nullopt if unknown.
  std::optional<Lease> Take(const Uuid& id);

  // Sets a new expiration if the lease exists and has not expired at `now`.
  bool Renew(const Uuid& id, TimePoint now, TimePoint new_expiration);

  // True if the lease exists and has not expired at `now`.
  bool IsLive(const Uuid& id, TimePoint now) const;

  // Copies the lease if it exists and has not expired at `now`.
  bool Read(const Uuid& id, TimePoint now, Lease* out) const;

  // Drops one limit from a lease. The lease stays, possibly holding nothing,
  // unless erase_if_empty and that was its last limit.
  void DropLimit(const Uuid& lease_id, const Uuid& limit_id, bool erase_if_empty);

  // Removes and returns every lease whose expiration is <= now.
  std::vector<Lease> TakeExpired(TimePoint now);

  size_t size() const;

 private:
  struct Entry {
    Lease lease;
    size_t heap_index = 0;
  };
  struct alignas(64) Shard {  // aligned: no false sharing between shards
    mutable std::mutex mutex;
    std::unordered_map<Uuid, Entry, UuidHash> entries;  // guarded by mutex
    std::vector<Entry*> heap;                           // guarded by mutex
  };

  Shard& ShardFor(const Uuid& id) const;
  static void HeapPush(Shard& shard, Entry* entry);
  static void HeapRemove(Shard& shard, Entry* entry);
  static void HeapFix(Shard& shard, size_t index);
  static bool SiftUp(Shard& shard, size_t index);
  static void SiftDown(Shard& shard, size_t index);

  std::vector<std::unique_ptr<Shard>> shards_;
  const size_t max_leases_;
  std::atomic<size_t> reserved_{0};  // leases in the table plus reservations
};

}  // namespace slotd
