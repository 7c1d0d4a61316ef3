// DurableStore: a SlotEngine whose state lives in a data dir (--data-dir).
// It owns the engine, the journal the engine appends every change to, the
// lock that keeps one process per dir, and the background compaction.
//
// Start-up (Open): lock DIR/LOCK with flock (a second slotd on the dir is
// refused), rebuild the engine from the newest valid snapshot and the
// journals after it (recovery.h), start the journal, then release the leases
// that expired while slotd was down (as a sweep at their expiry would have;
// decay continues by the wall clock, since every level carries the instant it
// was taken at; v1's 100-year leases stay).
//
// Compaction: once the current journal passes snapshot_journal_bytes, a
// background thread rotates the journal (journal.h) and writes
// snapshot-<new number> from ExportState while requests go on, replacing it
// atomically (write a temporary, fsync, rename, fsync the dir), then deletes
// what no longer serves: it keeps one snapshot generation back, with its
// journals, so a damaged newest snapshot still leaves a way to start.
//
// Why a snapshot taken under load is right: every change is appended under
// the locks of the objects it touches, after it is made, and carries their
// after-images (engine/change.h). A change appended before the rotation is
// in the state ExportState reads (it was made before), and one appended after
// is in the new journal, so replaying the new journal over the snapshot gives
// each object its last after-image, whichever of them the snapshot saw.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "engine/durable/journal.h"
#include "engine/mutex.h"
#include "engine/slot_engine.h"

namespace slotd::durable {

struct DurableOptions {
  std::string dir;
  FsyncMode fsync = FsyncMode::kAlways;
  std::chrono::milliseconds batch_interval{10};
  uint64_t snapshot_journal_bytes = 64u << 20;
  bool recover_to_damage = false;  // RecoveryOptions::keep_records_before_damage
  // One line per event (recovery, torn tail, disk trouble); default stderr.
  std::function<void(std::string_view)> log;
};

class DurableStore {
 public:
  // Null with *error (one line) if the dir cannot be locked, read or
  // recovered.
  static std::unique_ptr<DurableStore> Open(DurableOptions options, EngineOptions engine_options,
                                            std::string* error);
  ~DurableStore();  // Stop()
  DurableStore(const DurableStore&) = delete;
  DurableStore& operator=(const DurableStore&) = delete;

  SlotEngine& engine() { return *engine_; }
  Journal& journal() { return *journal_; }

  // Writes a snapshot now and deletes what it makes unnecessary. False with
  // *error (nothing is lost: the journals stay). Thread-safe.
  [[nodiscard]] bool Compact(std::string* error);
  uint64_t snapshots_written() const;

  // Stops compaction, writes what the journal holds (one last try if the
  // disk is failing; what it cannot write is cut off the journal and its
  // waiting callers answered false, so 503), unlocks the dir. The engine
  // stays readable; its changing calls answer kUnavailable after, and a
  // change that raced the stop is answered false and never written. Called
  // before the server drains its connections, so that no answer waits on a
  // disk that is not coming back.
  void Stop();

 private:
  explicit DurableStore(DurableOptions options);
  bool Start(EngineOptions engine_options, std::string* error);
  void CompactorLoop();
  void RemoveOldFiles(uint64_t snapshot_number);
  void Log(std::string_view line) const;

  const DurableOptions options_;
  int lock_fd_ = -1;
  std::shared_ptr<Journal> journal_;
  std::unique_ptr<SlotEngine> engine_;

  std::mutex compact_serial_;  // one Compact at a time
  mutable Mutex mutex_;
  CondVar wake_;
  bool compact_wanted_ SLOTD_GUARDED_BY(mutex_) = false;
  bool stop_ SLOTD_GUARDED_BY(mutex_) = false;
  uint64_t snapshots_written_ SLOTD_GUARDED_BY(mutex_) = 0;
  std::thread compactor_;
};

}  // namespace slotd::durable
