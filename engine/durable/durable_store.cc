#include "engine/durable/durable_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "engine/durable/change_codec.h"
#include "engine/durable/data_files.h"
#include "engine/durable/recovery.h"

namespace slotd::durable {

namespace {

// How often a compaction that failed (a full disk, say) is tried again
// while the journal is still past its size.
constexpr auto kCompactRetry = std::chrono::seconds(5);
// The snapshot is written in pieces of about this many bytes.
constexpr size_t kSnapshotChunkBytes = 1 << 20;

}  // namespace

DurableStore::DurableStore(DurableOptions options) : options_(std::move(options)) {}

void DurableStore::Log(std::string_view line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::fprintf(stderr, "slotd: %.*s\n", static_cast<int>(line.size()), line.data());
  }
}

std::unique_ptr<DurableStore> DurableStore::Open(DurableOptions options,
                                                 EngineOptions engine_options, std::string* error) {
  std::unique_ptr<DurableStore> store(new DurableStore(std::move(options)));
  if (!store->Start(std::move(engine_options), error)) return nullptr;
  return store;
}

bool DurableStore::Start(EngineOptions engine_options, std::string* error) {
  const std::string& dir = options_.dir;
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    *error = ErrnoMessage(dir, "cannot create the data dir", errno);
    return false;
  }
  const std::string lock_path = dir + "/LOCK";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    *error = ErrnoMessage(lock_path, "cannot open the lock file", errno);
    return false;
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    *error = errno == EWOULDBLOCK ? dir + ": in use by another slotd (" + lock_path +
                                        " is locked); one data dir, "
                                        "one process"
                                  : ErrnoMessage(lock_path, "cannot lock", errno);
    return false;
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock_fd_, 0) == 0) (void)WriteAll(lock_fd_, pid);

  JournalOptions journal_options;
  journal_options.fsync = options_.fsync;
  journal_options.batch_interval = options_.batch_interval;
  journal_options.large_file_bytes = options_.snapshot_journal_bytes;
  journal_options.on_large_file = [this] {
    MutexLock lock(&mutex_);
    compact_wanted_ = true;
    wake_.Signal();
  };
  journal_options.log = options_.log;
  journal_ = std::make_shared<Journal>(dir, journal_options);
  engine_options.change_sink = journal_;
  engine_ = std::make_unique<SlotEngine>(std::move(engine_options));

  const auto started = std::chrono::steady_clock::now();
  RecoveryOptions recovery_options;
  recovery_options.keep_records_before_damage = options_.recover_to_damage;
  recovery_options.log = options_.log;
  RecoveryResult recovered;
  if (!Recover(dir, engine_.get(), recovery_options, &recovered, error)) return false;
  if (!journal_->Start(recovered.journal_number, recovered.journal_size, error)) return false;
  const size_t expired = engine_->ExpireLeases();
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  Log(dir + ": recovered " + std::to_string(engine_->LimitCount()) + " limits and " +
      std::to_string(engine_->LeaseCount()) + " leases (" +
      std::to_string(recovered.changes_replayed) + " records; " + std::to_string(expired) +
      " leases expired while stopped) in " + std::to_string(took.count()) + " ms");
  compactor_ = std::thread([this] { CompactorLoop(); });
  return true;
}

DurableStore::~DurableStore() { Stop(); }

void DurableStore::Stop() {
  {
    MutexLock lock(&mutex_);
    stop_ = true;
    wake_.Signal();
  }
  if (compactor_.joinable()) compactor_.join();
  if (journal_) journal_->Stop();
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);  // releases the flock
    lock_fd_ = -1;
  }
}

void DurableStore::CompactorLoop() {
  MutexLock lock(&mutex_);
  for (;;) {
    while (!stop_ && !compact_wanted_) wake_.Wait(&mutex_);
    if (stop_) return;
    compact_wanted_ = false;
    mutex_.Unlock();
    std::string error;
    const bool ok = Compact(&error);
    if (!ok) Log("snapshot failed, the journals stay: " + error);
    mutex_.Lock();
    if (!ok && !stop_ && journal_->file_bytes() >= options_.snapshot_journal_bytes) {
      wake_.WaitWithDeadline(&mutex_, std::chrono::steady_clock::now() + kCompactRetry);
      compact_wanted_ = true;
    }
  }
}

bool DurableStore::Compact(std::string* error) {
  std::lock_guard<std::mutex> serial(compact_serial_);
  uint64_t number = 0;
  if (!journal_->Rotate(&number, error)) return false;
  const std::string path = SnapshotPath(options_.dir, number);
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = ErrnoMessage(temporary, "cannot create", errno);
    return false;
  }
  int err = WriteAll(fd, FileHeader(kSnapshotMagic, number));
  std::string chunk;
  uint64_t records = 0;
  engine_->ExportState([&](const Change& change) {
    const size_t at = BeginFrame(&chunk);
    EncodeChange(change, &chunk);
    EndFrame(chunk, at);
    ++records;
    if (chunk.size() >= kSnapshotChunkBytes && err == 0) {
      SealFrames(chunk, 0);
      err = WriteAll(fd, chunk);
      chunk.clear();
    }
  });
  SealFrames(chunk, 0);
  if (err == 0) err = WriteAll(fd, chunk);
  if (err == 0) err = WriteAll(fd, FileHeader(kSnapshotEndMagic, records));
  if (err == 0 && ::fdatasync(fd) != 0) err = errno;
  ::close(fd);
  // The export may hold changes appended after the rotation that are not
  // yet in the new journal; were it put in place and those writes then
  // failed, a restart would find changes whose callers were answered 503.
  // So it goes in place only once every change it can hold is durable.
  if (err == 0 && !journal_->Flush()) {
    ::unlink(temporary.c_str());
    *error = path + ": not put in place: the journal cannot be written";
    return false;
  }
  if (err == 0 && ::rename(temporary.c_str(), path.c_str()) != 0) err = errno;
  if (err == 0) err = FsyncDir(options_.dir);
  if (err != 0) {
    ::unlink(temporary.c_str());
    *error = ErrnoMessage(path, "cannot write the snapshot", err);
    return false;
  }
  RemoveOldFiles(number);
  MutexLock lock(&mutex_);
  ++snapshots_written_;
  return true;
}

void DurableStore::RemoveOldFiles(uint64_t snapshot_number) {
  DataFiles files;
  std::string error;
  if (!ListDataFiles(options_.dir, &files, &error)) return;
  // The generation kept back: the newest snapshot before this one.
  uint64_t kept = 0;
  for (uint64_t number : files.snapshots) {
    if (number < snapshot_number) kept = number;
  }
  if (kept == 0) return;
  for (uint64_t number : files.snapshots) {
    if (number < kept) ::unlink(SnapshotPath(options_.dir, number).c_str());
  }
  for (uint64_t number : files.journals) {
    if (number < kept) ::unlink(JournalPath(options_.dir, number).c_str());
  }
  (void)FsyncDir(options_.dir);
}

uint64_t DurableStore::snapshots_written() const {
  MutexLock lock(&mutex_);
  return snapshots_written_;
}

}  // namespace slotd::durable
