#include "engine/durable/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "engine/durable/change_codec.h"
#include "engine/durable/data_files.h"

namespace slotd::durable {

namespace {

// The last change this thread appended, and to which journal: what its
// AwaitThreadChanges waits for.
struct ThreadTicket {
  const Journal* journal = nullptr;
  uint64_t sequence = 0;
};
thread_local ThreadTicket t_ticket;

using SteadyClock = std::chrono::steady_clock;

}  // namespace

Journal::Journal(std::string dir, JournalOptions options)
    : dir_(std::move(dir)), options_(std::move(options)) {}

Journal::~Journal() { Stop(); }

void Journal::Log(std::string_view line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::fprintf(stderr, "slotd: %.*s\n", static_cast<int>(line.size()), line.data());
  }
}

bool Journal::Start(uint64_t number, uint64_t size, std::string* error) {
  if (!OpenFile(number, size, error)) return false;
  writer_ = std::thread([this] { WriterLoop(); });
  return true;
}

bool Journal::OpenFile(uint64_t number, uint64_t size, std::string* error) {
  const std::string path = JournalPath(dir_, number);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = ErrnoMessage(path, "cannot open the journal", errno);
    return false;
  }
  struct stat st {};
  int err = ::fstat(fd, &st) == 0 ? 0 : errno;
  uint64_t good = size;
  if (!err && size < kFileHeaderBytes) {
    // A new file (or one whose header never became whole): its header, then
    // the name made durable in the folder.
    if (::ftruncate(fd, 0) != 0) err = errno;
    if (!err) err = WriteAll(fd, FileHeader(kJournalMagic, number));
    if (!err && ::fdatasync(fd) != 0) err = errno;
    if (!err) err = FsyncDir(dir_);
    good = kFileHeaderBytes;
    if (err) (void)::ftruncate(fd, 0);
  } else if (!err && static_cast<uint64_t>(st.st_size) != size) {
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0 || ::fdatasync(fd) != 0) err = errno;
  }
  if (!err && ::lseek(fd, static_cast<off_t>(good), SEEK_SET) < 0) err = errno;
  if (err) {
    *error = ErrnoMessage(path, "cannot prepare the journal", err);
    ::close(fd);
    return false;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  good_size_ = good;
  large_reported_ = false;
  MutexLock lock(&mutex_);
  file_number_ = number;
  file_bytes_ = good;
  return true;
}

void Journal::Append(const Change& change) {
  thread_local std::string frame;
  frame.clear();
  const size_t at = BeginFrame(&frame);
  EncodeChange(change, &frame);
  EndFrame(frame, at);
  MutexLock lock(&mutex_);
  const bool was_idle = pending_.empty();
  pending_.append(frame);
  t_ticket = {this, ++appended_};
  if (was_idle) work_.Signal();
}

bool Journal::AwaitThreadChanges() {
  if (t_ticket.journal != this || t_ticket.sequence == 0) return true;
  if (options_.fsync != FsyncMode::kAlways) return true;
  const uint64_t sequence = t_ticket.sequence;
  MutexLock lock(&mutex_);
  // A failing disk does not end the wait: the change is in memory and will
  // be written by the retry that succeeds, so only a stop, which cuts it
  // off the file, may answer that it was not kept.
  while (synced_ < sequence && !stopped_) durable_.Wait(&mutex_);
  const bool kept = synced_ >= sequence;
  // Answered either way: this thread's later calls (reads among them) do
  // not wait again for this change.
  t_ticket.sequence = 0;
  return kept;
}

bool Journal::ThreadChangesPending() const {
  return t_ticket.journal == this && t_ticket.sequence != 0 && options_.fsync == FsyncMode::kAlways;
}

void Journal::WhenThreadChangesDurable(std::function<void(bool kept)> done) {
  if (!ThreadChangesPending()) return done(true);
  // Answered either way, as by AwaitThreadChanges.
  const uint64_t sequence = std::exchange(t_ticket.sequence, 0);
  bool kept = false;
  {
    MutexLock lock(&mutex_);
    if (synced_ < sequence && !stopped_) {
      callbacks_.emplace(sequence, std::move(done));
      work_.Signal();
      return;
    }
    kept = synced_ >= sequence;
    if (!kept && sequence <= uncertain_to_) return;  // in doubt: no answer (TakeAnswerable)
  }
  done(kept);
}

