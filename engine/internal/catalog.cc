#include "engine/internal/catalog.h"

namespace slotd {

namespace {

size_t HashOf(std::string_view name) { return std::hash<std::string_view>{}(name); }

}  // namespace

bool Catalog::Add(LimitState& limit) {
  IdShard& shard = ShardFor(limit.id());
  MutexLock id_lock(&shard.mutex);
  WriterMutexLock ordered_lock(&ordered_mutex_);
  if (ordered_.size() >= max_limits_) return false;
  shard.names.emplace(limit.id(), IdShard::Entry{&limit, HashOf(limit.name())});
  ordered_.insert(limit.name());
  return true;
}

void Catalog::Remove(const LimitState& limit) {
  IdShard& shard = ShardFor(limit.id());
  MutexLock id_lock(&shard.mutex);
  WriterMutexLock ordered_lock(&ordered_mutex_);
  shard.names.erase(limit.id());
  ordered_.erase(limit.name());
}

void Catalog::Rename(LimitState& limit, std::string new_name, TimePoint now, double old_max_wait) {
  IdShard& shard = ShardFor(limit.id());
  MutexLock id_lock(&shard.mutex);
  WriterMutexLock ordered_lock(&ordered_mutex_);
  ordered_.erase(limit.name());
  limit.Rename(std::move(new_name), now, old_max_wait);
  ordered_.insert(limit.name());
  auto it = shard.names.find(limit.id());
  if (it != shard.names.end()) it->second.name_hash = HashOf(limit.name());
}

bool Catalog::NameOf(const Uuid& id, std::string* name) const {
  IdShard& shard = ShardFor(id);
  MutexLock lock(&shard.mutex);
  auto it = shard.names.find(id);
  if (it == shard.names.end()) return false;
  name->assign(it->second.limit->name());
  return true;
}

bool Catalog::Locate(const Uuid& id, LimitState** limit, size_t* name_hash) const {
  IdShard& shard = ShardFor(id);
  MutexLock lock(&shard.mutex);
  auto it = shard.names.find(id);
  if (it == shard.names.end()) return false;
  *limit = it->second.limit;
  *name_hash = it->second.name_hash;
  return true;
}

void Catalog::ListNames(std::string_view prefix, size_t offset, size_t max_count,
                        std::vector<std::string>* out) const {
  out->clear();
  ReaderMutexLock lock(&ordered_mutex_);
  auto it = ordered_.lower_bound(prefix);
  for (; it != ordered_.end() && it->starts_with(prefix) && offset > 0; ++it) --offset;
  for (; it != ordered_.end() && it->starts_with(prefix) && out->size() < max_count; ++it) {
    out->emplace_back(*it);
  }
}

size_t Catalog::size() const {
  ReaderMutexLock lock(&ordered_mutex_);
  return ordered_.size();
}

}  // namespace slotd
