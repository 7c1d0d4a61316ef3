// Leases: creation, release, renewal, expiry and the background sweeper.
#include <algorithm>
#include <tuple>

#include "engine/internal/engine_impl.h"

namespace slotd {

void SlotEngine::Impl::AddLease(const Uuid& id, std::span<LimitState* const> held, int64_t slots,
                                const std::optional<Holder>& holder, TimePoint now, Micros duration,
                                Change* change) {
  LeaseSnapshot lease;
  lease.id = id;
  lease.limit_ids.reserve(held.size());
  LeaseImage* image = change ? &change->new_leases.emplace_back() : nullptr;
  for (LimitState* limit : held) {
    lease.limit_ids.push_back(limit->id());
    const uint64_t sequence = limit->AddLease(lease.id, holder);
    if (image) image->sequences.push_back(sequence);
  }
  lease.slots = slots;
  lease.holder = holder;
  lease.created_at = now;
  lease.expiration = now + duration;
  if (image) {
    image->id = id;
    image->limit_ids = lease.limit_ids;
    image->slots = slots;
    image->has_holder = holder.has_value();
    image->holder_type = holder ? static_cast<uint8_t>(holder->type) : 0;
    image->holder_id = holder ? holder->id : Uuid{};
    image->created_at = lease.created_at;
    image->expiration = lease.expiration;
  }
  leases.Insert(std::move(lease));
}

void SlotEngine::Impl::ReleaseTakenLease(const LeaseSnapshot& lease, TimePoint released_at,
                                         bool record_occupancy, ChangeKind kind) {
  double occupancy = MicrosToSeconds(std::max(released_at - lease.created_at, Micros(0)));
  // The lease is out of the table, so this call alone gives its slots back.
  // A limit counts them only while the lease is still in its lease set (a
  // reset or delete may have taken it out first): that is what makes every
  // slot come back exactly once.
  ReleaseScratch& scratch = ThreadScratch().release;
  std::vector<Uuid>& pending = scratch.ids;  // limits not yet given back to
  pending.assign(lease.limit_ids.begin(), lease.limit_ids.end());
  // With a sink, each round appends the limits it gave back to; one change
  // (the lease's end) is appended even when there are none.
  bool appended = false;
  while (!pending.empty()) {
    // Resolve ids to names; a deleted limit drops out.
    if (scratch.names.size() < pending.size()) scratch.names.resize(pending.size());
    size_t count = 0;
    for (const Uuid& id : pending) {
      if (catalog.NameOf(id, &scratch.names[count])) pending[count++] = id;
    }
    pending.resize(count);
    scratch.views.assign(scratch.names.begin(), scratch.names.begin() + count);
    ShardGuard guard(*this, scratch.views);
    TimePoint now = options.clock->Now();
    size_t renamed = 0;
    scratch.given_back.clear();
    for (size_t i = 0; i < count; ++i) {
      LimitState* limit = FindLocked(scratch.views[i]);
      if (!limit || limit->id() != pending[i]) {
        pending[renamed++] = pending[i];  // renamed meanwhile: resolve again
        continue;
      }
      if (limit->leases().erase(lease.id) == 0) continue;
      limit->GiveBackSlots(lease.slots, now);
      if (record_occupancy) limit->RecordOccupancy(occupancy, lease.slots, now, MaxWait(*limit));
      scratch.given_back.push_back(limit);
    }
    if (ChangeSink* recorder = Recorder()) {
      AppendLeaseEnd(recorder, lease.id, kind, now, scratch.given_back, &scratch.change);
      appended = true;
    }
    pending.resize(renamed);
  }
  ChangeSink* recorder = appended ? nullptr : Recorder();
  if (recorder) {
    AppendLeaseEnd(recorder, lease.id, kind, options.clock->Now(), {}, &scratch.change);
  }
}

void SlotEngine::Impl::AppendLeaseEnd(ChangeSink* recorder, const Uuid& lease_id, ChangeKind kind,
                                      TimePoint at, std::span<LimitState* const> given_back,
                                      Change* change) {
  change->Clear();
  change->kind = kind;
  change->at = at;
  change->ended_leases.push_back(lease_id);
  AddImages(given_back, change);
  recorder->Append(*change);
}

bool SlotEngine::Impl::HeldByTaskRun(const LimitState& limit, const Uuid& task_run,
                                     TimePoint now) const {
  const Holder wanted{HolderType::kTaskRun, task_run};
  for (const auto& [lease_id, held] : limit.leases()) {
    if (held.holder == wanted && leases.IsLive(lease_id, now)) return true;
  }
  return false;
}

void SlotEngine::Impl::TaskRunHolders(const LimitState& limit, TimePoint now,
                                      std::vector<Uuid>* out) const {
  // (sequence, task run) of each live task-run lease; a run holding the
  // limit twice is listed once, where its first lease puts it. Sorted here,
  // on the rare read that lists holders, so taking a slot orders nothing.
  std::vector<std::pair<uint64_t, Uuid>> held;
  for (const auto& [lease_id, entry] : limit.leases()) {
    const std::optional<Holder>& holder = entry.holder;
    if (holder && holder->type == HolderType::kTaskRun && leases.IsLive(lease_id, now)) {
      held.emplace_back(entry.sequence, holder->id);
    }
  }
  std::sort(held.begin(), held.end(), [](const auto& a, const auto& b) {
    return std::tie(a.second, a.first) < std::tie(b.second, b.first);
  });
  held.erase(std::unique(held.begin(), held.end(),
                         [](const auto& a, const auto& b) { return a.second == b.second; }),
             held.end());
  std::sort(held.begin(), held.end());
  out->clear();
  out->reserve(held.size());
  for (const auto& [sequence, run] : held) out->push_back(run);
}

Status SlotEngine::RenewLease(const Uuid& lease_id, Micros duration) {
  if (duration.count() <= 0) return Status::kInvalidValue;
  if (impl_->Refusing()) return Status::kUnavailable;
  TimePoint now = Now();
  return impl_->leases.Renew(lease_id, now, now + duration, impl_->Recorder())
             ? Status::kOk
             : Status::kLeaseNotFound;
}

Status SlotEngine::ReleaseLease(const Uuid& lease_id) {
  WakeLineOnExit wake{*impl_};
  if (impl_->Refusing()) return Status::kUnavailable;
  std::optional<LeaseSnapshot> lease = impl_->leases.Take(lease_id);
  if (!lease) return Status::kLeaseNotFound;
  impl_->ReleaseTakenLease(*lease, std::min(Now(), lease->expiration), true,
                           ChangeKind::kReleaseLease);
  Impl::Count(impl_->counters.releases);
  return Status::kOk;
}

Status SlotEngine::ReadLease(const Uuid& lease_id, LeaseSnapshot* out) const {
  return impl_->leases.Read(lease_id, Now(), out) ? Status::kOk : Status::kLeaseNotFound;
}

size_t SlotEngine::ExpireLeases() {
  WakeLineOnExit wake{*impl_};
  // While the sink refuses, expired leases wait in the table (reads already
  // treat them as gone) until the sweep after it recovers.
  if (impl_->Refusing()) return 0;
  std::vector<LeaseSnapshot> expired = impl_->leases.TakeExpired(Now());
  for (const LeaseSnapshot& lease : expired) {
    impl_->ReleaseTakenLease(lease, lease.expiration, true, ChangeKind::kExpireLease);
  }
  Impl::Count(impl_->counters.expired_leases, expired.size());
  return expired.size();
}

size_t SlotEngine::LeaseCount() const { return impl_->leases.size(); }

void SlotEngine::StartSweeper(Micros interval) {
  MutexLock control(&sweeper_control_mutex_);
  StopSweeperLocked();
  {
    MutexLock lock(&sweeper_mutex_);
    sweeper_stop_ = false;
  }
  sweeper_ = std::thread([this, interval] {
    MutexLock lock(&sweeper_mutex_);
    for (;;) {
      // Sleeps `interval` of real time, unless StopSweeper wakes it first.
      const auto deadline = std::chrono::steady_clock::now() + interval;
      bool timed_out = false;
      while (!sweeper_stop_ && !timed_out) {
        timed_out = sweeper_wakeup_.WaitWithDeadline(&sweeper_mutex_, deadline);
      }
      if (sweeper_stop_) return;
      sweeper_mutex_.Unlock();
      ExpireLeases();
      sweeper_mutex_.Lock();
    }
  });
}

void SlotEngine::StopSweeper() {
  MutexLock control(&sweeper_control_mutex_);
  StopSweeperLocked();
}

void SlotEngine::StopSweeperLocked() {
  {
    MutexLock lock(&sweeper_mutex_);
    sweeper_stop_ = true;
  }
  sweeper_wakeup_.SignalAll();
  if (sweeper_.joinable()) sweeper_.join();
}

}  // namespace slotd