Journal::Answered Journal::TakeAnswerable() {
  Answered answered;
  auto end = callbacks_.upper_bound(synced_);
  for (auto it = callbacks_.begin(); it != end; ++it)
    answered.emplace_back(std::move(it->second), true);
  callbacks_.erase(callbacks_.begin(), end);
  if (stopped_) {
    // Stopped: what is not fsynced is not in the file and never will be,
    // except the frames of a failed write whose cut could not be made sure
    // of (uncertain_to_): those callers get no answer (their connections
    // close unanswered, as after a timeout), for either answer could be
    // wrong.
    for (auto& [sequence, done] : callbacks_) {
      if (sequence > uncertain_to_) answered.emplace_back(std::move(done), false);
    }
    callbacks_.clear();
  }
  return answered;
}

bool Journal::Flush() {
  MutexLock lock(&mutex_);
  const uint64_t target = appended_;
  flush_wanted_ = std::max(flush_wanted_, target);
  work_.Signal();
  while (synced_ < target && !stopped_ && !failing_) durable_.Wait(&mutex_);
  return synced_ >= target;
}

bool Journal::Rotate(uint64_t* new_number, std::string* error) {
  MutexLock lock(&mutex_);
  if (stopped_ || stop_) {
    *error = "the journal is stopped";
    return false;
  }
  rotate_wanted_ = true;
  before_rotation_.append(pending_);
  pending_.clear();
  before_rotation_last_ = appended_;
  const uint64_t target = rotations_ + 1;
  work_.Signal();
  while (rotations_ < target && !stopped_) durable_.Wait(&mutex_);
  if (rotations_ < target || !rotate_error_.empty()) {
    *error = rotations_ < target ? "the journal stopped" : rotate_error_;
    return false;
  }
  *new_number = file_number_;
  return true;
}

void Journal::SetFailing(int err, std::string_view what) {
  MutexLock lock(&mutex_);
  if (!failing_) {
    Log(ErrnoMessage(JournalPath(dir_, file_number_),
                     std::string("journal ") + std::string(what) +
                         " failed; changes are refused (503) "
                         "until a retry succeeds",
                     err));
  }
  failing_ = true;
  accepting_.store(false, std::memory_order_relaxed);
  durable_.SignalAll();
}

bool Journal::CutBack() {
  // The size is part of what fdatasync makes durable, so once both succeed
  // no frame past good_size_ can come back after a crash.
  const bool cut = ::ftruncate(fd_, static_cast<off_t>(good_size_)) == 0 && ::fdatasync(fd_) == 0;
  const int err = errno;
  (void)::lseek(fd_, static_cast<off_t>(good_size_), SEEK_SET);
  if (!cut) {
    Log(ErrnoMessage(JournalPath(dir_, file_number()),
                     "cannot cut the journal back to its last whole frame", err));
  }
  return cut;
}

bool Journal::WriteBatch(bool sync) {
  if (!batch_.empty()) {
    SealFrames(batch_, 0);
    if (int err = WriteAll(fd_, batch_); err != 0) {
      // Cut back to whole frames, so a retry (or a crash) sees no part of it.
      cut_back_ = CutBack();
      SetFailing(err, "write");
      return false;
    }
  }
  if (sync && ::fdatasync(fd_) != 0) {
    const int err = errno;
    cut_back_ = CutBack();
    SetFailing(err, "fsync");
    return false;
  }
  good_size_ += batch_.size();
  {
    MutexLock lock(&mutex_);
    file_bytes_ = good_size_;
    bytes_written_ += batch_.size();
  }
  batch_.clear();
  if (!large_reported_ && good_size_ >= options_.large_file_bytes && options_.on_large_file) {
    large_reported_ = true;
    options_.on_large_file();
  }
  return true;
}

