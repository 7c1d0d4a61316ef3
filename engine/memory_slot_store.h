// MemorySlotStore: the in-memory SlotEngine (with the journal of --data-dir
// when it has a change sink) behind the SlotStore interface. Every call goes
// straight to the engine; it adds nothing and never answers
// kStoreUnavailable.
#pragma once

#include "engine/slot_engine.h"
#include "engine/slot_store.h"

namespace slotd {

class MemorySlotStore final : public SlotStore {
 public:
  // `engine` must outlive the store.
  explicit MemorySlotStore(SlotEngine& engine) : engine_(engine) {}

  SlotEngine& engine() { return engine_; }

  TimePoint Now() const override { return engine_.Now(); }
  size_t MaxNameBytes() const override { return engine_.options().max_name_bytes; }

  Status CreateLimit(const NewLimit& spec, LimitSnapshot* out) override {
    return engine_.CreateLimit(spec, out);
  }
  using SlotStore::ReadLimit;
  Status ReadLimit(const LimitKey& key, LimitSnapshot* out, bool with_holders) override {
    return engine_.ReadLimit(key, out, with_holders);
  }
  using SlotStore::ListLimits;
  Status ListLimits(std::string_view prefix, size_t offset, size_t max_count,
                    std::vector<LimitSnapshot>* out, bool with_holders) override {
    engine_.ListLimits(prefix, offset, max_count, out, with_holders);
    return Status::kOk;
  }
  Status UpdateLimit(const LimitKey& key, const LimitPatch& patch) override {
    return engine_.UpdateLimit(key, patch);
  }
  Status DeleteLimit(const LimitKey& key) override { return engine_.DeleteLimit(key); }
  Status DeleteLimitAndRevokeLeases(const LimitKey& key) override {
    return engine_.DeleteLimitAndRevokeLeases(key);
  }

  Status Acquire(const AcquireRequest& request, AcquireOutcome* out) override {
    return engine_.Acquire(request, out);
  }
  Status Release(const ReleaseRequest& request, std::vector<LimitRef>* out) override {
    return engine_.Release(request, out);
  }
  Status RenewLease(const Uuid& lease_id, Micros duration) override {
    return engine_.RenewLease(lease_id, duration);
  }
  Status ReleaseLease(const Uuid& lease_id) override { return engine_.ReleaseLease(lease_id); }

  Status UpsertTagLimit(std::string_view tag, int64_t limit, LimitSnapshot* out,
                        bool* created) override {
    return engine_.UpsertTagLimit(tag, limit, out, created);
  }
  Status IncrementByTaskRun(std::span<const std::string_view> tags, const Uuid& task_run,
                            TagIncrementOutcome* out) override {
    return engine_.IncrementByTaskRun(tags, task_run, out);
  }
  Status DecrementByTaskRun(std::span<const std::string_view> tags, const Uuid& task_run,
                            std::vector<LimitRef>* out) override {
    return engine_.DecrementByTaskRun(tags, task_run, out);
  }
  Status ResetTagLimit(std::string_view tag, std::span<const Uuid> slot_override) override {
    return engine_.ResetTagLimit(tag, slot_override);
  }

  Status AcquireOrWait(const AcquireRequest& request, AcquireOutcome* out, WaitTerms terms,
                       WaitId* wait_id) override {
    return engine_.AcquireOrWait(request, out, std::move(terms), wait_id);
  }
  Status IncrementByTaskRunOrWait(std::span<const std::string_view> tags, const Uuid& task_run,
                                  TagIncrementOutcome* out, WaitTerms terms,
                                  WaitId* wait_id) override {
    return engine_.IncrementByTaskRunOrWait(tags, task_run, out, std::move(terms), wait_id);
  }
  bool CancelWait(WaitId wait_id) override { return engine_.CancelWait(wait_id); }

  EngineCounters Counters() const override { return engine_.Counters(); }
  Status ReadFigures(size_t max_named, EngineFigures* out) override {
    engine_.ReadFigures(max_named, out);
    return Status::kOk;
  }
  Status ReadHolders(std::string_view name, std::vector<HolderLease>* out) override {
    return engine_.ReadHolders(name, out);
  }
  Status ReadWaiters(std::string_view name, std::vector<LimitWaiter>* out) override {
    engine_.ReadWaiters(name, out);
    return Status::kOk;
  }
  size_t LimitCount() const override { return engine_.LimitCount(); }
  size_t LeaseCount() const override { return engine_.LeaseCount(); }

  bool AwaitDurable() override { return engine_.AwaitDurable(); }
  bool DurabilityPending() const override { return engine_.DurabilityPending(); }
  void WhenDurable(std::function<void(bool kept)> done) override {
    engine_.WhenDurable(std::move(done));
  }

  void StartSweeper(Micros interval) override { engine_.StartSweeper(interval); }
  void StopSweeper() override { engine_.StopSweeper(); }
  void StartWaitTimer() override { engine_.StartWaitTimer(); }
  void StopWaitTimer() override { engine_.StopWaitTimer(); }
  void EndAllWaits() override { engine_.EndAllWaits(); }

 private:
  SlotEngine& engine_;
};

}  // namespace slotd
