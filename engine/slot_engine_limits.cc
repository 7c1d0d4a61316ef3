// Limits: create, read, list, update, delete.
#include <cmath>

#include "engine/engine_impl.h"

namespace slotd {

namespace {

bool IsValidCount(int64_t value) { return value >= 0 && value <= kMaxSlotCount; }
bool IsValidDecay(double value) { return std::isfinite(value) && value >= 0; }

Status ValidatePatch(const LimitPatch& patch) {
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
  if (!IsValidLimitName(spec.name)) return Status::kInvalidName;
  if (!IsValidCount(spec.limit) || !IsValidCount(spec.active_slots) ||
      !IsValidCount(spec.denied_slots) || !IsValidDecay(spec.slot_decay_per_second)) {
    return Status::kInvalidValue;
  }
  ShardGuard guard(*impl_, spec.name);
  auto& limits = impl_->ShardOf(spec.name).limits;
  if (limits.contains(spec.name)) return Status::kNameTaken;
  TimePoint now = Now();
  Uuid id = NewRandomUuid();
  auto [it, inserted] = limits.try_emplace(spec.name, id, spec, now);
  impl_->CatalogAdd(id, spec.name);
  it->second.FillSnapshot(now, impl_->MaxWait(it->second), out);
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
  names.clear();
  {
    std::shared_lock lock(impl_->catalog_mutex);
    auto it = impl_->ordered_names.lower_bound(prefix);
    for (; it != impl_->ordered_names.end() && it->starts_with(prefix) && offset > 0; ++it) {
      --offset;
    }
    for (; it != impl_->ordered_names.end() && it->starts_with(prefix) && names.size() < max_count;
         ++it) {
      names.push_back(*it);
    }
  }
  out->clear();
  for (const std::string& name : names) {
    LimitSnapshot snapshot;
    if (ReadLimit(std::string_view(name), &snapshot, with_holders) == Status::kOk) {
      out->push_back(std::move(snapshot));
    }
  }
}

Status SlotEngine::UpdateLimit(const LimitKey& key, const LimitPatch& patch) {
  if (Status status = ValidatePatch(patch); status != Status::kOk) return status;
  const Uuid* id = std::get_if<Uuid>(&key);
  for (;;) {
    std::optional<std::string> old_name =
        id ? impl_->NameOf(*id) : std::string(std::get<std::string_view>(key));
    if (!old_name) return Status::kNotFound;
    std::string_view new_name = patch.name ? std::string_view(*patch.name) : *old_name;
    const std::string_view both[] = {*old_name, new_name};
    ShardGuard guard(*impl_, both);
    LimitState* limit = impl_->FindLocked(*old_name);
    if (!limit) {
      if (!id) return Status::kNotFound;
      continue;  // renamed or deleted since the catalog read: look again
    }
    if (id && limit->id() != *id) continue;
    bool renaming = new_name != *old_name;
    if (renaming && impl_->FindLocked(new_name)) return Status::kNameTaken;
    TimePoint now = Now();
    limit->ApplyPatch(patch, now, impl_->MaxWait(*limit));
    if (renaming) {
      Uuid limit_id = limit->id();
      auto node = impl_->ShardOf(*old_name).limits.extract(*old_name);
      node.key() = std::string(new_name);
      node.mapped().Rename(std::string(new_name), now, impl_->MaxWait(node.mapped()));
      impl_->ShardOf(new_name).limits.insert(std::move(node));
      impl_->CatalogRename(limit_id, *old_name, std::string(new_name));
    }
    return Status::kOk;
  }
}

Status SlotEngine::DeleteLimit(const LimitKey& key) {
  return WithLimit(*impl_, key, [&](LimitState& limit) {
    for (const auto& entry : limit.leases()) impl_->leases.DropLimit(entry.first, limit.id(), /*erase_if_empty=*/false);
    Uuid id = limit.id();
    std::string name = limit.name();
    impl_->ShardOf(name).limits.erase(name);
    impl_->CatalogRemove(id, name);
    return Status::kOk;
  });
}

}  // namespace slotd
