// RedisSlotStore: limits and leases in Redis (--store redis://...), so that
// several slotd processes share one set of limits. slotd keeps no
// authoritative state of its own: every operation is one Lua function of the
// library "slotd" (redis_scripts.cc, Redis 7 Functions), loaded with FUNCTION
// LOAD REPLACE, called by FCALL and loaded again when Redis answers "Function
// not found" (after a restart without persistence or FUNCTION FLUSH). The
// functions read the time with TIME, so every instance uses Redis's clock.
//
// Keys (all under the hash tag {slotd}, so in Redis Cluster they share one
// hash slot and a multi-limit acquire is one function call on one node):
//   {slotd}:names              hash   name -> limit id
//   {slotd}:lex                zset   every name, score 0 (ordered listing)
//   {slotd}:l:<limit id>       string the limit: 11 doubles (times, levels,
//                                     ...; redis_scripts.cc), then its name
//   {slotd}:h:<limit id>       zset   lease ids holding it, by lease order
//                                     (holders are a lookup, not a scan)
//   {slotd}:r:<limit id>:<run> set    leases of task run <run> on it (v1)
//   {slotd}:e:<lease id>       hash   the lease: slots, holder, times, limits
//   {slotd}:exp                zset   lease id by expiration (the sweep)
//
// Faults: each call takes a pooled connection (connect and command timeouts
// both `timeout`); a connection that fails is dropped and a new one is made
// on a later call, at most one connect attempt per `reconnect_interval`
// while Redis stays down. A call that cannot reach Redis answers
// kStoreUnavailable. When a command was sent but its answer never came
// (timeout), the function may have run: a refusal is then a possible grant,
// which the lease's expiry (or a v1 decrement) gives back.
//
// hiredis writes with write(2): the process must ignore SIGPIPE (slotd's
// main does), or a write to a Redis that has gone away kills it.
//
// Fair waiting (AcquireOrWait) answers as Acquire: the store has no wait
// line (main.cc refuses --wait-seconds with it).
#pragma once

#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/mutex.h"
#include "engine/redis/redis_scripts.h"
#include "engine/redis/redis_url.h"
#include "engine/slot_store.h"

namespace slotd::redis {

struct RedisStoreOptions {
  RedisAddress address;
  // Connect timeout and the timeout of every command.
  std::chrono::milliseconds timeout{1000};
  // After a failed connect, calls answer kStoreUnavailable at once for this
  // long before the next attempt.
  std::chrono::milliseconds reconnect_interval{100};
  size_t connections = 8;  // the pool's size
  std::string key_prefix = "{slotd}";
  // The engine options that apply: tag_wait_seconds, max_slot_wait_seconds,
  // max_limits, max_leases, max_name_bytes, clock (Now() only) and random
  // (the Retry-After jitter).
  EngineOptions engine;
};

class RedisSlotStore final : public SlotStore {
 public:
  // Connects and loads the scripts; null with *error set if Redis cannot be
  // reached or refuses (a wrong password, a bad DB).
  static std::unique_ptr<RedisSlotStore> Open(RedisStoreOptions options, std::string* error);
  ~RedisSlotStore() override;

  TimePoint Now() const override { return options_.engine.clock->Now(); }
  size_t MaxNameBytes() const override { return options_.engine.max_name_bytes; }

  Status CreateLimit(const NewLimit& spec, LimitSnapshot* out) override;
  using SlotStore::ReadLimit;
  Status ReadLimit(const LimitKey& key, LimitSnapshot* out, bool with_holders) override;
  using SlotStore::ListLimits;
  Status ListLimits(std::string_view prefix, size_t offset, size_t max_count,
                    std::vector<LimitSnapshot>* out, bool with_holders) override;
  Status UpdateLimit(const LimitKey& key, const LimitPatch& patch) override;
  Status DeleteLimit(const LimitKey& key) override;
  Status DeleteLimitAndRevokeLeases(const LimitKey& key) override;

  Status Acquire(const AcquireRequest& request, AcquireOutcome* out) override;
  Status Release(const ReleaseRequest& request, std::vector<LimitRef>* out) override;
  Status RenewLease(const Uuid& lease_id, Micros duration) override;
  Status ReleaseLease(const Uuid& lease_id) override;

  Status UpsertTagLimit(std::string_view tag, int64_t limit, LimitSnapshot* out,
                        bool* created) override;
  Status IncrementByTaskRun(std::span<const std::string_view> tags, const Uuid& task_run,
                            TagIncrementOutcome* out) override;
  Status DecrementByTaskRun(std::span<const std::string_view> tags, const Uuid& task_run,
                            std::vector<LimitRef>* out) override;
  Status ResetTagLimit(std::string_view tag, std::span<const Uuid> slot_override) override;

