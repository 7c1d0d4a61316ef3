// Monitoring: the counters, every limit's figures, and a limit's holders.
#include <algorithm>
#include <unordered_map>

#include "engine/internal/engine_impl.h"

namespace slotd {

namespace {

void Add(const LimitFigures& limit, EngineFigures::Sum* sum) {
  ++sum->count;
  sum->active_count += limit.active ? 1 : 0;
  sum->limit += static_cast<double>(limit.limit);
  sum->active_slots += static_cast<double>(limit.active_slots);
  sum->denied_slots += static_cast<double>(limit.denied_slots);
  sum->holders += limit.holders;
  sum->waiters += limit.waiters;
}

}  // namespace

EngineCounters SlotEngine::Counters() const {
  const Impl::CounterCells& cells = impl_->counters;
  constexpr auto kRelaxed = std::memory_order_relaxed;
  return EngineCounters{
      .acquisitions = cells.acquisitions.load(kRelaxed),
      .refusals = cells.refusals.load(kRelaxed),
      .releases = cells.releases.load(kRelaxed),
      .expired_leases = cells.expired_leases.load(kRelaxed),
      .revoked_leases = cells.revoked_leases.load(kRelaxed),
  };
}

void SlotEngine::ReadFigures(size_t max_named, EngineFigures* out) {
  // Which limits are shown one by one is settled first, from the ordered
  // index, so the shards are then read once each, in any order.
  std::vector<std::string> names;
  impl_->catalog.ListNames("", 0, max_named, &names);
  std::unordered_map<std::string_view, size_t, NameHash, std::equal_to<>> place;
  place.reserve(names.size());
  for (size_t i = 0; i < names.size(); ++i) place.emplace(names[i], i);
  std::vector<std::optional<LimitFigures>> named(names.size());
  out->others[0] = {};
  out->others[1] = {};
  // Waiters per name, from one read of the line (taken before any shard
  // lock, as the lock order says).
  std::unordered_map<std::string, uint64_t, NameHash, std::equal_to<>> waiting;
  if (impl_->line.engaged.load(std::memory_order_relaxed) != 0) {
    MutexLock lock(&impl_->line.mutex);
    for (const auto& [id, waiter] : impl_->line.waiters) {
      for (const std::string& name : waiter.names) ++waiting[name];
    }
  }

  LimitFigures figures;
  for (const std::unique_ptr<LimitShard>& shard : impl_->shards) {
    MutexLock lock(&shard->mutex);
    const TimePoint now = Now();
    for (const auto& [name, limit] : shard->limits) {
      figures.active = limit.active();
      figures.limit = limit.limit();
      figures.active_slots = limit.ActiveSlotsAt(now);
      figures.denied_slots = limit.DeniedSlotsAt(now, impl_->MaxWait(limit));
      figures.holders = limit.leases().size();
      const auto waiters = waiting.find(name);
      figures.waiters = waiters == waiting.end() ? 0 : waiters->second;
      if (auto it = place.find(name); it != place.end()) {
        figures.name = name;
        named[it->second] = figures;
      } else {
        Add(figures, &out->others[limit.is_tag_limit() ? 1 : 0]);
      }
    }
  }
  // A listed limit deleted before its shard was read drops out.
  out->named.clear();
  for (std::optional<LimitFigures>& limit : named) {
    if (limit) out->named.push_back(std::move(*limit));
  }
}

Status SlotEngine::ReadHolders(std::string_view name, std::vector<HolderLease>* out) {
  out->clear();
  if (name.size() > options_.max_name_bytes) return Status::kNotFound;  // cannot exist
  ShardGuard guard(*impl_, name);
  const LimitState* limit = impl_->FindLocked(name);
  if (!limit) return Status::kNotFound;
  const TimePoint now = Now();
  std::vector<std::pair<uint64_t, HolderLease>> held;
  held.reserve(limit->leases().size());
  LeaseSnapshot lease;
  for (const auto& [lease_id, entry] : limit->leases()) {
    if (!impl_->leases.Read(lease_id, now, &lease)) continue;  // expired, not yet swept
    held.emplace_back(entry.sequence,
                      HolderLease{lease.id, lease.holder, lease.slots, lease.created_at,
                                  lease.expiration, lease.renewals});
  }
  std::sort(held.begin(), held.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  out->reserve(held.size());
  for (auto& [sequence, holder] : held) out->push_back(std::move(holder));
  return Status::kOk;
}

}  // namespace slotd

namespace slotd {

void SlotEngine::SnapshotOfImage(const LimitImage& image, TimePoint at, LimitSnapshot* out) const {
  const LimitState limit(image);
  limit.FillSnapshot(at, impl_->MaxWait(limit), out);
}

}  // namespace slotd
