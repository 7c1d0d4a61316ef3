// Changes in and out: ApplyChange (replay of a journal or snapshot) and
// ExportState (what a snapshot stores). See engine/change.h for why applying
// after-images in order rebuilds the state.
#include <algorithm>

#include "engine/internal/engine_impl.h"

namespace slotd {

namespace {

std::optional<Holder> HolderOf(const LeaseImage& image) {
  if (!image.has_holder) return std::nullopt;
  return Holder{static_cast<HolderType>(image.holder_type), image.holder_id};
}

}  // namespace

Status SlotEngine::ApplyChange(const Change& change) {
  for (const Uuid& id : change.deleted_limits) impl_->ReplayDelete(id);
  if (change.reset_limit) impl_->ReplayReset(*change.reset_limit);
  for (const Uuid& id : change.ended_leases) impl_->ReplayEndLease(id, change.limits);
  for (const LimitImage& image : change.limits) {
    if (Status status = impl_->ReplayImage(image); status != Status::kOk) return status;
  }
  for (const LeaseImage& image : change.new_leases) {
    if (Status status = impl_->ReplayNewLease(image); status != Status::kOk) return status;
  }
  if (change.renewed_lease) {
    (void)impl_->leases.Renew(*change.renewed_lease, TimePoint::min(), change.renewed_expiration,
                              nullptr);
  }
  return Status::kOk;
}

void SlotEngine::ReserveLeases(size_t count) {
  impl_->leases.ReserveBuckets(std::min(count, impl_->options.max_leases));
}

void SlotEngine::Impl::ReplayDelete(const Uuid& limit_id) {
  (void)WithLimit(*this, limit_id, [&](LimitState& limit) {
    DeleteLocked(limit);
    return Status::kOk;
  });
}

void SlotEngine::Impl::ReplayReset(const Uuid& limit_id) {
  (void)WithLimit(*this, limit_id, [&](LimitState& limit) {
    for (const auto& entry : limit.leases()) {
      leases.DropLimit(entry.first, limit.id(), /*erase_if_empty=*/true);
    }
    limit.leases().clear();
    return Status::kOk;
  });
}

void SlotEngine::Impl::ReplayEndLease(const Uuid& lease_id, std::span<const LimitImage> touched) {
  std::vector<Uuid> holding;
  if (std::optional<LeaseSnapshot> lease = leases.Take(lease_id)) holding = lease->limit_ids;
  for (const LimitImage& image : touched) holding.push_back(image.id);
  for (const Uuid& id : holding) {
    (void)WithLimit(*this, id, [&](LimitState& limit) {
      limit.leases().erase(lease_id);
      return Status::kOk;
    });
  }
}

Status SlotEngine::Impl::ReplayImage(const LimitImage& image) {
  // Most images are of a limit already there under the same name: found by
  // id, without copying its name.
  bool renamed = false;
  const Status found = WithLimitById(*this, image.id, [&](LimitState& limit) {
    if (limit.name() != image.name) {
      renamed = true;
      return Status::kOk;
    }
    limit.RestoreImage(image);
    return Status::kOk;
  });
  if (found == Status::kOk && !renamed) return Status::kOk;
  std::string current;
  if (!catalog.NameOf(image.id, &current)) {
    ShardGuard guard(*this, image.name);
    // A name held by another id was freed later in the run (the later change
    // is the truth), so that limit goes.
    if (LimitState* other = FindLocked(image.name)) DeleteLocked(*other);
    LimitShard::Map staging;
    auto built = staging.try_emplace(image.name, image).first;
    if (!catalog.Add(built->second)) return Status::kTooManyLimits;
    InsertLocked(staging.extract(built));
    return Status::kOk;
  }
  const std::string_view both[] = {current, image.name};
  ShardGuard guard(*this, both);
  LimitState* limit = FindLocked(current);
  if (current != image.name) {
    if (LimitState* other = FindLocked(image.name)) DeleteLocked(*other);
    auto node = LimitsLocked(current).extract(current);
    catalog.Rename(node.mapped(), image.name, image.updated, MaxWait(node.mapped()));
    limit = &InsertLocked(std::move(node));
  }
  limit->RestoreImage(image);
  return Status::kOk;
}

Status SlotEngine::Impl::ReplayNewLease(const LeaseImage& image) {
  ReplayEndLease(image.id, {});  // a lease applied twice is stored once
  if (!leases.TryReserve(1)) return Status::kTooManyLeases;
  LeaseSnapshot lease;
  lease.id = image.id;
  lease.slots = image.slots;
  lease.holder = HolderOf(image);
  lease.created_at = image.created_at;
  lease.expiration = image.expiration;
  for (size_t i = 0; i < image.limit_ids.size(); ++i) {
    // A limit deleted meanwhile is not held (as DeleteLimit drops it).
    (void)WithLimit(*this, image.limit_ids[i], [&](LimitState& limit) {
      limit.leases().insert_or_assign(image.id,
                                      LimitState::HeldBy{lease.holder, image.sequences[i]});
      lease.limit_ids.push_back(limit.id());
      return Status::kOk;
    });
  }
  leases.Insert(std::move(lease));
  return Status::kOk;
}

void SlotEngine::ExportState(const std::function<void(const Change&)>& fn) {
  Change change;
  change.kind = ChangeKind::kSnapshotLimit;
  std::vector<LimitImage> images;
  for (const auto& shard : impl_->shards) {
    images.clear();
    {
      MutexLock lock(&shard->mutex);
      images.reserve(shard->limits.size());
      for (const auto& [name, limit] : shard->limits) limit.FillImage(&images.emplace_back());
    }
    for (LimitImage& image : images) {
      change.limits.assign(1, std::move(image));
      fn(change);
    }
  }
  change.limits.clear();
  change.kind = ChangeKind::kSnapshotLease;
  std::vector<LeaseSnapshot> shard_leases;
  for (size_t index = 0; index < impl_->leases.shard_count(); ++index) {
    impl_->leases.CopyShard(index, &shard_leases);
    for (const LeaseSnapshot& lease : shard_leases) {
      LeaseImage image;
      image.id = lease.id;
      image.slots = lease.slots;
      image.has_holder = lease.holder.has_value();
      image.holder_type = lease.holder ? static_cast<uint8_t>(lease.holder->type) : 0;
      image.holder_id = lease.holder ? lease.holder->id : Uuid{};
      image.created_at = lease.created_at;
      image.expiration = lease.expiration;
      // Each limit's order of its leases is kept in the limit's own set.
      for (const Uuid& limit_id : lease.limit_ids) {
        (void)WithLimit(*impl_, limit_id, [&](LimitState& limit) {
          auto held = limit.leases().find(lease.id);
          if (held == limit.leases().end()) return Status::kOk;
          image.limit_ids.push_back(limit_id);
          image.sequences.push_back(held->second.sequence);
          return Status::kOk;
        });
      }
      change.new_leases.assign(1, std::move(image));
      fn(change);
    }
  }
}

}  // namespace slotd
