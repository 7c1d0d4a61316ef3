// The v1 tag-limit view: a tag T is the limit named "tag:T".
#include <algorithm>
#include <unordered_set>

#include "engine/internal/engine_impl.h"

namespace slotd {

namespace {

// Fills scratch.owned_names with "tag:<tag>" per distinct tag and
// scratch.names with views of them (the buffers stay valid for the call).
void PrefixTags(std::span<const std::string_view> tags, CallScratch& scratch) {
  UniqueNames(tags, &scratch.names);
  scratch.owned_names.resize(scratch.names.size());
  for (size_t i = 0; i < scratch.names.size(); ++i) {
    std::string& name = scratch.owned_names[i];
    name.assign(kTagPrefix);
    name.append(scratch.names[i]);
  }
  for (size_t i = 0; i < scratch.names.size(); ++i) scratch.names[i] = scratch.owned_names[i];
}

std::string_view BareTag(const LimitState& limit) {
  return std::string_view(limit.name()).substr(kTagPrefix.size());
}

}  // namespace

Status SlotEngine::UpsertTagLimit(std::string_view tag, int64_t limit, LimitSnapshot* out,
                                  bool* created) {
  if (kTagPrefix.size() + tag.size() > options_.max_name_bytes) return Status::kNameTooLong;
  const std::string name = TagLimitName(tag);
  if (tag.empty() || !IsValidLimitName(name)) return Status::kInvalidName;
  if (limit < 0 || limit > kMaxSlotCount) return Status::kInvalidValue;
  if (impl_->Refusing()) return Status::kUnavailable;
  // Create, update and read each lock the name's shard on their own; a delete
  // can slip between them, and then the upsert starts over.
  for (;;) {
    NewLimit spec;
    spec.name = name;
    spec.limit = limit;
    Status status = CreateLimit(spec, out);
    if (status != Status::kNameTaken) {
      *created = status == Status::kOk;
      return status;
    }
    LimitPatch patch;
    patch.limit = limit;
    status = UpdateLimit(std::string_view(name), patch);
    if (status == Status::kOk &&
        ReadLimit(std::string_view(name), out, /*with_holders=*/true) == Status::kOk) {
      *created = false;
      return Status::kOk;
    }
    // Deleted between the steps: start over.
  }
}

Status SlotEngine::IncrementByTaskRun(std::span<const std::string_view> tags, const Uuid& task_run,
                                      TagIncrementOutcome* out) {
  return IncrementByTaskRunOrWait(tags, task_run, out, WaitTerms{}, nullptr);
}

Status SlotEngine::IncrementByTaskRunOrWait(std::span<const std::string_view> tags,
                                            const Uuid& task_run, TagIncrementOutcome* out,
                                            WaitTerms terms, WaitId* wait_id) {
  if (impl_->Refusing()) return Status::kUnavailable;
  const bool wants_wait = static_cast<bool>(terms.done);
  CallScratch& scratch = ThreadScratch();
  PrefixTags(tags, scratch);
  if (impl_->line.engaged.load(std::memory_order_seq_cst) == 0) {
    // Nothing waits: today's increment, unchanged.
    const Uuid lease_id = NewRandomUuid();
    ShardGuard guard(*impl_, scratch.names);
    const Status status =
        impl_->TryIncrementLocked(scratch.names, task_run, lease_id, Now(), /*held_back=*/{},
                                  /*final=*/!wants_wait, out, nullptr);
    if (status != Status::kLocked || !wants_wait) return status;
  }
  Waiter waiter;
  waiter.tag = true;
  waiter.names.assign(scratch.names.begin(), scratch.names.end());
  waiter.task_run = task_run;
  waiter.deadline = terms.deadline;
  waiter.done = std::move(terms.done);
  WaitResult result;
  const Status status = impl_->Arrive(std::move(waiter), wants_wait, &result, wait_id);
  if (status != Status::kWaiting) *out = std::move(result.tag);
  return status;
}

Status SlotEngine::Impl::TryIncrementLocked(std::span<const std::string_view> names,
                                            const Uuid& task_run, const Uuid& lease_id,
                                            TimePoint now, std::span<const HeldBack> held_back,
                                            bool final, TagIncrementOutcome* out,
                                            Blocked* blocked) {
  CallScratch& scratch = ThreadScratch();
  scratch.found.clear();
  FindAllLocked(names, &scratch.found);

  for (LimitState* limit : scratch.found) {
    if (limit->limit() == 0) {
      out->refusing_tag = BareTag(*limit);
      return Status::kZeroLimit;
    }
  }
  std::vector<LimitState*>& to_take = scratch.chosen;
  to_take.clear();
  for (LimitState* limit : scratch.found) {
    if (limit->active() && !HeldByTaskRun(*limit, task_run, now)) to_take.push_back(limit);
  }
  for (LimitState* limit : to_take) {
    if (limit->ActiveSlotsAt(now) + 1 > limit->limit()) {
      out->refusing_tag = BareTag(*limit);
      out->retry_after_seconds = options.tag_wait_seconds;
      if (final) Count(counters.refusals);
      if (!final && blocked) NoteBlocked(to_take, 1, now, blocked);
      return Status::kLocked;
    }
  }
  for (LimitState* limit : to_take) {
    if (!held_back.empty() &&
        limit->ActiveSlotsAt(now) + 1 + HeldBackOn(held_back, limit->name()) > limit->limit()) {
      // Room, but the line holds it for earlier waiters: refused as full.
      out->refusing_tag = BareTag(*limit);
      out->retry_after_seconds = options.tag_wait_seconds;
      if (final) Count(counters.refusals);
      return Status::kLocked;
    }
  }
  if (!to_take.empty()) {
    if (!leases.TryReserve(1)) return Status::kTooManyLeases;
    for (LimitState* limit : to_take) limit->TakeSlots(1, now, MaxWait(*limit));
    ChangeSink* recorder = Recorder();
    Change* change = recorder ? &BeginChange(ChangeKind::kIncrementV1, now) : nullptr;
    AddLease(lease_id, to_take, 1, Holder{HolderType::kTaskRun, task_run}, now, kV1LeaseDuration,
             change);
    if (change) {
      AddImages(to_take, change);
      recorder->Append(*change);
    }
  }
  out->limits.clear();
  for (LimitState* limit : scratch.found) {
    if (limit->active())
      out->limits.push_back({limit->id(), std::string(BareTag(*limit)), limit->limit()});
  }
  Count(counters.acquisitions);
  return Status::kOk;
}

Status SlotEngine::DecrementByTaskRun(std::span<const std::string_view> tags, const Uuid& task_run,
                                      std::vector<LimitRef>* out) {
  WakeLineOnExit wake{*impl_};
  if (impl_->Refusing()) return Status::kUnavailable;
  CallScratch& scratch = ThreadScratch();
  std::vector<Uuid> lease_ids;
  {
    PrefixTags(tags, scratch);
    ShardGuard guard(*impl_, scratch.names);
    scratch.found.clear();
    impl_->FindAllLocked(scratch.names, &scratch.found);
    const Holder wanted{HolderType::kTaskRun, task_run};
    out->resize(scratch.found.size());
    for (size_t i = 0; i < scratch.found.size(); ++i) {
      LimitState* limit = scratch.found[i];
      limit->FillRef(&(*out)[i]);
      for (const auto& [lease_id, held] : limit->leases()) {
        if (held.holder == wanted) lease_ids.push_back(lease_id);
      }
    }
  }
  std::sort(lease_ids.begin(), lease_ids.end());
  lease_ids.erase(std::unique(lease_ids.begin(), lease_ids.end()), lease_ids.end());
  TimePoint now = Now();
  for (const Uuid& lease_id : lease_ids) {
    if (std::optional<LeaseSnapshot> lease = impl_->leases.Take(lease_id)) {
      impl_->ReleaseTakenLease(*lease, now, /*record_occupancy=*/false, ChangeKind::kReleaseLease);
    }
  }
  Impl::Count(impl_->counters.releases);
  return Status::kOk;
}

Status SlotEngine::ResetTagLimit(std::string_view tag, std::span<const Uuid> slot_override) {
  WakeLineOnExit wake{*impl_};
  const std::string name = TagLimitName(tag);
  // The distinct ids in the order given: the leases are taken in that order,
  // and a v1 read lists holders in lease order, as Prefect does.
  std::vector<Uuid> holders;
  holders.reserve(slot_override.size());
  std::unordered_set<Uuid, UuidHash> seen;
  for (const Uuid& run : slot_override) {
    if (seen.insert(run).second) holders.push_back(run);
  }
  if (impl_->Refusing()) return Status::kUnavailable;
  return WithLimit(*impl_, std::string_view(name), [&](LimitState& limit) {
    // Reserved before the old leases go, so a refusal changes nothing.
    if (!impl_->leases.TryReserve(holders.size())) return Status::kTooManyLeases;
    TimePoint now = Now();
    // As Prefect revokes them: a lease that held only this limit goes.
    uint64_t revoked = 0;
    for (const auto& entry : limit.leases()) {
      revoked += impl_->leases.DropLimit(entry.first, limit.id(), /*erase_if_empty=*/true);
    }
    Impl::Count(impl_->counters.revoked_leases, revoked);
    limit.leases().clear();
    limit.SetActiveSlots(static_cast<int64_t>(holders.size()), now);
    LimitState* held[] = {&limit};
    ChangeSink* recorder = impl_->Recorder();
    Change* change = recorder ? &impl_->BeginChange(ChangeKind::kResetV1, now) : nullptr;
    for (const Uuid& run : holders) {
      impl_->AddLease(NewRandomUuid(), held, 1, Holder{HolderType::kTaskRun, run}, now,
                      kV1LeaseDuration, change);
    }
    if (change) {
      change->reset_limit = limit.id();
      impl_->AddImages(held, change);
      recorder->Append(*change);
    }
    return Status::kOk;
  });
}

}  // namespace slotd
