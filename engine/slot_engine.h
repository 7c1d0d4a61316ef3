// SlotEngine: the in-memory table of concurrency limits, their slots and the
// leases that hold them. Every semantic of shared/spec/API.md that is not HTTP
// lives behind this header.
//
// Thread safety: every public member function may be called concurrently from
// any number of threads. Each call is atomic with respect to every other call
// on the limits it names (multi-limit calls lock the limits' shards in
// ascending shard order, so they are all-or-nothing and deadlock-free).
//
// Outcomes are Status values; results are written through out-parameters that
// the caller may reuse between calls to avoid allocation.
//
// With a change sink (EngineOptions::change_sink), every call that changes
// state may also answer kUnavailable, having changed nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include "engine/change.h"
#include "engine/mutex.h"
#include "engine/random_source.h"
#include "engine/time_source.h"
#include "engine/uuid.h"

namespace slotd {

// [[nodiscard]]: no caller drops an outcome unread. (clang-format 14 misreads
// an attribute on an enum, so the enum is kept out of its reach.)
// clang-format off
enum class [[nodiscard]] Status {
  kOk,
  kNotFound,             // no limit with that id or name
  kNameTaken,            // create or rename onto an existing name
  kInvalidName,          // empty, or contains one of / % & > <
  kInvalidValue,         // a count outside [0, kMaxSlotCount], slots <= 0, bad decay
  kSlotsExceedLimit,     // an active named limit has limit < slots
  kNoDecayForRateLimit,  // rate_limit mode on a limit without decay
  kLocked,               // not enough free slots (nothing was taken)
  kZeroLimit,            // v1 increment on a limit of 0 (would deadlock)
  kLeaseNotFound,        // unknown, released or expired lease
  kTooManyLimits,        // creating would pass EngineOptions::max_limits
  kTooManyLeases,        // a new lease would pass EngineOptions::max_leases
  kNameTooLong,          // a name to store is longer than EngineOptions::max_name_bytes
  kUnavailable,          // the change sink cannot keep changes now (nothing changed)
  kWaiting,              // in the wait line: WaitTerms::done gives the outcome later
  kStoreUnavailable,     // a remote store (engine/slot_store.h) cannot be reached now
};
// clang-format on

const char* StatusName(Status status);

// The spec's name rule: non-empty, none of / % & > <.
bool IsValidLimitName(std::string_view name);

// The largest count (limit, slots, active or denied slots) the engine takes:
// 2^53 - 1, the largest integer a double (the decaying levels) holds exactly.
// Larger values are refused with kInvalidValue; the denied counter saturates
// here instead of wrapping.
inline constexpr int64_t kMaxSlotCount = (int64_t{1} << 53) - 1;

// Prefix that makes a limit a v1 tag limit.
inline constexpr std::string_view kTagPrefix = "tag:";

// "tag:<tag>", the name of the limit behind a v1 tag.
inline std::string TagLimitName(std::string_view tag) {
  std::string name;
  name.reserve(kTagPrefix.size() + tag.size());
  name.append(kTagPrefix);
  name.append(tag);
  return name;
}

// A limit as seen at one instant, with decay applied up to that instant.
struct LimitSnapshot {
  Uuid id;
  TimePoint created;
  TimePoint updated;
  bool active = true;
  std::string name;
  int64_t limit = 0;
  int64_t active_slots = 0;  // after decay, rounded up (never below 0)
  int64_t denied_slots = 0;  // after decay, rounded up (never below 0)
  double slot_decay_per_second = 0;
  double avg_slot_occupancy_seconds = 2.0;
  // Ids of task_run holders of unexpired leases on this limit, each once, in
  // the order of their first lease on it (Prefect's order). Filled only by the
  // calls that say so (the v1 views).
  std::vector<Uuid> task_run_holders;
};

// The id, name and limit of a limit (Prefect's "Minimal" response).
struct LimitRef {
  Uuid id;
  std::string name;
  int64_t limit = 0;
};

struct NewLimit {
  std::string name;
  int64_t limit = 0;
  bool active = true;
  int64_t active_slots = 0;
  int64_t denied_slots = 0;
  double slot_decay_per_second = 0;
};

// Fields to change; an empty optional leaves the field as it is.
struct LimitPatch {
  std::optional<bool> active;
  std::optional<std::string> name;
  std::optional<int64_t> limit;
  std::optional<int64_t> active_slots;
  std::optional<int64_t> denied_slots;
  std::optional<double> slot_decay_per_second;
};

// A limit named by id or by name.
using LimitKey = std::variant<Uuid, std::string_view>;

enum class AcquireMode { kConcurrency, kRateLimit };

enum class HolderType { kFlowRun, kTaskRun, kDeployment };

struct Holder {
  HolderType type = HolderType::kTaskRun;
  Uuid id{};
  bool operator==(const Holder&) const = default;
};

struct LeaseTerms {
  Micros duration{std::chrono::seconds(300)};
  std::optional<Holder> holder;
};

struct AcquireRequest {
  std::span<const std::string_view> names;  // duplicates count once
  int64_t slots = 1;                        // > 0
  AcquireMode mode = AcquireMode::kConcurrency;
  std::optional<LeaseTerms> lease;  // set: the slots are held by a lease
};

struct AcquireOutcome {
  // kOk: every existing named limit, active or not, in request order.
  std::vector<LimitRef> limits;
  // kOk with a lease: the new lease (it holds the active limits only).
  Uuid lease_id{};
  // kLocked: the jittered Retry-After, in seconds (engine/retry_after.h says
  // exactly how it is drawn).
  double retry_after_seconds = 0;
  // kNoDecayForRateLimit: the active named limits without decay, request order.
  std::vector<std::string> names_without_decay;
};

struct ReleaseRequest {
  std::span<const std::string_view> names;
  int64_t slots = 1;                        // > 0
  std::optional<double> occupancy_seconds;  // > 0 when set
};

// A lease: the engine's own record of it (its lease table stores these), and
// what ReadLease copies out.
struct LeaseSnapshot {
  Uuid id;
  std::vector<Uuid> limit_ids;
  int64_t slots = 0;
  std::optional<Holder> holder;
  TimePoint created_at;
  TimePoint expiration;
  // RenewLease calls that moved its expiration. Kept in memory only: a
  // lease rebuilt from a data dir starts again from 0.
  uint64_t renewals = 0;
};

// v1 increment by task run.
struct TagIncrementOutcome {
  // kOk: every active named tag limit (held now), with `name` the bare tag.
  std::vector<LimitRef> limits;
  // kZeroLimit / kLocked: the bare tag of the limit that refused.
  std::string refusing_tag;
  // kLocked: the tag wait in seconds (no jitter).
  double retry_after_seconds = 0;
};

// Totals since the engine started, for monitoring (each a relaxed atomic
// count: a read sees every call that finished before it, and maybe some in
// progress).
struct EngineCounters {
  uint64_t acquisitions = 0;    // Acquire and IncrementByTaskRun calls answered kOk
  uint64_t refusals = 0;        // those answered kLocked
  uint64_t releases = 0;        // Release, ReleaseLease and DecrementByTaskRun answered kOk
  uint64_t expired_leases = 0;  // leases ExpireLeases released
  uint64_t revoked_leases = 0;  // leases ended by DeleteLimitAndRevokeLeases or ResetTagLimit
};

// One limit's figures, as monitoring shows them.
struct LimitFigures {
  std::string name;  // empty in EngineFigures::others
  bool active = true;
  int64_t limit = 0;
  int64_t active_slots = 0;  // after decay, as LimitSnapshot
  int64_t denied_slots = 0;
  // Leases recorded on the limit, expired ones not yet swept included.
  uint64_t holders = 0;
  // Requests waiting in line that name the limit (fair waiting).
  uint64_t waiters = 0;
};

struct EngineFigures {
  // The first `max_named` limits by name, in name order.
  std::vector<LimitFigures> named;
  // Every other limit summed, [0] for the non-tag limits and [1] for the tag
  // limits: how many limits each sums, how many of them are active, and
  // their figures. The slot counts are summed as doubles: a sum of counts of
  // up to kMaxSlotCount each would pass int64_t.
  struct Sum {
    uint64_t count = 0;
    uint64_t active_count = 0;
    double limit = 0;
    double active_slots = 0;
    double denied_slots = 0;
    uint64_t holders = 0;
    uint64_t waiters = 0;
  };
  Sum others[2];
};

// A lease holding a limit, as ReadHolders lists it.
struct HolderLease {
  Uuid lease_id;
  std::optional<Holder> holder;
  int64_t slots = 0;
  TimePoint created_at;
  TimePoint expiration;
  uint64_t renewals = 0;
};

// What a waiting request asked for: a v2 increment with a lease or
// without, or a v1 increment by task run.
enum class WaitMode { kLease, kNoLease, kV1 };

// A request waiting in line, as ReadWaiters lists it.
struct LimitWaiter {
  int64_t slots = 1;
  TimePoint since;  // when it arrived
  WaitMode mode = WaitMode::kNoLease;
  std::vector<std::string> limits;  // every limit it names ("tag:" names for v1)
};

struct EngineOptions {
  // A call naming limits in every shard holds every shard lock at once (plus
  // one lease-shard lock); 32 keeps that within ThreadSanitizer's 64 locks
  // held per thread, and is plenty for the cores slotd runs on.
  size_t limit_shards = 32;
  size_t lease_shards = 64;
  double tag_wait_seconds = 10;       // max_wait of tag: limits, v1 Retry-After
  double max_slot_wait_seconds = 30;  // max_wait of other limits
  // Caps on how many limits and leases exist at once, so clients cannot grow
  // the process without bound. A call that would pass one changes nothing
  // and answers kTooManyLimits or kTooManyLeases.
  size_t max_limits = SIZE_MAX;
  size_t max_leases = SIZE_MAX;
  // The longest name a limit may have, in bytes (a v1 tag limit's name
  // counts its "tag:" prefix). Every call that stores a name (create, the v1
  // upsert, a rename) refuses a longer one with kNameTooLong, so names cannot
  // grow memory, or the answers that list them, without bound. A longer name
  // cannot exist, so looking one up finds nothing.
  size_t max_name_bytes = SIZE_MAX;
  std::shared_ptr<const TimeSource> clock;  // default: SystemTimeSource
  std::shared_ptr<RandomSource> random;     // default: ThreadLocalRandomSource
  // Where every change goes as it is made (the journal of --data-dir); none:
  // purely in memory. While it is not Accepting(), every changing call
  // answers kUnavailable and changes nothing; reads are unaffected.
  std::shared_ptr<ChangeSink> change_sink;
  // What also gets every change while it is Watching() (the event stream of
  // GET /api/slotd/events); none: nothing else. It never makes a call
  // answer kUnavailable, nor waits.
  std::shared_ptr<ChangeWatcher> change_watcher;
  // Fair waiting (README "Fair waiting"): how many requests may wait at once
  // (past it a request that asks to wait is refused as if it had not), and
  // how many later requests may take slots ahead of a waiter that cannot be
  // granted yet before its limits are held back for it.
  size_t max_waiters = 10'000;
  int max_overtakes = 4;
  // Strict order: no request takes slots on a limit ahead of an earlier
  // waiter on it, even slots that waiter cannot use yet (max_overtakes is
  // then 0 and every waiter holds its slots back).
  bool strict_wait_order = false;
};

// ---- waiting ----------------------------------------------------------------

// A request in the wait line, for CancelWait.
using WaitId = uint64_t;

// How a wait ended: status as the call without waiting would have answered
// (kOk and its outcome: granted; kLocked: the deadline passed, or the line was
// closed, and the refusal is recorded as that call records one; any other
// status the call can answer, e.g. kSlotsExceedLimit after the limit was
// lowered). `acquire` is filled for AcquireOrWait, `tag` for
// IncrementByTaskRunOrWait.
struct WaitResult {
  Status status = Status::kLocked;
  AcquireOutcome acquire;
  TagIncrementOutcome tag;
};

struct WaitTerms {
  // At this instant of the engine's clock the wait ends refused.
  TimePoint deadline;
  // Called exactly once with how the wait ended, unless CancelWait answers
  // true; from any thread (one that freed slots, the wait timer, a
  // canceller), with no engine lock held. It must not block, but for
  // AwaitDurable: the grant's changes were made on the calling thread.
  std::function<void(WaitResult)> done;
};

// Lease length of a v1 increment: about 100 years (v1 clients never renew).
inline constexpr Micros kV1LeaseDuration = std::chrono::hours(24 * 36525);

class SlotEngine {
 public:
  explicit SlotEngine(EngineOptions options = {});
  ~SlotEngine();  // stops the sweeper and the wait timer if running
  SlotEngine(const SlotEngine&) = delete;
  SlotEngine& operator=(const SlotEngine&) = delete;

