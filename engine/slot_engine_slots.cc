// v2 slots: Acquire (with or without a lease) and Release, per the spec's
// "Acquiring" and "Decay, denial and occupancy".
#include <cmath>
#include <optional>

#include "engine/internal/engine_impl.h"
#include "engine/internal/retry_after.h"

namespace slotd {

namespace {

void CollectRefs(std::span<LimitState* const> limits, std::vector<LimitRef>* out) {
  out->resize(limits.size());
  for (size_t i = 0; i < limits.size(); ++i) limits[i]->FillRef(&(*out)[i]);
}

}  // namespace

Status SlotEngine::Acquire(const AcquireRequest& request, AcquireOutcome* out) {
  return AcquireOrWait(request, out, WaitTerms{}, nullptr);
}

Status SlotEngine::AcquireOrWait(const AcquireRequest& request, AcquireOutcome* out,
                                 WaitTerms terms, WaitId* wait_id) {
  if (request.slots <= 0 || request.slots > kMaxSlotCount) return Status::kInvalidValue;
  if (request.lease && request.lease->duration.count() <= 0) return Status::kInvalidValue;
  if (impl_->Refusing()) return Status::kUnavailable;
  const bool wants_wait = static_cast<bool>(terms.done);
  CallScratch& scratch = ThreadScratch();
  UniqueNames(request.names, &scratch.names);
  if (impl_->line.engaged.load(std::memory_order_seq_cst) == 0) {
    // Nothing waits: today's acquisition, unchanged.
    const Uuid lease_id = request.lease ? NewRandomUuid() : Uuid{};
    ShardGuard guard(*impl_, scratch.names);
    const Status status =
        impl_->TryAcquireLocked(scratch.names, request.slots, request.mode, request.lease, lease_id,
                                Now(), /*held_back=*/{}, /*final=*/!wants_wait, out, nullptr);
    if (status != Status::kLocked || !wants_wait) return status;
  }
  Waiter waiter;
  waiter.names.assign(scratch.names.begin(), scratch.names.end());
  waiter.slots = request.slots;
  waiter.mode = request.mode;
  waiter.lease = request.lease;
  waiter.deadline = terms.deadline;
  waiter.done = std::move(terms.done);
  WaitResult result;
  const Status status = impl_->Arrive(std::move(waiter), wants_wait, &result, wait_id);
  if (status != Status::kWaiting) *out = std::move(result.acquire);
  return status;
}

Status SlotEngine::Impl::TryAcquireLocked(std::span<const std::string_view> names, int64_t slots,
                                          AcquireMode mode, const std::optional<LeaseTerms>& lease,
                                          const Uuid& lease_id, TimePoint now,
                                          std::span<const HeldBack> held_back, bool final,
                                          AcquireOutcome* out, Blocked* blocked) {
  CallScratch& scratch = ThreadScratch();
  std::vector<LimitState*>& found = scratch.found;
  std::vector<LimitState*>& active = scratch.chosen;
  found.clear();
  active.clear();
  FindAllLocked(names, &found);
  for (LimitState* limit : found) {
    if (limit->active()) active.push_back(limit);
  }

  for (LimitState* limit : active) {
    if (limit->limit() < slots) return Status::kSlotsExceedLimit;
  }
  if (mode == AcquireMode::kRateLimit) {
    out->names_without_decay.clear();
    for (LimitState* limit : active) {
      if (limit->slot_decay_per_second() == 0) out->names_without_decay.push_back(limit->name());
    }
    if (!out->names_without_decay.empty()) return Status::kNoDecayForRateLimit;
  }

  bool fits = true;
  for (LimitState* limit : active) {
    fits = fits && limit->ActiveSlotsAt(now) + slots <= limit->limit();
  }
  bool room = fits;
  for (size_t i = 0; room && !held_back.empty() && i < active.size(); ++i) {
    room = active[i]->ActiveSlotsAt(now) + slots + HeldBackOn(held_back, active[i]->name()) <=
           active[i]->limit();
  }
  if (!room) {
    if (!final) {
      if (blocked && !fits) NoteBlocked(active, slots, now, blocked);
      return Status::kLocked;
    }
    std::vector<RetryAfterInput> inputs;
    inputs.reserve(active.size());
    for (LimitState* limit : active) {
      double max_wait = MaxWait(*limit);
      inputs.push_back({limit->limit(), static_cast<double>(limit->DeniedSlotsAt(now, max_wait)),
                        limit->slot_decay_per_second(), limit->avg_slot_occupancy_seconds(),
                        max_wait});
      limit->AddDenied(slots, now, max_wait);
    }
    ChangeSink* recorder = Recorder();
    if (recorder && !active.empty()) {
      Change& change = BeginChange(ChangeKind::kDeny, now);
      AddImages(active, &change);
      recorder->Append(change);
    }
    double mean = MeanRetryAfter(inputs, slots);
    out->retry_after_seconds = JitteredRetryAfter(mean, *options.random);
    Count(counters.refusals);
    return Status::kLocked;
  }

  if (lease && !leases.TryReserve(1)) return Status::kTooManyLeases;
  for (LimitState* limit : active) limit->TakeSlots(slots, now, MaxWait(*limit));
  ChangeSink* recorder = Recorder();
  Change* change = recorder ? &BeginChange(ChangeKind::kAcquire, now) : nullptr;
  if (lease) {
    AddLease(lease_id, active, slots, lease->holder, now, lease->duration, change);
    out->lease_id = lease_id;
  }
  if (change && (!active.empty() || lease)) {
    AddImages(active, change);
    recorder->Append(*change);
  }
  CollectRefs(found, &out->limits);
  Count(counters.acquisitions);
  return Status::kOk;
}

Status SlotEngine::Release(const ReleaseRequest& request, std::vector<LimitRef>* out) {
  if (request.slots <= 0 || request.slots > kMaxSlotCount) return Status::kInvalidValue;
  if (request.occupancy_seconds &&
      !(std::isfinite(*request.occupancy_seconds) && *request.occupancy_seconds > 0)) {
    return Status::kInvalidValue;
  }
  if (impl_->Refusing()) return Status::kUnavailable;
  CallScratch& scratch = ThreadScratch();
  UniqueNames(request.names, &scratch.names);
  std::optional<ShardGuard> guard(std::in_place, *impl_, scratch.names);
  TimePoint now = Now();
  scratch.found.clear();
  scratch.chosen.clear();
  impl_->FindAllLocked(scratch.names, &scratch.found);
  for (LimitState* limit : scratch.found) {
    if (!limit->active()) continue;
    scratch.chosen.push_back(limit);
    limit->GiveBackSlots(request.slots, now);
    if (request.occupancy_seconds) {
      limit->RecordOccupancy(*request.occupancy_seconds, request.slots, now,
                             impl_->MaxWait(*limit));
    }
  }
  ChangeSink* recorder = impl_->Recorder();
  if (recorder && !scratch.chosen.empty()) {
    Change& change = impl_->BeginChange(ChangeKind::kRelease, now);
    impl_->AddImages(scratch.chosen, &change);
    recorder->Append(change);
  }
  CollectRefs(scratch.found, out);
  Impl::Count(impl_->counters.releases);
  guard.reset();
  impl_->WakeLine();
  return Status::kOk;
}

}  // namespace slotd
