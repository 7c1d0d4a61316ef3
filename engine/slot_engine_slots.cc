// v2 slots: Acquire (with or without a lease) and Release, per the spec's
// "Acquiring" and "Decay, denial and occupancy".
#include <cmath>

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
  if (request.slots <= 0 || request.slots > kMaxSlotCount) return Status::kInvalidValue;
  if (request.lease && request.lease->duration.count() <= 0) return Status::kInvalidValue;
  if (impl_->Refusing()) return Status::kUnavailable;
  CallScratch& scratch = ThreadScratch();
  UniqueNames(request.names, &scratch.names);
  const Uuid lease_id = request.lease ? NewRandomUuid() : Uuid{};
  ShardGuard guard(*impl_, scratch.names);
  TimePoint now = Now();

  std::vector<LimitState*>& found = scratch.found;
  std::vector<LimitState*>& active = scratch.chosen;
  found.clear();
  active.clear();
  impl_->FindAllLocked(scratch.names, &found);
  for (LimitState* limit : found) {
    if (limit->active()) active.push_back(limit);
  }

  for (LimitState* limit : active) {
    if (limit->limit() < request.slots) return Status::kSlotsExceedLimit;
  }
  if (request.mode == AcquireMode::kRateLimit) {
    out->names_without_decay.clear();
    for (LimitState* limit : active) {
      if (limit->slot_decay_per_second() == 0) out->names_without_decay.push_back(limit->name());
    }
    if (!out->names_without_decay.empty()) return Status::kNoDecayForRateLimit;
  }

  bool fits = true;
  for (LimitState* limit : active) {
    fits = fits && limit->ActiveSlotsAt(now) + request.slots <= limit->limit();
  }
  if (!fits) {
    std::vector<RetryAfterInput> inputs;
    inputs.reserve(active.size());
    for (LimitState* limit : active) {
      double max_wait = impl_->MaxWait(*limit);
      inputs.push_back({limit->limit(), static_cast<double>(limit->DeniedSlotsAt(now, max_wait)),
                        limit->slot_decay_per_second(), limit->avg_slot_occupancy_seconds(),
                        max_wait});
      limit->AddDenied(request.slots, now, max_wait);
    }
    if (impl_->sink && !active.empty()) {
      Change& change = impl_->BeginChange(ChangeKind::kDeny, now);
      impl_->AddImages(active, &change);
      impl_->sink->Append(change);
    }
    double mean = MeanRetryAfter(inputs, request.slots);
    out->retry_after_seconds = JitteredRetryAfter(mean, *options_.random);
    Impl::Count(impl_->counters.refusals);
    return Status::kLocked;
  }

  if (request.lease && !impl_->leases.TryReserve(1)) return Status::kTooManyLeases;
  for (LimitState* limit : active) limit->TakeSlots(request.slots, now, impl_->MaxWait(*limit));
  Change* change = impl_->sink ? &impl_->BeginChange(ChangeKind::kAcquire, now) : nullptr;
  if (request.lease) {
    impl_->AddLease(lease_id, active, request.slots, request.lease->holder, now,
                    request.lease->duration, change);
    out->lease_id = lease_id;
  }
  if (change && (!active.empty() || request.lease)) {
    impl_->AddImages(active, change);
    impl_->sink->Append(*change);
  }
  CollectRefs(found, &out->limits);
  Impl::Count(impl_->counters.acquisitions);
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
  ShardGuard guard(*impl_, scratch.names);
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
  if (impl_->sink && !scratch.chosen.empty()) {
    Change& change = impl_->BeginChange(ChangeKind::kRelease, now);
    impl_->AddImages(scratch.chosen, &change);
    impl_->sink->Append(change);
  }
  CollectRefs(scratch.found, out);
  Impl::Count(impl_->counters.releases);
  return Status::kOk;
}

}  // namespace slotd
