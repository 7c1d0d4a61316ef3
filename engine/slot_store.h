// SlotStore: the one interface the API's handlers talk to. Two stores sit
// behind it: MemorySlotStore (engine/memory_slot_store.h), the in-memory
// SlotEngine with its optional journal, and RedisSlotStore
// (engine/redis/redis_slot_store.h), where limits and leases live in Redis
// and several slotd processes share them.
//
// The semantics of every call are SlotEngine's (engine/slot_engine.h), with
// one more outcome: a store that talks to another process may answer
// kStoreUnavailable (the store cannot be reached within its deadline; the
// change may or may not have been made, see each store's header) on any call
// that returns a Status. The in-memory store never does.
//
// Thread safety: as SlotEngine, every member may be called concurrently.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "engine/slot_engine.h"

namespace slotd {

class SlotStore {
 public:
  virtual ~SlotStore() = default;

  // The clock of this process (logs, events, wait deadlines); a remote
  // store keeps its own clock for the slots (RedisSlotStore: Redis's TIME).
  virtual TimePoint Now() const = 0;
  // EngineOptions::max_name_bytes: the longest name a limit may have.
  virtual size_t MaxNameBytes() const = 0;

  // ---- limits -------------------------------------------------------------
  virtual Status CreateLimit(const NewLimit& spec, LimitSnapshot* out) = 0;
  virtual Status ReadLimit(const LimitKey& key, LimitSnapshot* out, bool with_holders) = 0;
  Status ReadLimit(const LimitKey& key, LimitSnapshot* out) { return ReadLimit(key, out, false); }
  virtual Status ListLimits(std::string_view prefix, size_t offset, size_t max_count,
                            std::vector<LimitSnapshot>* out, bool with_holders) = 0;
  Status ListLimits(std::string_view prefix, size_t offset, size_t max_count,
                    std::vector<LimitSnapshot>* out) {
    return ListLimits(prefix, offset, max_count, out, false);
  }
  virtual Status UpdateLimit(const LimitKey& key, const LimitPatch& patch) = 0;
  virtual Status DeleteLimit(const LimitKey& key) = 0;
  virtual Status DeleteLimitAndRevokeLeases(const LimitKey& key) = 0;

  // ---- v2 slots and leases --------------------------------------------------
  virtual Status Acquire(const AcquireRequest& request, AcquireOutcome* out) = 0;
  virtual Status Release(const ReleaseRequest& request, std::vector<LimitRef>* out) = 0;
  virtual Status RenewLease(const Uuid& lease_id, Micros duration) = 0;
  virtual Status ReleaseLease(const Uuid& lease_id) = 0;

  // ---- v1 tag limits --------------------------------------------------------
  virtual Status UpsertTagLimit(std::string_view tag, int64_t limit, LimitSnapshot* out,
                                bool* created) = 0;
  virtual Status IncrementByTaskRun(std::span<const std::string_view> tags, const Uuid& task_run,
                                    TagIncrementOutcome* out) = 0;
  virtual Status DecrementByTaskRun(std::span<const std::string_view> tags, const Uuid& task_run,
                                    std::vector<LimitRef>* out) = 0;
  virtual Status ResetTagLimit(std::string_view tag, std::span<const Uuid> slot_override) = 0;

  // ---- fair waiting (a store without it answers as Acquire and
  // IncrementByTaskRun, never kWaiting) ----------------------------------------
  virtual Status AcquireOrWait(const AcquireRequest& request, AcquireOutcome* out, WaitTerms terms,
                               WaitId* wait_id) = 0;
  virtual Status IncrementByTaskRunOrWait(std::span<const std::string_view> tags,
                                          const Uuid& task_run, TagIncrementOutcome* out,
                                          WaitTerms terms, WaitId* wait_id) = 0;
  virtual bool CancelWait(WaitId wait_id) = 0;

  // ---- monitoring ---------------------------------------------------------
  // This process's totals since it started.
  virtual EngineCounters Counters() const = 0;
  virtual Status ReadFigures(size_t max_named, EngineFigures* out) = 0;
  virtual Status ReadHolders(std::string_view name, std::vector<HolderLease>* out) = 0;
  // The requests waiting in this process's line that name the limit, in
  // arrival order (fair waiting is per process: none on a store without it).
  virtual Status ReadWaiters(std::string_view name, std::vector<LimitWaiter>* out) = 0;
  // How many limits and leases exist; 0 when the store cannot be reached.
  virtual size_t LimitCount() const = 0;
  virtual size_t LeaseCount() const = 0;

  // ---- durability (SlotEngine's; a store without a journal: at once) -------
  virtual bool AwaitDurable() = 0;
  virtual bool DurabilityPending() const = 0;
  virtual void WhenDurable(std::function<void(bool kept)> done) = 0;

  // ---- background work (main.cc) -------------------------------------------
  virtual void StartSweeper(Micros interval) = 0;
  virtual void StopSweeper() = 0;
  virtual void StartWaitTimer() = 0;
  virtual void StopWaitTimer() = 0;
  virtual void EndAllWaits() = 0;
};

}  // namespace slotd