  Status AcquireOrWait(const AcquireRequest& request, AcquireOutcome* out, WaitTerms terms,
                       WaitId* wait_id) override;
  Status IncrementByTaskRunOrWait(std::span<const std::string_view> tags, const Uuid& task_run,
                                  TagIncrementOutcome* out, WaitTerms terms,
                                  WaitId* wait_id) override;
  bool CancelWait(WaitId) override { return false; }

  EngineCounters Counters() const override;
  Status ReadFigures(size_t max_named, EngineFigures* out) override;
  Status ReadHolders(std::string_view name, std::vector<HolderLease>* out) override;
  // Fair waiting is refused with this store: nobody waits.
  Status ReadWaiters(std::string_view, std::vector<LimitWaiter>* out) override {
    out->clear();
    return Status::kOk;
  }
  size_t LimitCount() const override;
  size_t LeaseCount() const override;

  bool AwaitDurable() override { return true; }
  bool DurabilityPending() const override { return false; }
  void WhenDurable(std::function<void(bool kept)> done) override { done(true); }

  // The sweeper ends expired leases (any number of instances may sweep the
  // same Redis at once). ExpireLeases is one sweep, for tests.
  void StartSweeper(Micros interval) override SLOTD_EXCLUDES(sweeper_mutex_);
  void StopSweeper() override SLOTD_EXCLUDES(sweeper_mutex_);
  Status ExpireLeases(size_t* ended);
  void StartWaitTimer() override {}
  void StopWaitTimer() override {}
  void EndAllWaits() override {}

  // Redis commands sent since the store opened (FCALL, and the FUNCTION
  // LOADs, AUTHs and SELECTs of new connections): round trips to count.
  uint64_t RoundTrips() const { return round_trips_.load(std::memory_order_relaxed); }

 private:
  struct ReplyDeleter {
    void operator()(redisReply* reply) const { freeReplyObject(reply); }
  };
  using Reply = std::unique_ptr<redisReply, ReplyDeleter>;
  struct ContextDeleter {
    void operator()(redisContext* context) const { redisFree(context); }
  };
  using Context = std::unique_ptr<redisContext, ContextDeleter>;

  explicit RedisSlotStore(RedisStoreOptions options);
  // A new connection, AUTHed and on the DB; null with *error set.
  Context Connect(std::string* error);
  // FUNCTION LOAD REPLACE of the library (redis_scripts.h).
  bool LoadLibrary(redisContext* context, std::string* error);
  Context TakeConnection() SLOTD_EXCLUDES(pool_mutex_);
  void ReturnConnection(Context context, bool broken) SLOTD_EXCLUDES(pool_mutex_);
  // Runs `script` with the operation's arguments; kOk with *reply its
  // array, or kStoreUnavailable.
  Status Run(Script script, const std::vector<std::string>& args, Reply* reply);
  Status RunOnce(redisContext* context, Script script, const std::vector<std::string>& args,
                 Reply* reply, bool* broken);
  void Count(std::atomic<uint64_t>& counter, uint64_t n = 1) const {
    counter.fetch_add(n, std::memory_order_relaxed);
  }
  void SweepLoop(Micros interval);

  RedisStoreOptions options_;
  std::string library_;
  std::vector<std::string> fixed_args_;  // ARGV[1..4]

  Mutex pool_mutex_;
  CondVar pool_wakeup_;
  std::vector<Context> idle_ SLOTD_GUARDED_BY(pool_mutex_);
  size_t open_ SLOTD_GUARDED_BY(pool_mutex_) = 0;
  std::chrono::steady_clock::time_point down_until_ SLOTD_GUARDED_BY(pool_mutex_);

  mutable std::atomic<uint64_t> round_trips_{0};
  mutable std::atomic<uint64_t> acquisitions_{0};
  mutable std::atomic<uint64_t> refusals_{0};
  mutable std::atomic<uint64_t> releases_{0};
  mutable std::atomic<uint64_t> expired_{0};
  mutable std::atomic<uint64_t> revoked_{0};

  Mutex sweeper_mutex_;
  CondVar sweeper_wakeup_;
  bool sweeper_stop_ SLOTD_GUARDED_BY(sweeper_mutex_) = false;
  std::thread sweeper_;
};

}  // namespace slotd::redis
