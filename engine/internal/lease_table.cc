#include "engine/internal/lease_table.h"

#include <utility>

namespace slotd {

LeaseTable::LeaseTable(size_t shard_count, size_t max_leases) : max_leases_(max_leases) {
  shards_.reserve(shard_count);
  for (size_t i = 0; i < shard_count; ++i) shards_.push_back(std::make_unique<Shard>());
}

bool LeaseTable::TryReserve(size_t count) {
  size_t current = reserved_.load(std::memory_order_relaxed);
  do {
    if (current > max_leases_ || count > max_leases_ - current) return false;
  } while (!reserved_.compare_exchange_weak(current, current + count, std::memory_order_relaxed));
  return true;
}

void LeaseTable::Unreserve(size_t count) { reserved_.fetch_sub(count, std::memory_order_relaxed); }

LeaseTable::Shard& LeaseTable::ShardFor(const Uuid& id) const {
  // The hash uses the first eight bytes; pick the shard from the last eight
  // so shard choice and bucket choice stay independent.
  uint64_t h;
  std::memcpy(&h, id.data + 8, sizeof h);
  return *shards_[h % shards_.size()];
}

void LeaseTable::ReserveBuckets(size_t count) {
  // The ids are random: each shard gets about its share, and a little more.
  const size_t per_shard = count / shards_.size() + count / shards_.size() / 16 + 1;
  for (const auto& shard : shards_) {
    MutexLock lock(&shard->mutex);
    shard->entries.reserve(shard->entries.size() + per_shard);
  }
}

void LeaseTable::Insert(LeaseSnapshot lease) {
  Shard& shard = ShardFor(lease.id);
  MutexLock lock(&shard.mutex);
  Uuid id = lease.id;
  auto [it, inserted] = shard.entries.try_emplace(id, Entry{std::move(lease), 0});
  if (inserted) {
    HeapPush(shard, &it->second);
  } else {
    Unreserve(1);
  }
}

std::optional<LeaseSnapshot> LeaseTable::Take(const Uuid& id) {
  Shard& shard = ShardFor(id);
  MutexLock lock(&shard.mutex);
  auto it = shard.entries.find(id);
  if (it == shard.entries.end()) return std::nullopt;
  HeapRemove(shard, &it->second);
  LeaseSnapshot lease = std::move(it->second.lease);
  shard.entries.erase(it);
  Unreserve(1);
  return lease;
}

bool LeaseTable::Renew(const Uuid& id, TimePoint now, TimePoint new_expiration, ChangeSink* sink) {
  Shard& shard = ShardFor(id);
  MutexLock lock(&shard.mutex);
  auto it = shard.entries.find(id);
  if (it == shard.entries.end() || it->second.lease.expiration <= now) return false;
  it->second.lease.expiration = new_expiration;
  ++it->second.lease.renewals;
  HeapFix(shard, it->second.heap_index);
  if (sink) {
    thread_local Change change;
    change.Clear();
    change.kind = ChangeKind::kRenewLease;
    change.at = now;
    change.renewed_lease = id;
    change.renewed_expiration = new_expiration;
    sink->Append(change);
  }
  return true;
}

bool LeaseTable::IsLive(const Uuid& id, TimePoint now) const {
  Shard& shard = ShardFor(id);
  MutexLock lock(&shard.mutex);
  auto it = shard.entries.find(id);
  return it != shard.entries.end() && it->second.lease.expiration > now;
}

bool LeaseTable::Read(const Uuid& id, TimePoint now, LeaseSnapshot* out) const {
  Shard& shard = ShardFor(id);
  MutexLock lock(&shard.mutex);
  auto it = shard.entries.find(id);
  if (it == shard.entries.end() || it->second.lease.expiration <= now) return false;
  *out = it->second.lease;
  return true;
}

bool LeaseTable::DropLimit(const Uuid& lease_id, const Uuid& limit_id, bool erase_if_empty) {
  Shard& shard = ShardFor(lease_id);
  MutexLock lock(&shard.mutex);
  auto it = shard.entries.find(lease_id);
  if (it == shard.entries.end()) return false;
  std::erase(it->second.lease.limit_ids, limit_id);
  if (!erase_if_empty || !it->second.lease.limit_ids.empty()) return false;
  HeapRemove(shard, &it->second);
  shard.entries.erase(it);
  Unreserve(1);
  return true;
}

std::vector<LeaseSnapshot> LeaseTable::TakeExpired(TimePoint now) {
  std::vector<LeaseSnapshot> expired;
  for (auto& shard_ptr : shards_) {
    Shard& shard = *shard_ptr;
    MutexLock lock(&shard.mutex);
    while (!shard.heap.empty() && shard.heap.front()->lease.expiration <= now) {
      Entry* entry = shard.heap.front();
      HeapRemove(shard, entry);
      Uuid id = entry->lease.id;
      expired.push_back(std::move(entry->lease));
      shard.entries.erase(id);
    }
  }
  Unreserve(expired.size());
  return expired;
}

size_t LeaseTable::size() const {
  size_t total = 0;
  for (const auto& shard : shards_) {
    MutexLock lock(&shard->mutex);
    total += shard->entries.size();
  }
  return total;
}

void LeaseTable::CopyShard(size_t index, std::vector<LeaseSnapshot>* out) const {
  out->clear();
  Shard& shard = *shards_[index];
  MutexLock lock(&shard.mutex);
  out->reserve(shard.entries.size());
  for (const auto& [id, entry] : shard.entries) out->push_back(entry.lease);
}

// ---- the indexed heap: heap[i]->heap_index == i always ----------------------

void LeaseTable::HeapPush(Shard& shard, Entry* entry) {
  entry->heap_index = shard.heap.size();
  shard.heap.push_back(entry);
  SiftUp(shard, entry->heap_index);
}

void LeaseTable::HeapRemove(Shard& shard, Entry* entry) {
  size_t index = entry->heap_index;
  Entry* last = shard.heap.back();
  shard.heap.pop_back();
  if (last == entry) return;
  shard.heap[index] = last;
  last->heap_index = index;
  HeapFix(shard, index);
}

void LeaseTable::HeapFix(Shard& shard, size_t index) {
  if (!SiftUp(shard, index)) SiftDown(shard, index);
}

bool LeaseTable::SiftUp(Shard& shard, size_t index) {
  auto& heap = shard.heap;
  bool moved = false;
  while (index > 0) {
    size_t parent = (index - 1) / 2;
    if (heap[parent]->lease.expiration <= heap[index]->lease.expiration) break;
    std::swap(heap[parent], heap[index]);
    heap[parent]->heap_index = parent;
    heap[index]->heap_index = index;
    index = parent;
    moved = true;
  }
  return moved;
}

void LeaseTable::SiftDown(Shard& shard, size_t index) {
  auto& heap = shard.heap;
  for (;;) {
    size_t smallest = index;
    for (size_t child = 2 * index + 1; child <= 2 * index + 2 && child < heap.size(); ++child) {
      if (heap[child]->lease.expiration < heap[smallest]->lease.expiration) smallest = child;
    }
    if (smallest == index) return;
    std::swap(heap[smallest], heap[index]);
    heap[smallest]->heap_index = smallest;
    heap[index]->heap_index = index;
    index = smallest;
  }
}

}  // namespace slotd
