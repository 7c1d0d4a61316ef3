// LimitState: one limit's record and its slot arithmetic (decay, denial,
// occupancy). Internal to the engine; the owning shard's mutex guards it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "engine/change.h"
#include "engine/slot_engine.h"

namespace slotd {

class LimitState {
 public:
  LimitState(const Uuid& id, const NewLimit& spec, TimePoint now);
  // The limit an image describes, with an empty lease set (replay).
  explicit LimitState(const LimitImage& image);

  const Uuid& id() const { return id_; }
  const std::string& name() const { return name_; }
  bool active() const { return active_; }
  int64_t limit() const { return limit_; }
  double slot_decay_per_second() const { return decay_; }
  double avg_slot_occupancy_seconds() const { return avg_occupancy_; }
  bool is_tag_limit() const { return name_.starts_with(kTagPrefix); }

  // Slots in use at `now`: the continuous level rounded up, never below 0.
  int64_t ActiveSlotsAt(TimePoint now) const;
  // Denied slots at `now`, decayed the same way at the denial rate.
  int64_t DeniedSlotsAt(TimePoint now, double max_wait) const;

  // How long until decay brings the level low enough for `slots` more to
  // fit: zero if they fit now, nullopt if they never will without a release.
  std::optional<Micros> TimeUntilRoom(int64_t slots, TimePoint now) const;

  // Takes `slots` and brings the denied level up to date.
  void TakeSlots(int64_t slots, TimePoint now, double max_wait);
  // Gives back `slots` (floored at 0).
  void GiveBackSlots(int64_t slots, TimePoint now);
  // Records a refusal of `slots`.
  void AddDenied(int64_t slots, TimePoint now, double max_wait);
  // Folds one release into the occupancy average (no-op when limit is 0).
  void RecordOccupancy(double occupancy_seconds, int64_t slots, TimePoint now, double max_wait);
  // Sets the slot counter exactly (v1 reset).
  void SetActiveSlots(int64_t slots, TimePoint now);

  // Applies the patch's non-name fields (the caller handles renames and has
  // validated the values).
  void ApplyPatch(const LimitPatch& patch, TimePoint now, double max_wait);
  // Renames; the denied level is settled first at the rate of the old name
  // (a rename into or out of tag: changes max_wait, so the rate).
  void Rename(std::string name, TimePoint now, double old_max_wait);

  void FillSnapshot(TimePoint now, double max_wait, LimitSnapshot* out) const;
  void FillRef(LimitRef* out) const;
  // To and from an image: every field but the lease set (and, restoring,
  // the name, which changes through Rename so the catalog stays in step).
  void FillImage(LimitImage* out) const;
  void RestoreImage(const LimitImage& image);

  // A lease holding this limit: its holder, and its place in the order the
  // limit's leases were taken (Prefect lists a v1 limit's holders in lease
  // creation order; an unordered map forgets it, a counter costs nothing).
  struct HeldBy {
    std::optional<Holder> holder;
    uint64_t sequence = 0;
  };
  using LeaseMap = std::unordered_map<Uuid, HeldBy, UuidHash>;

  // Leases holding this limit, by lease id: "who holds this limit" is a
  // lookup here, never a scan of the lease table.
  LeaseMap& leases() { return leases_; }
  const LeaseMap& leases() const { return leases_; }
  // Records a new lease on this limit, after every lease recorded before;
  // returns its place in that order.
  uint64_t AddLease(const Uuid& lease_id, const std::optional<Holder>& holder) {
    leases_.emplace(lease_id, HeldBy{holder, next_lease_sequence_});
    return next_lease_sequence_++;
  }

 private:
  double ActiveLevelAt(TimePoint now) const;
  double DeniedLevelAt(TimePoint now, double max_wait) const;
  double DeniedDecayRate(double max_wait) const;

  Uuid id_;
  std::string name_;
  TimePoint created_;
  TimePoint updated_;
  bool active_;
  int64_t limit_;
  double decay_;
  double avg_occupancy_ = 2.0;
  // Continuous levels, exact at their timestamps and decaying after them.
  double active_level_;
  TimePoint active_level_at_;
  double denied_level_;
  TimePoint denied_level_at_;
  LeaseMap leases_;
  uint64_t next_lease_sequence_ = 0;
};

}  // namespace slotd
