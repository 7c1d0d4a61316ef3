#include "engine/internal/limit_state.h"

#include <algorithm>
#include <cmath>

namespace slotd {

namespace {

// Levels are doubles; a level a rounding error above an integer still reports
// that integer.
constexpr double kLevelEpsilon = 1e-9;

int64_t RoundUpLevel(double level) {
  if (level <= kLevelEpsilon) return 0;
  return static_cast<int64_t>(std::min(std::ceil(level - kLevelEpsilon), double(kMaxSlotCount)));
}

double Elapsed(TimePoint from, TimePoint to) {
  return to > from ? MicrosToSeconds(to - from) : 0.0;
}

}  // namespace

LimitState::LimitState(const Uuid& id, const NewLimit& spec, TimePoint now)
    : id_(id),
      name_(spec.name),
      created_(now),
      updated_(now),
      active_(spec.active),
      limit_(spec.limit),
      decay_(spec.slot_decay_per_second),
      active_level_(static_cast<double>(spec.active_slots)),
      active_level_at_(now),
      denied_level_(static_cast<double>(spec.denied_slots)),
      denied_level_at_(now) {}

LimitState::LimitState(const LimitImage& image) : id_(image.id), name_(image.name) {
  RestoreImage(image);
}

void LimitState::FillImage(LimitImage* out) const {
  out->id = id_;
  out->name = name_;
  out->created = created_;
  out->updated = updated_;
  out->active = active_;
  out->limit = limit_;
  out->slot_decay_per_second = decay_;
  out->avg_slot_occupancy_seconds = avg_occupancy_;
  out->active_level = active_level_;
  out->active_level_at = active_level_at_;
  out->denied_level = denied_level_;
  out->denied_level_at = denied_level_at_;
  out->next_lease_sequence = next_lease_sequence_;
}

void LimitState::RestoreImage(const LimitImage& image) {
  created_ = image.created;
  updated_ = image.updated;
  active_ = image.active;
  limit_ = image.limit;
  decay_ = image.slot_decay_per_second;
  avg_occupancy_ = image.avg_slot_occupancy_seconds;
  active_level_ = image.active_level;
  active_level_at_ = image.active_level_at;
  denied_level_ = image.denied_level;
  denied_level_at_ = image.denied_level_at;
  next_lease_sequence_ = image.next_lease_sequence;
}

double LimitState::ActiveLevelAt(TimePoint now) const {
  if (decay_ <= 0) return active_level_;
  return std::max(0.0, active_level_ - decay_ * Elapsed(active_level_at_, now));
}

std::optional<Micros> LimitState::TimeUntilRoom(int64_t slots, TimePoint now) const {
  if (ActiveSlotsAt(now) + slots <= limit_) return Micros(0);
  if (decay_ <= 0 || slots > limit_) return std::nullopt;
  const double excess = ActiveLevelAt(now) - static_cast<double>(limit_ - slots);
  // One microsecond past the instant, so the level is below it then.
  return Micros(static_cast<int64_t>(std::ceil(excess / decay_ * 1e6)) + 1);
}

double LimitState::DeniedDecayRate(double max_wait) const {
  if (decay_ > 0) return decay_;
  return 1.0 / std::clamp(avg_occupancy_, 0.1, std::max(0.1, max_wait));
}

double LimitState::DeniedLevelAt(TimePoint now, double max_wait) const {
  double decayed = denied_level_ - DeniedDecayRate(max_wait) * Elapsed(denied_level_at_, now);
  return std::max(0.0, decayed);
}

int64_t LimitState::ActiveSlotsAt(TimePoint now) const { return RoundUpLevel(ActiveLevelAt(now)); }

int64_t LimitState::DeniedSlotsAt(TimePoint now, double max_wait) const {
  return RoundUpLevel(DeniedLevelAt(now, max_wait));
}

void LimitState::TakeSlots(int64_t slots, TimePoint now, double max_wait) {
  active_level_ = ActiveLevelAt(now) + static_cast<double>(slots);
  active_level_at_ = now;
  denied_level_ = DeniedLevelAt(now, max_wait);
  denied_level_at_ = now;
  updated_ = now;
}

void LimitState::GiveBackSlots(int64_t slots, TimePoint now) {
  active_level_ = std::max(0.0, ActiveLevelAt(now) - static_cast<double>(slots));
  active_level_at_ = now;
  updated_ = now;
}

void LimitState::AddDenied(int64_t slots, TimePoint now, double max_wait) {
  denied_level_ = std::min(DeniedLevelAt(now, max_wait) + static_cast<double>(slots),
                           static_cast<double>(kMaxSlotCount));
  denied_level_at_ = now;
  updated_ = now;
}

void LimitState::RecordOccupancy(double occupancy_seconds, int64_t slots, TimePoint now,
                                 double max_wait) {
  if (limit_ == 0 || slots <= 0) return;
  // The denial decay rate depends on the average: settle the denied level at
  // the old rate before the rate changes.
  denied_level_ = DeniedLevelAt(now, max_wait);
  denied_level_at_ = now;
  double per_slot = std::max(occupancy_seconds / static_cast<double>(slots), 0.1);
  double weight = static_cast<double>(limit_) * 2.0;
  avg_occupancy_ += per_slot / weight - avg_occupancy_ / weight;
  updated_ = now;
}

void LimitState::SetActiveSlots(int64_t slots, TimePoint now) {
  active_level_ = static_cast<double>(slots);
  active_level_at_ = now;
  updated_ = now;
}

void LimitState::ApplyPatch(const LimitPatch& patch, TimePoint now, double max_wait) {
  if (patch.slot_decay_per_second) {
    // Settle both levels at the old rates first, so the new rate applies only
    // from now on.
    active_level_ = ActiveLevelAt(now);
    active_level_at_ = now;
    denied_level_ = DeniedLevelAt(now, max_wait);
    denied_level_at_ = now;
    decay_ = *patch.slot_decay_per_second;
  }
  if (patch.active) active_ = *patch.active;
  if (patch.limit) limit_ = *patch.limit;
  if (patch.active_slots) SetActiveSlots(*patch.active_slots, now);
  if (patch.denied_slots) {
    denied_level_ = static_cast<double>(*patch.denied_slots);
    denied_level_at_ = now;
  }
  updated_ = now;
}

void LimitState::Rename(std::string name, TimePoint now, double old_max_wait) {
  denied_level_ = DeniedLevelAt(now, old_max_wait);
  denied_level_at_ = now;
  name_ = std::move(name);
  updated_ = now;
}

void LimitState::FillSnapshot(TimePoint now, double max_wait, LimitSnapshot* out) const {
  out->id = id_;
  out->created = created_;
  out->updated = updated_;
  out->active = active_;
  out->name = name_;
  out->limit = limit_;
  out->active_slots = ActiveSlotsAt(now);
  out->denied_slots = DeniedSlotsAt(now, max_wait);
  out->slot_decay_per_second = decay_;
  out->avg_slot_occupancy_seconds = avg_occupancy_;
  out->task_run_holders.clear();
}

void LimitState::FillRef(LimitRef* out) const {
  out->id = id_;
  out->name = name_;
  out->limit = limit_;
}

}  // namespace slotd