  const EngineOptions& options() const { return options_; }
  TimePoint Now() const { return options_.clock->Now(); }

  // ---- limits -------------------------------------------------------------

  // Creates a limit. kNameTooLong, kInvalidName, kInvalidValue (negative
  // count, bad decay), kNameTaken, kTooManyLimits. On kOk *out holds the new limit.
  Status CreateLimit(const NewLimit& spec, LimitSnapshot* out);

  // Reads one limit. kNotFound. With_holders fills task_run_holders.
  Status ReadLimit(const LimitKey& key, LimitSnapshot* out, bool with_holders = false);

  // Limits whose name starts with `prefix`, ordered by name, skipping `offset`
  // and returning at most `max_count`. A limit created, renamed or deleted
  // while the call runs may or may not appear.
  void ListLimits(std::string_view prefix, size_t offset, size_t max_count,
                  std::vector<LimitSnapshot>* out, bool with_holders = false);

  // Sets the fields given. Setting active_slots sets the (decayed) level;
  // setting denied_slots likewise. kNameTooLong, kInvalidName and
  // kInvalidValue (the patch is checked before the limit is looked up), then
  // kNotFound, kNameTaken (rename onto another limit's name). Nothing changes
  // on error.
  Status UpdateLimit(const LimitKey& key, const LimitPatch& patch);

