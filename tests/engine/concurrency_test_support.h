// Helpers of the engine's concurrency tests: threads released together, a
// sampler that checks every snapshot, and the test's own holder counts.
// Threads record violations in atomics; the assertions run on the test's own
// thread (Catch2 is not thread-safe).
#pragma once

#include <algorithm>
#include <atomic>
#include <initializer_list>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/engine/engine_test_support.h"

namespace slotd::test {

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int kIterations = 10000;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
constexpr int kIterations = 10000;
#else
constexpr int kIterations = 50000;
#endif
#else
constexpr int kIterations = 50000;
#endif

constexpr int kThreads = 8;

// The first violation's description, and how many there were.
class Violations {
 public:
  void Add(std::string what) {
    if (count_.fetch_add(1) == 0) {
      std::lock_guard lock(mutex_);
      first_ = std::move(what);
    }
  }
  // Adds a violation unless `status` is one of `expected`: the check of a
  // call's outcome on a worker thread, where CHECK cannot run.
  void Expect(const char* call, Status status,
              std::initializer_list<Status> expected = {Status::kOk}) {
    if (std::find(expected.begin(), expected.end(), status) == expected.end()) {
      Add(std::string(call) + ": " + StatusName(status));
    }
  }
  int count() const { return count_.load(); }
  std::string first() const {
    std::lock_guard lock(mutex_);
    return first_;
  }

 private:
  std::atomic<int> count_{0};
  mutable std::mutex mutex_;
  std::string first_;
};

#define CHECK_NO_VIOLATIONS(v) \
  do {                         \
    INFO((v).first());         \
    CHECK((v).count() == 0);   \
  } while (false)

// Runs body(index) on `n` threads released together, and waits for them.
template <typename Body>
void RunThreads(int n, Body body) {
  std::latch start(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      body(i);
    });
  }
  for (std::thread& thread : threads) thread.join();
}

// Reads the named limits in a loop on its own thread until stopped, checking
// 0 <= active_slots <= limit on every snapshot. With `v1_only` (every slot is
// one v1 slot of a distinct task run), also active_slots >= the number of task
// run holders: a slot given back twice would show as fewer slots than holders.
class Sampler {
 public:
  Sampler(SlotEngine& engine, std::vector<std::string> names, Violations& violations,
          bool v1_only = false)
      : thread_([this, &engine, names = std::move(names), &violations, v1_only] {
          LimitSnapshot snapshot;
          while (!stop_.load()) {
            for (const std::string& name : names) {
              if (engine.ReadLimit(std::string_view(name), &snapshot, v1_only) != Status::kOk) {
                continue;
              }
              samples_.fetch_add(1);
              if (snapshot.active_slots < 0 || snapshot.active_slots > snapshot.limit) {
                violations.Add(name + ": active_slots " + std::to_string(snapshot.active_slots) +
                               " outside [0, " + std::to_string(snapshot.limit) + "]");
              }
              const auto holders = static_cast<int64_t>(snapshot.task_run_holders.size());
              if (v1_only && snapshot.active_slots < holders) {
                violations.Add(name + ": active_slots " + std::to_string(snapshot.active_slots) +
                               " below " + std::to_string(holders) + " holders");
              }
            }
            std::this_thread::yield();
          }
        }) {}
  ~Sampler() { Stop(); }
  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  int samples() const { return samples_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> samples_{0};
  std::thread thread_;
};

// Per-limit holder counts kept by the test: raised after a successful
// acquisition and lowered before the release, so each stays at or below the
// number the engine counts, and so at or below the limit.
struct HolderCounts {
  std::vector<std::string> names;
  std::vector<int64_t> limits;
  std::unique_ptr<std::atomic<int64_t>[]> held;

  HolderCounts(std::vector<std::string> n, std::vector<int64_t> l)
      : names(std::move(n)), limits(std::move(l)), held(new std::atomic<int64_t>[names.size()]) {
    for (size_t i = 0; i < names.size(); ++i) held[i].store(0);
  }
  void Take(size_t i, int64_t slots, Violations& v) {
    int64_t now = held[i].fetch_add(slots) + slots;
    if (now > limits[i]) {
      v.Add(names[i] + ": " + std::to_string(now) + " holders over limit " +
            std::to_string(limits[i]));
    }
  }
  void Give(size_t i, int64_t slots) { held[i].fetch_sub(slots); }
};

inline TestOptions FewShards() {
  TestOptions options;
  options.limit_shards = 4;
  options.lease_shards = 4;
  return options;
}

}  // namespace slotd::test
