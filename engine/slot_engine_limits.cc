// Limits: create, read, list, update, delete.
#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/internal/engine_impl.h"

namespace slotd {

namespace {

bool IsValidCount(int64_t value) { return value >= 0 && value <= kMaxSlotCount; }
bool IsValidDecay(double value) { return std::isfinite(value) && value >= 0; }

Status ValidatePatch(const LimitPatch& patch, size_t max_name_bytes) {
  if (patch.name && patch.name->size() > max_name_bytes) return Status::kNameTooLong;
  if (patch.name && !IsValidLimitName(*patch.name)) return Status::kInvalidName;
  if (patch.limit && !IsValidCount(*patch.limit)) return Status::kInvalidValue;
  if (patch.active_slots && !IsValidCount(*patch.active_slots)) return Status::kInvalidValue;
  if (patch.denied_slots && !IsValidCount(*patch.denied_slots)) return Status::kInvalidValue;
  if (patch.slot_decay_per_second && !IsValidDecay(*patch.slot_decay_per_second)) {
    return Status::kInvalidValue;
  }
  return Status::kOk;
}

}  // namespace

Status SlotEngine::CreateLimit(const NewLimit& spec, LimitSnapshot* out) {
  if (spec.name.size() > options_.max_name_bytes) return Status::kNameTooLong;
  if (!IsValidLimitName(spec.name)) return Status::kInvalidName;
  if (!IsValidCount(spec.limit) || !IsValidCount(spec.active_slots) ||
      !IsValidCount(spec.denied_slots) || !IsValidDecay(spec.slot_decay_per_second)) {
    return Status::kInvalidValue;
  }
  if (impl_->Refusing()) return Status::kUnavailable;
  ShardGuard guard(*impl_, spec.name);
  LimitShard::Map& limits = impl_->LimitsLocked(spec.name);
  if (limits.contains(spec.name)) return Status::kNameTaken;
  TimePoint now = Now();
  // Built in a map of its own (so the catalog can refuse it), then moved in
  // re-keyed by its stored name.
  LimitShard::Map staging;
  auto built = staging.try_emplace(spec.name, NewRandomUuid(), spec, now).first;
  if (!impl_->catalog.Add(built->second)) return Status::kTooManyLimits;
  LimitState& limit = impl_->InsertLocked(staging.extract(built));
  limit.FillSnapshot(now, impl_->MaxWait(limit), out);
  if (ChangeSink* recorder = impl_->Recorder()) {
    Change& change = impl_->BeginChange(ChangeKind::kCreateLimit, now);
    limit.FillImage(&change.limits.emplace_back());
    recorder->Append(change);
  }
  return Status::kOk;
}

Status SlotEngine::ReadLimit(const LimitKey& key, LimitSnapshot* out, bool with_holders) {
  return WithLimit(*impl_, key, [&](LimitState& limit) {
    TimePoint now = Now();
    limit.FillSnapshot(now, impl_->MaxWait(limit), out);
    if (with_holders) impl_->TaskRunHolders(limit, now, &out->task_run_holders);
    return Status::kOk;
  });
}

void SlotEngine::ListLimits(std::string_view prefix, size_t offset, size_t max_count,
                            std::vector<LimitSnapshot>* out, bool with_holders) {
  std::vector<std::string>& names = ThreadScratch().owned_names;
  impl_->catalog.ListNames(prefix, offset, max_count, &names);
  out->clear();
  for (const std::string& name : names) {
    LimitSnapshot snapshot;
    if (ReadLimit(std::string_view(name), &snapshot, with_holders) == Status::kOk) {
      out->push_back(std::move(snapshot));
    }
  }
}

Status SlotEngine::UpdateLimit(const LimitKey& key, const LimitPatch& patch) {
  WakeLineOnExit wake{*impl_};
  if (Status status = ValidatePatch(patch, options_.max_name_bytes); status != Status::kOk)
    return status;
  if (impl_->Refusing()) return Status::kUnavailable;
  const Uuid* id = std::get_if<Uuid>(&key);
  std::string old_name;
  for (;;) {
    if (!id) {
      old_name = std::get<std::string_view>(key);
    } else if (!impl_->catalog.NameOf(*id, &old_name)) {
      return Status::kNotFound;
    }
    std::string_view new_name = patch.name ? std::string_view(*patch.name) : old_name;
    const std::string_view both[] = {old_name, new_name};
    ShardGuard guard(*impl_, both);
    LimitState* limit = impl_->FindLocked(old_name);
    if (!limit) {
      if (!id) return Status::kNotFound;
      continue;  // renamed or deleted since the catalog read: look again
    }
    if (id && limit->id() != *id) continue;
    bool renaming = new_name != old_name;
    if (renaming && impl_->FindLocked(new_name)) return Status::kNameTaken;
    TimePoint now = Now();
    limit->ApplyPatch(patch, now, impl_->MaxWait(*limit));
    if (renaming) {
      auto node = impl_->LimitsLocked(old_name).extract(old_name);
      impl_->catalog.Rename(node.mapped(), std::string(new_name), now,
                            impl_->MaxWait(node.mapped()));
      limit = &impl_->InsertLocked(std::move(node));
    }
    if (ChangeSink* recorder = impl_->Recorder()) {
      Change& change = impl_->BeginChange(ChangeKind::kUpdateLimit, now);
      limit->FillImage(&change.limits.emplace_back());
      recorder->Append(change);
    }
    return Status::kOk;
  }
}

namespace {

// Deletes the limit `key` names and drops it from every lease holding it;
// with `holders`, appends those leases' ids, read under the same lock.
Status DeleteAndDropFromLeases(SlotEngine::Impl& impl, const LimitKey& key,
                               std::vector<Uuid>* holders) {
  WakeLineOnExit wake{impl};
  if (impl.Refusing()) return Status::kUnavailable;
  return WithLimit(impl, key, [&](LimitState& limit) {
    if (holders) {
      for (const auto& entry : limit.leases()) holders->push_back(entry.first);
    }
    const Uuid id = limit.id();
    impl.DeleteLocked(limit);
    if (ChangeSink* recorder = impl.Recorder()) {
      Change& change = impl.BeginChange(ChangeKind::kDeleteLimit, impl.options.clock->Now());
      change.deleted_limits.push_back(id);
      recorder->Append(change);
    }
    return Status::kOk;
  });
}

}  // namespace

Status SlotEngine::DeleteLimit(const LimitKey& key) {
  return DeleteAndDropFromLeases(*impl_, key, nullptr);
}

Status SlotEngine::DeleteLimitAndRevokeLeases(const LimitKey& key) {
  WakeLineOnExit wake{*impl_};
  std::vector<Uuid> holders;
  const Status status = DeleteAndDropFromLeases(*impl_, key, &holders);
  // Released once the limit's shard is unlocked (ReleaseLease locks each
  // lease's other limits in shard order). A lease its holder released in
  // between is not found, which is as good.
  // Taken here rather than through ReleaseLease, which refuses once the sink
  // does: a delete that went through revokes all its leases.
  for (const Uuid& lease_id : holders) {
    if (std::optional<LeaseSnapshot> lease = impl_->leases.Take(lease_id)) {
      impl_->ReleaseTakenLease(*lease, std::min(Now(), lease->expiration), true,
                               ChangeKind::kReleaseLease);
      Impl::Count(impl_->counters.revoked_leases);
    }
  }
  return status;
}

}  // namespace slotd