  // Deletes the limit and drops it from every lease holding it (the leases
  // stay). kNotFound.
  Status DeleteLimit(const LimitKey& key);

  // As DeleteLimit, then releases each lease that held the limit (as
  // ReleaseLease does, on the limits it still holds), so those leases are
  // gone: v1's delete, where Prefect revokes them. kNotFound.
  Status DeleteLimitAndRevokeLeases(const LimitKey& key);

  size_t LimitCount() const;

  // ---- v2 slots -----------------------------------------------------------

  // The spec's "Acquiring": unknown names ignored, inactive limits listed but
  // untouched; kSlotsExceedLimit, kNoDecayForRateLimit, kLocked (denial
  // recorded on every active named limit), kTooManyLeases (a lease was asked
  // for; nothing recorded), kOk. kInvalidValue (nothing recorded) if slots is
  // not in [1, kMaxSlotCount] or a lease's duration is not positive.
  Status Acquire(const AcquireRequest& request, AcquireOutcome* out);

  // Takes `slots` off every active named limit (floored at 0 after decay;
  // unknown names ignored, inactive limits listed but untouched) and with
  // occupancy_seconds updates the occupancy average. kInvalidValue, nothing
  // changed and *out untouched, if slots is not in [1, kMaxSlotCount] or
  // occupancy_seconds is set but not positive and finite; otherwise kOk, with
  // *out: every existing named limit, request order.
  Status Release(const ReleaseRequest& request, std::vector<LimitRef>* out);

