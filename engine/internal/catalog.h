// Catalog: the engine's two indexes beside the limit shards, id -> name and
// names in order. Internal to the engine.
//
// It stores no names of its own: each entry points at the limit's
// LimitState (with the hash of its name), so a limit's name lives in memory
// once. That is safe
// because the name is only changed (Rename) and the LimitState only freed
// (after Remove) with the catalog's locks held exclusively, and readers copy
// the name out under those locks.
//
// Locking: the id index is sharded by id, so lease releases on different
// limits (which look their limits up by id) do not meet on one lock. The
// ordered index has a lock of its own. Both are innermost: taken after limit
// and lease shard locks, id shard before the ordered index, and never held
// across a call out of the catalog.
#pragma once

#include <array>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/internal/limit_state.h"
#include "engine/mutex.h"

namespace slotd {

class Catalog {
 public:
  explicit Catalog(size_t max_limits) : max_limits_(max_limits) {}

  // Indexes `limit` (the caller holds its shard lock; the LimitState must
  // stay at its address until Remove). False, indexing nothing, if the
  // catalog already holds max_limits limits.
  [[nodiscard]] bool Add(LimitState& limit);
  // Drops `limit` from both indexes; call before freeing it.
  void Remove(const LimitState& limit);
  // Renames `limit` (see LimitState::Rename) and re-indexes it.
  void Rename(LimitState& limit, std::string new_name, TimePoint now, double old_max_wait);

  // Copies the name of limit `id` into *name; false if there is none.
  [[nodiscard]] bool NameOf(const Uuid& id, std::string* name) const;
  // Where limit `id` is, without copying its name: the limit and the hash
  // of its name (std::hash<std::string_view>, which picks its shard). False
  // if there is none. The pointer may only be followed while holding the
  // shard lock that hash picks, and after a second Locate under that lock
  // has given the same limit and hash (a limit is only added, renamed or
  // removed with the locks of the shards of its names held).
  [[nodiscard]] bool Locate(const Uuid& id, LimitState** limit, size_t* name_hash) const;
  // Names starting with `prefix`, in order, skipping `offset` of them, at
  // most `max_count`.
  void ListNames(std::string_view prefix, size_t offset, size_t max_count,
                 std::vector<std::string>* out) const;
  size_t size() const;

 private:
  static constexpr size_t kIdShards = 32;
  struct alignas(64) IdShard {  // aligned: no false sharing between shards
    Mutex mutex;
    struct Entry {
      LimitState* limit;
      size_t name_hash;
    };
    std::unordered_map<Uuid, Entry, UuidHash> names SLOTD_GUARDED_BY(mutex);
  };
  IdShard& ShardFor(const Uuid& id) const { return id_shards_[UuidHash{}(id) % kIdShards]; }

  const size_t max_limits_;
  mutable std::array<IdShard, kIdShards> id_shards_;
  mutable SharedMutex ordered_mutex_;
  std::set<std::string_view> ordered_ SLOTD_GUARDED_BY(ordered_mutex_);
};

}  // namespace slotd
