// Change: one engine operation as decided, in a form a journal can keep and
// the engine can apply again (replay). A ChangeSink receives them.
//
// A change carries outcomes, never requests: the after-image of every limit
// the operation changed (all its counters, with the instants they were taken
// at), the leases it created (ids, holder, expiry), the leases it ended, the
// limits it deleted. Applying one therefore needs no clock and no randomness,
// and is idempotent per object: applying the changes of a run in the order
// they were appended, from any state that already includes a prefix of them,
// ends in the state the run ended in. That is what lets a snapshot be taken
// while requests go on (engine/durable/durable_store.h says why it holds).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/time_source.h"
#include "engine/uuid.h"

namespace slotd {

// What the operation was. Replay does not branch on it (the fields say what
// to do); it is kept so a journal reads as a history.
enum class ChangeKind : uint8_t {
  kCreateLimit = 1,
  kUpdateLimit = 2,
  kDeleteLimit = 3,
  kAcquire = 4,       // v2 increment, with or without a lease
  kDeny = 5,          // v2 increment refused: the denied counters moved
  kRelease = 6,       // v2 decrement without a lease
  kReleaseLease = 7,  // v2 decrement with a lease, v1 decrement, v1 delete
  kExpireLease = 8,
  kRenewLease = 9,
  kIncrementV1 = 10,
  kResetV1 = 11,
  kSnapshotLimit = 12,  // a limit as a snapshot stores it
  kSnapshotLease = 13,  // a lease as a snapshot stores it
};

// Every field of a limit but its lease set (which the leases rebuild).
struct LimitImage {
  Uuid id{};
  std::string name;
  TimePoint created;
  TimePoint updated;
  bool active = true;
  int64_t limit = 0;
  double slot_decay_per_second = 0;
  double avg_slot_occupancy_seconds = 2.0;
  double active_level = 0;
  TimePoint active_level_at;
  double denied_level = 0;
  TimePoint denied_level_at;
  uint64_t next_lease_sequence = 0;
  bool operator==(const LimitImage&) const = default;
};

// A lease and, for each limit it holds, its place in that limit's lease order.
struct LeaseImage {
  Uuid id{};
  std::vector<Uuid> limit_ids;
  std::vector<uint64_t> sequences;  // parallel to limit_ids
  int64_t slots = 0;
  bool has_holder = false;
  uint8_t holder_type = 0;  // a HolderType
  Uuid holder_id{};
  TimePoint created_at;
  TimePoint expiration;
  bool operator==(const LeaseImage&) const = default;
};

// Applied in this order: deleted limits, reset limit, ended leases, limit
// images, new leases, renewal.
struct Change {
  ChangeKind kind = ChangeKind::kUpdateLimit;
  TimePoint at;  // when the engine decided it
  // Deleted: each is dropped from the leases holding it (they stay).
  std::vector<Uuid> deleted_limits;
  // v1 reset: the limit's leases lose it (a lease left holding nothing ends)
  // and its lease set is emptied.
  std::optional<Uuid> reset_limit;
  // Leases ended: out of the lease table and out of their limits' sets.
  std::vector<Uuid> ended_leases;
  // After-images: each limit is created, renamed or overwritten to match.
  std::vector<LimitImage> limits;
  // New leases, put in the table and in their limits' lease sets.
  std::vector<LeaseImage> new_leases;
  // A renewal: the lease's new expiration (nothing if the lease is gone).
  std::optional<Uuid> renewed_lease;
  TimePoint renewed_expiration;

  // Empties every field, keeping the vectors' capacity.
  void Clear();
  bool operator==(const Change&) const = default;
};

// Receives every change the engine makes, as it makes it.
//
// Thread safety: all members are called concurrently from every engine
// thread; Append with engine shard locks held.
class ChangeSink {
 public:
  virtual ~ChangeSink() = default;

  // False while changes cannot be kept (the disk is full or failing): the
  // engine then refuses every changing call with Status::kUnavailable before
  // it changes anything. Cheap: called at the start of every changing call.
  virtual bool Accepting() const = 0;

  // Takes a change the engine has just applied, called under the locks of
  // the limits (or the lease) it names, so that the changes to any one
  // object arrive in the order they were made. It may only queue: no write,
  // no wait, no lock the engine could be waiting on.
  virtual void Append(const Change& change) = 0;

  // Waits, with no engine lock held, until every change this thread has
  // appended is as durable as the sink promises; false if one can no longer
  // be kept (the sink stopped, or failed for good).
  virtual bool AwaitThreadChanges() = 0;

  // Whether AwaitThreadChanges would wait now. Cheap.
  virtual bool ThreadChangesPending() const { return false; }

  // AwaitThreadChanges for a thread that must not block (an I/O thread):
  // calls `done(kept)` once with what AwaitThreadChanges would have
  // returned, at once on this thread when nothing is to be waited for, else
  // later from the sink's own thread (so `done` must not block). A sink that
  // cannot tell whether a change was kept may never call it (the request
  // is then left unanswered, as after a timeout).
  virtual void WhenThreadChangesDurable(std::function<void(bool kept)> done) {
    done(AwaitThreadChanges());
  }
};

// A sink that wants changes only at times (the event stream, while it has
// readers). The engine asks Watching(), one relaxed atomic load, under the
// locks of each changing call, and builds and appends the change only when
// it is true; otherwise the call costs nothing more. A change made while not
// watching is never seen by the watcher, so one that starts watching must
// treat what came before as unknown.
//
// Accepting() is always true and nothing is awaited: a watcher never holds
// the engine back. Append's rules are ChangeSink's (it may only queue).
class ChangeWatcher : public ChangeSink {
 public:
  bool Watching() const { return watching_.load(std::memory_order_relaxed); }

  bool Accepting() const final { return true; }
  bool AwaitThreadChanges() final { return true; }

 protected:
  void SetWatching(bool watching) { watching_.store(watching, std::memory_order_relaxed); }

 private:
  std::atomic<bool> watching_{false};
};

// The durable store and a watcher as one sink: Append goes to both, every
// other call to the store alone.
class ChangeFanOut final : public ChangeSink {
 public:
  ChangeFanOut(ChangeSink* store, ChangeSink* watcher) : store_(store), watcher_(watcher) {}
  bool Accepting() const override { return store_->Accepting(); }
  void Append(const Change& change) override {
    store_->Append(change);
    watcher_->Append(change);
  }
  bool AwaitThreadChanges() override { return store_->AwaitThreadChanges(); }
  bool ThreadChangesPending() const override { return store_->ThreadChangesPending(); }
  void WhenThreadChangesDurable(std::function<void(bool kept)> done) override {
    store_->WhenThreadChangesDurable(std::move(done));
  }

 private:
  ChangeSink* const store_;
  ChangeSink* const watcher_;
};

}  // namespace slotd