  // ---- leases -------------------------------------------------------------

  // New expiration = now + duration. kLeaseNotFound if unknown or expired;
  // kInvalidValue if duration is not positive.
  Status RenewLease(const Uuid& lease_id, Micros duration);

  // Releases the lease: its slots come off each limit it still holds, with
  // occupancy = now - created_at. kLeaseNotFound if unknown (or already
  // released); an expired, unswept lease is released as at its expiration.
  Status ReleaseLease(const Uuid& lease_id);

  // kLeaseNotFound if unknown, released or expired.
  Status ReadLease(const Uuid& lease_id, LeaseSnapshot* out) const;

  // Releases every lease whose expiration is <= now (occupancy = expiration -
  // created_at). Returns how many. Cost: O(expired * log leases).
  size_t ExpireLeases();

  size_t LeaseCount() const;

  // Runs ExpireLeases() every `interval` of real time on a background thread
  // until StopSweeper() (or destruction). Calling Start twice restarts it.
  void StartSweeper(Micros interval) SLOTD_EXCLUDES(sweeper_control_mutex_);
  void StopSweeper() SLOTD_EXCLUDES(sweeper_control_mutex_);

  // ---- v1 tag limits (names are bare tags; the limit is "tag:<tag>") --------

  // Creates tag:<tag> with `limit`, or sets the limit of the existing one.
  // *created says which. kNameTooLong (the bound counts "tag:"),
  // kInvalidName, kInvalidValue, kTooManyLimits.
  Status UpsertTagLimit(std::string_view tag, int64_t limit, LimitSnapshot* out, bool* created);

