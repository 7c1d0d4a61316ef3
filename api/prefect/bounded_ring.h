// A bounded, thread-safe ring of records that clients send in (events and
// logs), kept so that tests can read them back. The oldest records are
// dropped first once it holds `capacity` of them.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

#include "engine/mutex.h"

namespace slotd::api {

template <typename T>
class BoundedRing {
 public:
  using Entry = std::shared_ptr<const T>;

  // capacity >= 1.
  explicit BoundedRing(size_t capacity) : capacity_(capacity) {}
  BoundedRing(const BoundedRing&) = delete;
  BoundedRing& operator=(const BoundedRing&) = delete;

  size_t capacity() const { return capacity_; }

  // Appends `entries` in order, all under one lock (a reader sees all of
  // them or none), dropping the oldest past capacity. Any thread.
  void Append(std::vector<Entry> entries) SLOTD_EXCLUDES(mutex_) {
    MutexLock lock(&mutex_);
    for (Entry& entry : entries) {
      if (entries_.size() == capacity_) entries_.pop_front();
      entries_.push_back(std::move(entry));
    }
  }

  // The entries `keep` accepts, oldest first. Entries are shared, not
  // copied, so the lock is held only to copy pointers. Any thread.
  template <typename Predicate>
  std::vector<Entry> Select(Predicate keep) const SLOTD_EXCLUDES(mutex_) {
    std::vector<Entry> out;
    MutexLock lock(&mutex_);
    for (const Entry& entry : entries_) {
      if (keep(*entry)) out.push_back(entry);
    }
    return out;
  }

  size_t size() const SLOTD_EXCLUDES(mutex_) {
    MutexLock lock(&mutex_);
    return entries_.size();
  }

 private:
  const size_t capacity_;
  mutable Mutex mutex_;
  std::deque<Entry> entries_ SLOTD_GUARDED_BY(mutex_);
};

}  // namespace slotd::api