void Journal::WriterLoop() {
  MutexLock lock(&mutex_);
  // With kBatch and kNever the changes of a whole batch_interval are
  // written at once (and with kBatch fsynced): one wake, one write() and
  // one fdatasync an interval, however many requests, instead of a write
  // each time the writer finds changes.
  const bool eager = options_.fsync == FsyncMode::kAlways;
  auto last_write = SteadyClock::now();
  auto last_failure = SteadyClock::time_point::min();
  for (;;) {
    const auto now = SteadyClock::now();
    const bool write_due =
        !pending_.empty() && (eager || now >= last_write + options_.batch_interval);
    const bool retry_due = failing_ && now >= last_failure + options_.retry_interval;
    const bool ready = !failing_ && (write_due || rotate_wanted_ || flush_wanted_ > synced_);
    if (!(ready || retry_due || stop_)) {
      auto deadline = now + std::chrono::hours(1);
      if (failing_) {
        deadline = last_failure + options_.retry_interval;
      } else if (!pending_.empty()) {
        deadline = last_write + options_.batch_interval;
      }
      work_.WaitWithDeadline(&mutex_, deadline);
      continue;
    }
    const bool rotating = rotate_wanted_;
    if (rotating) {
      batch_.append(before_rotation_);
      before_rotation_.clear();
      batch_last_ = std::max(batch_last_, before_rotation_last_);
    } else {
      batch_.append(pending_);
      pending_.clear();
      batch_last_ = appended_;
    }
    const bool sync =
        options_.fsync != FsyncMode::kNever || rotating || stop_ || flush_wanted_ > synced_;
    const bool stopping = stop_;
    mutex_.Unlock();
    const bool ok = WriteBatch(sync);
    std::string rotate_error;
    if (ok && rotating) {
      uint64_t number;
      {
        MutexLock number_lock(&mutex_);
        number = file_number_ + 1;
      }
      if (!OpenFile(number, 0, &rotate_error)) Log(rotate_error);
    }
    mutex_.Lock();
    if (ok) {
      written_ = std::max(written_, batch_last_);
      if (sync) synced_ = written_;
      last_write = SteadyClock::now();
      if (failing_) {
        failing_ = false;
        accepting_.store(true, std::memory_order_relaxed);
        Log("journal writable again; changes are accepted");
      }
    } else {
      last_failure = SteadyClock::now();
    }
    if (rotating) {
      rotate_wanted_ = false;
      rotate_error_ = ok ? rotate_error : "the journal cannot be written";
      ++rotations_;
    }
    durable_.SignalAll();
    const bool stop_now = stopping && (!ok || (pending_.empty() && before_rotation_.empty()));
    if (stop_now) {
      if (!ok) {
        // The last try failed: its frames were cut off the file (their
        // callers are answered false) unless the cut itself failed.
        if (!cut_back_) uncertain_to_ = batch_last_;
        Log(cut_back_ ? "stopping with changes the journal could not write; they were cut off "
                        "the journal and answered 503"
                      : "stopping with changes the journal could not write, and could not cut "
                        "them off: their requests are left unanswered");
      }
      stopped_ = true;
      durable_.SignalAll();
    }
    if (!callbacks_.empty()) {
      Answered answered = TakeAnswerable();
      mutex_.Unlock();
      for (auto& [done, kept] : answered) done(kept);
      mutex_.Lock();
    }
    if (stop_now) return;
  }
}

void Journal::Stop() {
  std::lock_guard<std::mutex> serial(stop_mutex_);
  Answered answered;
  {
    MutexLock lock(&mutex_);
    stop_ = true;
    accepting_.store(false, std::memory_order_relaxed);
    if (!writer_.joinable()) {
      stopped_ = true;
      answered = TakeAnswerable();
    }
    work_.Signal();
    durable_.SignalAll();
  }
  for (auto& [done, kept] : answered) done(kept);
  if (writer_.joinable()) writer_.join();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

uint64_t Journal::file_number() const {
  MutexLock lock(&mutex_);
  return file_number_;
}

uint64_t Journal::file_bytes() const {
  MutexLock lock(&mutex_);
  return file_bytes_;
}

uint64_t Journal::bytes_written() const {
  MutexLock lock(&mutex_);
  return bytes_written_;
}

}  // namespace slotd::durable