  // One slot on every active named tag limit for `task_run`, held by one lease
  // of kV1LeaseDuration; limits the run already holds (an unexpired lease with
  // holder task_run/task_run) are not taken again. kZeroLimit if any named
  // limit (active or not) has limit 0; kLocked if one is full (no denial
  // recorded); kTooManyLeases; kOk.
  Status IncrementByTaskRun(std::span<const std::string_view> tags, const Uuid& task_run,
                            TagIncrementOutcome* out);

  // Releases, whole and without occupancy update, every lease of `task_run`
  // on the named tag limits. kOk (or kUnavailable); *out: every existing named limit
  // (name stored, with prefix), request order.
  Status DecrementByTaskRun(std::span<const std::string_view> tags, const Uuid& task_run,
                            std::vector<LimitRef>* out);

  // ---- fair waiting (README "Fair waiting") ----------------------------------

  // As Acquire and IncrementByTaskRun, but where those answer kLocked the
  // request joins the wait line (if it has room and is open): kWaiting, with
  // *wait_id set and nothing recorded; terms.done later says how it ended.
  // With no request waiting on any limit, a call that is granted or refused
  // at once does exactly what Acquire / IncrementByTaskRun do.
  Status AcquireOrWait(const AcquireRequest& request, AcquireOutcome* out, WaitTerms terms,
                       WaitId* wait_id);
  Status IncrementByTaskRunOrWait(std::span<const std::string_view> tags, const Uuid& task_run,
                                  TagIncrementOutcome* out, WaitTerms terms, WaitId* wait_id);

  // Takes the request out of the line. True: it was waiting and its done
  // will never be called. False: it has ended (done was or is being called).
  bool CancelWait(WaitId wait_id);

  // Ends the waits whose deadline has come, and grants those that decay has
  // made room for, at Now(). The wait timer calls it; tests on a manual clock
  // call it themselves.
  void ServiceWaits();
  // When ServiceWaits next has something to do (a deadline or a decay
  // wake-up); TimePoint::max() when nothing waits.
  TimePoint NextWaitDue() const;

  // Closes the line (shutdown): every waiter ends now (refused, or granted if
  // its slots are free), and later requests no longer wait.
  void EndAllWaits();

  size_t WaiterCount() const;

  // Runs ServiceWaits() on a background thread at each NextWaitDue(), in
  // real time, until StopWaitTimer() (or destruction).
  void StartWaitTimer();
  void StopWaitTimer();

