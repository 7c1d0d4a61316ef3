// Mutexes the compiler checks: clang's thread-safety attributes (as Abseil's
// ABSL_GUARDED_BY and friends) and the mutex, lock and condition-variable
// wrappers they need (as LevelDB's port::Mutex and port::CondVar), over the
// standard library's.
//
// Building with clang and -Wthread-safety (cmake -DSLOTD_THREAD_SAFETY=ON)
// makes every access to a SLOTD_GUARDED_BY member without its mutex, and every
// call of a SLOTD_REQUIRES function without the mutex it names, an error. On
// other compilers the attributes are empty.
//
// Header-only and standard library only, so that code outside the engine
// (the HTTP server's thread pool, the contention tool) can use it without
// linking the engine.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#if defined(__clang__)
#define SLOTD_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define SLOTD_THREAD_ANNOTATION(x)
#endif

// On a class: it is a lock (a "capability") the analysis tracks.
#define SLOTD_CAPABILITY(name) SLOTD_THREAD_ANNOTATION(capability(name))
// On a class: an RAII object that holds a lock from construction to destruction.
#define SLOTD_SCOPED_CAPABILITY SLOTD_THREAD_ANNOTATION(scoped_lockable)
// On a member: read and written only with the mutex held (reads: shared suffices).
#define SLOTD_GUARDED_BY(mu) SLOTD_THREAD_ANNOTATION(guarded_by(mu))
// On a pointer member: what it points at is read and written only with the mutex held.
#define SLOTD_PT_GUARDED_BY(mu) SLOTD_THREAD_ANNOTATION(pt_guarded_by(mu))
// On a function: the caller holds the mutexes (exclusively, or at least shared).
#define SLOTD_REQUIRES(...) SLOTD_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define SLOTD_REQUIRES_SHARED(...) SLOTD_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
// On a function: it takes the mutexes (exclusively, or shared) and returns holding them.
#define SLOTD_ACQUIRE(...) SLOTD_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define SLOTD_ACQUIRE_SHARED(...) SLOTD_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
// On a function: it gives the mutexes back (held exclusively, or shared).
#define SLOTD_RELEASE(...) SLOTD_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define SLOTD_RELEASE_SHARED(...) SLOTD_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
// On a function: the caller must not hold the mutexes (the function takes them).
#define SLOTD_EXCLUDES(...) SLOTD_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// On a function: from its return on, the analysis takes the mutex as held.
#define SLOTD_ASSERT_CAPABILITY(mu) SLOTD_THREAD_ANNOTATION(assert_capability(mu))
// On a function: the analysis skips its body. Say beside it why it must.
#define SLOTD_NO_THREAD_SAFETY_ANALYSIS SLOTD_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace slotd {

class CondVar;

// An exclusive lock: std::mutex, annotated.
class SLOTD_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() SLOTD_ACQUIRE() { mutex_.lock(); }
  void Unlock() SLOTD_RELEASE() { mutex_.unlock(); }

  // Tells the analysis that the caller holds this mutex, for code whose lock
  // was taken where the analysis cannot follow it (a lock chosen at run time,
  // as the engine's limit shards are). Checks nothing at run time.
  void AssertHeld() const SLOTD_ASSERT_CAPABILITY(this) {}

 private:
  friend class CondVar;
  std::mutex mutex_;
};

// A reader-writer lock: std::shared_mutex, annotated.
class SLOTD_CAPABILITY("mutex") SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void Lock() SLOTD_ACQUIRE() { mutex_.lock(); }
  void Unlock() SLOTD_RELEASE() { mutex_.unlock(); }
  void LockShared() SLOTD_ACQUIRE_SHARED() { mutex_.lock_shared(); }
  void UnlockShared() SLOTD_RELEASE_SHARED() { mutex_.unlock_shared(); }

 private:
  std::shared_mutex mutex_;
};

// Holds a Mutex for its lifetime.
class SLOTD_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) SLOTD_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() SLOTD_RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// Holds a SharedMutex exclusively for its lifetime.
class SLOTD_SCOPED_CAPABILITY WriterMutexLock {
 public:
  explicit WriterMutexLock(SharedMutex* mu) SLOTD_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~WriterMutexLock() SLOTD_RELEASE() { mu_->Unlock(); }
  WriterMutexLock(const WriterMutexLock&) = delete;
  WriterMutexLock& operator=(const WriterMutexLock&) = delete;

 private:
  SharedMutex* const mu_;
};

// Holds a SharedMutex shared for its lifetime.
class SLOTD_SCOPED_CAPABILITY ReaderMutexLock {
 public:
  explicit ReaderMutexLock(SharedMutex* mu) SLOTD_ACQUIRE_SHARED(mu) : mu_(mu) {
    mu_->LockShared();
  }
  ~ReaderMutexLock() SLOTD_RELEASE() { mu_->UnlockShared(); }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;

 private:
  SharedMutex* const mu_;
};

// std::condition_variable waited on with a Mutex held. A wait gives the mutex
// up while it sleeps and holds it again when it returns, so the analysis sees
// the mutex held throughout. Waits may wake spuriously: wait in a loop that
// tests the condition, and the condition's reads are checked like any other.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  void Wait(Mutex* mu) SLOTD_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mutex_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // the caller still holds the mutex
  }

  // Waits until signalled or `deadline`; true if the deadline passed.
  bool WaitWithDeadline(Mutex* mu, std::chrono::steady_clock::time_point deadline)
      SLOTD_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mutex_, std::adopt_lock);
    bool timed_out = cv_.wait_until(lock, deadline) == std::cv_status::timeout;
    lock.release();  // the caller still holds the mutex
    return timed_out;
  }

  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace slotd
