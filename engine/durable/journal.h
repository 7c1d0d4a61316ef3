// Journal: the ChangeSink of a data dir. The engine appends each change under
// its locks; this only encodes it into a queue. One writer thread takes the
// whole queue at a time (with kAlways as soon as it finds changes, otherwise
// once a batch_interval), seals the frames (CRCs), writes them with one
// write() and, per FsyncMode, one fdatasync: group commit, so many requests
// share each fsync, and no file is touched while an engine lock is held.
//
// Disk trouble: a write or fsync that fails (ENOSPC, EIO, EFBIG) is undone
// (the file is cut back to its last whole frame: ftruncate, then fdatasync
// so the cut lasts), the batch is kept in memory and retried every
// retry_interval, and until a retry succeeds Accepting() is false, so the
// engine refuses new changes (503) and nothing is half applied. The changes
// already applied when it failed are written by the retry that succeeds.
//
// What a caller is told matches the file: with kAlways a caller waiting
// (AwaitThreadChanges, WhenThreadChangesDurable) is answered true once its
// change is fsynced, and false only once the journal has stopped and the
// change is known not to be in the file: appended after the last write, or
// in a last write that failed and was cut off. While the disk fails the
// callers are held (a failure is not an answer: the retry may yet write
// their changes). Stop() makes one last try; if it fails, the frames are
// cut off and the held callers answered false. If even the cut fails, the
// callers of that write are never answered by WhenThreadChangesDurable (the
// file may or may not keep their changes; AwaitThreadChanges, which must
// return something, returns false).
//
// Thread safety: every public member may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "engine/change.h"
#include "engine/mutex.h"

namespace slotd::durable {

enum class FsyncMode {
  kAlways,  // no caller's AwaitThreadChanges returns before its change is fsynced
  kBatch,   // written and fsynced every batch_interval; callers do not wait
  kNever,   // written every batch_interval, never fsynced (the OS writes it back)
};

struct JournalOptions {
  FsyncMode fsync = FsyncMode::kAlways;
  std::chrono::milliseconds batch_interval{10};
  std::chrono::milliseconds retry_interval{200};
  // Past this many bytes in the current file, on_large_file is called once
  // (from the writer thread) until the next Rotate.
  uint64_t large_file_bytes = UINT64_MAX;
  std::function<void()> on_large_file;
  // One line per event worth an operator's eye (failure, recovery).
  std::function<void(std::string_view)> log;
};

class Journal final : public ChangeSink {
 public:
  Journal(std::string dir, JournalOptions options);
  ~Journal() override;  // Stop()
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Opens journal `number` in the dir (created with its header if absent)
  // and starts the writer, appending at `size` (the file is cut there: a
  // torn tail the recovery found is gone). False with *error.
  [[nodiscard]] bool Start(uint64_t number, uint64_t size, std::string* error);

  bool Accepting() const override { return accepting_.load(std::memory_order_relaxed); }
  void Append(const Change& change) override;
  bool AwaitThreadChanges() override;
  bool ThreadChangesPending() const override;
  void WhenThreadChangesDurable(std::function<void(bool kept)> done) override;

  // Changes appended before the call go to the current file, which is then
  // fsynced and closed; later ones go to a new file numbered one higher.
  // Blocks until the new file exists; false with *error if it cannot be
  // made (the old one stays current). *new_number is the new file's number.
  [[nodiscard]] bool Rotate(uint64_t* new_number, std::string* error);

  // Blocks until everything appended before the call is written and
  // fsynced, whatever the mode; false at once if the journal is failing or
  // stopped.
  bool Flush();

  // Writes and fsyncs what is queued (one try if failing; if it fails, its
  // frames are cut off), then stops the writer. Waiters still waiting are
  // answered false, and so is every later change: none is written after.
  // Idempotent.
  void Stop();

  uint64_t file_number() const;
  uint64_t file_bytes() const;
  // Bytes handed to write() since Start (the bench's bytes per change).
  uint64_t bytes_written() const;

 private:
  void WriterLoop();
  // Writes batch_ (and fsyncs when `sync`); on failure cuts the file back,
  // logs and marks the journal failing. Writer thread only.
  bool WriteBatch(bool sync);
  // Cuts the file back to good_size_ and fsyncs the cut; false (logged) if
  // either fails, when frames past good_size_ may still be in the file.
  // Writer thread only.
  bool CutBack();
  bool OpenFile(uint64_t number, uint64_t size, std::string* error);
  void SetFailing(int err, std::string_view what);
  // Takes the WhenThreadChangesDurable callbacks that can be answered now
  // (fsynced: true; the journal failing or stopped: false), to be called
  // once mutex_ is released.
  using Answered = std::vector<std::pair<std::function<void(bool)>, bool>>;
  Answered TakeAnswerable() SLOTD_REQUIRES(mutex_);
  void Log(std::string_view line) const;

  const std::string dir_;
  const JournalOptions options_;
  std::atomic<bool> accepting_{true};

  mutable Mutex mutex_;
  CondVar work_;     // the writer waits here for changes, a rotation or stop
  CondVar durable_;  // callers of AwaitThreadChanges/Flush/Rotate wait here
  // WhenThreadChangesDurable callbacks by the sequence they wait for.
  std::multimap<uint64_t, std::function<void(bool)>> callbacks_ SLOTD_GUARDED_BY(mutex_);
  std::string pending_ SLOTD_GUARDED_BY(mutex_);        // frames not yet taken by the writer
  uint64_t appended_ SLOTD_GUARDED_BY(mutex_) = 0;      // sequence of the last change appended
  uint64_t written_ SLOTD_GUARDED_BY(mutex_) = 0;       // last sequence write() took
  uint64_t synced_ SLOTD_GUARDED_BY(mutex_) = 0;        // last sequence fsynced
  uint64_t flush_wanted_ SLOTD_GUARDED_BY(mutex_) = 0;  // a Flush asks to fsync up to here
  bool failing_ SLOTD_GUARDED_BY(mutex_) = false;
  bool stop_ SLOTD_GUARDED_BY(mutex_) = false;
  bool stopped_ SLOTD_GUARDED_BY(mutex_) = false;  // the writer is gone
  // Stopped after a last write that failed and could not be cut off: the
  // changes up to here may or may not be in the file (never answered).
  uint64_t uncertain_to_ SLOTD_GUARDED_BY(mutex_) = 0;
  // Rotation: the frames appended before the Rotate call, and its outcome.
  bool rotate_wanted_ SLOTD_GUARDED_BY(mutex_) = false;
  std::string before_rotation_ SLOTD_GUARDED_BY(mutex_);
  uint64_t before_rotation_last_ SLOTD_GUARDED_BY(mutex_) = 0;
  uint64_t rotations_ SLOTD_GUARDED_BY(mutex_) = 0;
  std::string rotate_error_ SLOTD_GUARDED_BY(mutex_);
  uint64_t file_number_ SLOTD_GUARDED_BY(mutex_) = 0;
  uint64_t file_bytes_ SLOTD_GUARDED_BY(mutex_) = 0;
  uint64_t bytes_written_ SLOTD_GUARDED_BY(mutex_) = 0;

  // The writer thread's own: the open file and the batch being written.
  int fd_ = -1;
  uint64_t good_size_ = 0;  // bytes of the file that hold whole frames
  bool cut_back_ = true;    // the last failed write was cut off for sure
  std::string batch_;
  uint64_t batch_last_ = 0;
  bool large_reported_ = false;
  std::thread writer_;
  std::mutex stop_mutex_;  // serialises Stop
};

}  // namespace slotd::durable