  // Takes the limit out of every lease holding it (a lease left holding
  // nothing is revoked; one that holds other limits keeps them), then gives one slot to a
  // new kV1LeaseDuration lease per distinct override id (holder task_run; in
  // the order given, which a v1 read lists them in), so
  // active_slots becomes exactly the number of distinct ids. kNotFound;
  // kTooManyLeases (nothing changed) if the new leases would not fit.
  Status ResetTagLimit(std::string_view tag, std::span<const Uuid> slot_override);

  // ---- monitoring (slot_engine_figures.cc) ----------------------------------

  EngineCounters Counters() const;

  // Every limit's figures: the first `max_named` by name one by one, the
  // rest summed. Locks one shard at a time (and, once each and briefly, the
  // catalog's ordered index and, when anything waits, the wait line), so
  // requests go on meanwhile; a limit created or deleted during the call may
  // or may not be counted.
  void ReadFigures(size_t max_named, EngineFigures* out);

  // The unexpired leases holding limit `name`, in the order they were taken
  // (one lookup: the limit's own lease set, each lease read from the lease
  // table under the limit's shard lock). kNotFound.
  Status ReadHolders(std::string_view name, std::vector<HolderLease>* out);

  // The requests waiting in line that name limit `name` (existing or not),
  // in arrival order. Holds the line's lock while it copies them (the line
  // holds at most EngineOptions::max_waiters); none at once when nothing
  // waits.
  void ReadWaiters(std::string_view name, std::vector<LimitWaiter>* out) const;

  // ---- durability (engine/change.h) ----------------------------------------

  // Waits until every change this thread made is as durable as the change
  // sink promises (ChangeSink::AwaitThreadChanges), holding no engine lock;
  // false if one cannot be kept. True at once without a sink.
  bool AwaitDurable();
  // The same without blocking (ChangeSink::WhenThreadChangesDurable):
  // whether this thread's changes are still to be made durable, and a call
  // of `done(kept)` once they are (at once, on this thread, if they are).
  bool DurabilityPending() const;
  void WhenDurable(std::function<void(bool kept)> done);

  // Applies a change a sink received (replay at start-up; nothing is
  // appended to the sink). kTooManyLimits or kTooManyLeases, with the change
  // partly applied, if it passes this engine's caps; otherwise kOk.
  Status ApplyChange(const Change& change);
  // Room for `count` more leases in the lease table's hash tables (not a
  // reservation against --max-leases), so a replay of that many does not
  // rehash them again and again; capped at the engine's max_leases.
  void ReserveLeases(size_t count);

  // The limit an after-image describes as a read at `at` shows it (decay
  // applied), without looking the limit up: what a watcher reports.
  void SnapshotOfImage(const LimitImage& image, TimePoint at, LimitSnapshot* out) const;

  // Calls `fn` once per limit (kSnapshotLimit, one image) and then once per
  // lease (kSnapshotLease, one new lease), so that applying them in that
  // order to an empty engine rebuilds this one. Takes one shard lock at a
  // time and calls `fn` with none held, so requests go on meanwhile; a
  // change made during the call may or may not be seen, which replaying the
  // changes appended after the call started repairs (engine/change.h).
  void ExportState(const std::function<void(const Change&)>& fn);

  // The internals (engine/engine_impl.h); named here only so the engine's own
  // files can share them.
  struct Impl;

 private:
  void StopSweeperLocked() SLOTD_REQUIRES(sweeper_control_mutex_);

  EngineOptions options_;
  std::unique_ptr<Impl> impl_;

  Mutex sweeper_control_mutex_;  // held through StartSweeper/StopSweeper
  Mutex sweeper_mutex_;
  CondVar sweeper_wakeup_;
  bool sweeper_stop_ SLOTD_GUARDED_BY(sweeper_mutex_) = false;
  std::thread sweeper_ SLOTD_GUARDED_BY(sweeper_control_mutex_);
};

}  // namespace slotd
