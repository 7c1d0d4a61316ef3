// ChangeFeed: the engine's changes as server-sent events, for GET
// /api/slotd/events (README "The event stream").
//
// It is the engine's ChangeWatcher (engine/change.h). While it watches (it
// has readers, or had one within the resume window), the engine appends each
// change; Append only copies it into a bounded queue under a lock of its own
// and gives it the next id, so ids follow the order the changes were made
// in. A thread of the feed's own (or a test, by ProcessPending) turns the
// queued changes into event texts, keeps the newest `ring_size` of them in a
// ring and wakes every reader; readers then copy what they have not yet sent
// out of the ring (ReadFrom). The ring is the readers' only queue: the engine
// never waits for a reader, and a reader the ring has overtaken is lost.
//
// Ids: strictly increasing from 1 for the life of the feed. An id is also
// spent, with no event, on each gap: when watching starts (changes made
// before were not seen) and when the queue was full (changes were dropped).
// Every event before a gap is then unusable for resuming, so the ring drops
// them, and a reader that had not got them all is lost.
//
// Thread safety: every member may be called from any thread, but
// ProcessPending and Tick from one thread at a time (the feed's, once
// StartThread has run). Lock order: readers, ring, queue; the engine takes
// only the queue's, briefly.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/change.h"
#include "engine/mutex.h"
#include "engine/slot_engine.h"

namespace slotd::api {

// How many events the ring keeps unless told otherwise (--event-stream-ring).
inline constexpr size_t kDefaultEventStreamRing = 10'000;

// A Last-Event-ID value: a decimal uint64 (digits only, at least one, no
// sign or space, at most 2^64 - 1); nullopt otherwise.
std::optional<uint64_t> ParseLastEventId(std::string_view text);

// The event type a change is sent as ("slots.acquired", ...).
std::string_view EventTypeOf(ChangeKind kind);

class ChangeFeed final : public ChangeWatcher {
 public:
  using SteadyClock = std::chrono::steady_clock;

  struct Settings {
    size_t ring_size = kDefaultEventStreamRing;  // at least 1
    // Changes queued and not yet turned into events; past it a change is
    // dropped and a gap recorded.
    size_t max_pending = 16'384;
    // How long the feed goes on watching after its last reader left, so a
    // reader that reconnects within it resumes instead of being reset.
    SteadyClock::duration resume_window = std::chrono::seconds(30);
    // How often the feed's thread turns queued changes into events.
    SteadyClock::duration batch_interval = std::chrono::milliseconds(1);
  };

  // Someone reading the stream (a connection). Wake is called from the
  // feed's thread with no engine lock held, when new events are in the ring;
  // it must not block.
  class Reader {
   public:
    virtual ~Reader() = default;
    virtual void Wake() = 0;
  };

  // Where a new reader starts: its cursor (the id of the first event it is
  // to read) and, when its Last-Event-ID could not be resumed from, a reset
  // to send first (with id reset_id).
  struct Start {
    uint64_t cursor = 1;
    bool reset = false;
    uint64_t reset_id = 0;
  };

  enum class ReadOutcome { kOk, kLost };

  explicit ChangeFeed(Settings settings);
  ~ChangeFeed() override;  // StopThread()
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  // The engine whose watcher this is: it turns after-images into limit
  // reads and is asked for renewed leases. Set once, before any change.
  void Attach(const SlotEngine* engine) { engine_ = engine; }

  // Runs ProcessPending every batch_interval and Tick, until StopThread.
  void StartThread();
  void StopThread();

  // Takes the queued changes and puts their events in the ring, then wakes
  // the readers.
  void ProcessPending();
  // Stops watching once the resume window has passed with no reader.
  void Tick(SteadyClock::time_point now);

  // ChangeSink: called by the engine under its locks.
  void Append(const Change& change) override;

  // Adds a reader; `last_id` is its Last-Event-ID, if it sent one. The
  // events after last_id are replayed if the ring still has them all and no
  // gap came after it; otherwise (or when last_id was never given out) the
  // reader starts at the next event, after a reset.
  Start Subscribe(std::shared_ptr<Reader> reader, std::optional<uint64_t> last_id);
  // After it returns, `reader` is woken no more.
  void Unsubscribe(const Reader* reader);
  size_t ReaderCount() const;

  // Appends to *out the texts of the events from *cursor on that the ring
  // holds, whole events only, until *out has at least `max_bytes` (at least
  // one event when there is one), and moves *cursor past them. kLost, with
  // nothing read, if an event at or after *cursor is no longer kept.
  ReadOutcome ReadFrom(uint64_t* cursor, size_t max_bytes, std::string* out) const;
  // The id of the newest event in the ring (0: none yet).
  uint64_t NewestId() const;
  // Bytes of every event put in the ring so far: the difference between two
  // reads is what came between them.
  uint64_t BytesAppended() const { return bytes_appended_.load(std::memory_order_relaxed); }

  // The text of a reset event.
  static std::string ResetText(uint64_t id, std::string_view reason);

 private:
  struct Batch {
    std::vector<Change> changes;
    std::vector<uint64_t> ids;
    size_t count = 0;
  };

  void FormatEvent(const Change& change, uint64_t id, std::string* out) const;
  void ThreadLoop();

  const Settings settings_;
  const SlotEngine* engine_ = nullptr;

  mutable Mutex readers_mutex_;
  std::vector<std::shared_ptr<Reader>> readers_ SLOTD_GUARDED_BY(readers_mutex_);
  SteadyClock::time_point last_reader_left_ SLOTD_GUARDED_BY(readers_mutex_);

  mutable Mutex ring_mutex_;
  std::deque<std::string> ring_ SLOTD_GUARDED_BY(ring_mutex_);
  // The id of ring_.front(), or of the next event when the ring is empty.
  uint64_t ring_first_id_ SLOTD_GUARDED_BY(ring_mutex_) = 1;

  Mutex queue_mutex_;
  Batch pending_ SLOTD_GUARDED_BY(queue_mutex_);
  uint64_t next_id_ SLOTD_GUARDED_BY(queue_mutex_) = 1;
  // The newest gap not yet applied to the ring.
  std::optional<uint64_t> pending_gap_ SLOTD_GUARDED_BY(queue_mutex_);

  // ProcessPending's own: the batch it works on, swapped with pending_.
  Batch working_;
  std::atomic<uint64_t> bytes_appended_{0};

  Mutex thread_mutex_;
  CondVar thread_wake_;
  bool stop_ SLOTD_GUARDED_BY(thread_mutex_) = false;
  std::thread thread_;
};

}  // namespace slotd::api
