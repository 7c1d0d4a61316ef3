// The wait line of fair waiting (README "Fair waiting"): requests that found
// no room and wait in arrival order for it. Internal to the engine.
//
// Lock order: the line's mutex comes before every limit shard (a pass holds
// it while it locks each waiter's shards in turn), so a call holding shard
// locks never takes it; the timer mutex is innermost.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "engine/mutex.h"
#include "engine/slot_engine.h"

namespace slotd {

// One waiting request: what it asks for (its own copy) and its place.
struct Waiter {
  WaitId id = 0;                   // also its arrival order
  bool tag = false;                // IncrementByTaskRun (names are "tag:" names), else Acquire
  std::vector<std::string> names;  // unique, in request order
  int64_t slots = 1;
  AcquireMode mode = AcquireMode::kConcurrency;
  std::optional<LeaseTerms> lease;
  Uuid task_run{};
  TimePoint since;  // arrival, on the engine's clock
  TimePoint deadline;
  TimePoint wake = TimePoint::max();  // decay makes room then
  int overtaken = 0;                  // later requests granted ahead of it
  // Next in line on every limit that lacks room for it (its slots and those
  // of the waiters before it there fit within the limit): only then does it
  // hold slots back once overtaken max_overtakes times.
  bool front = true;
  std::function<void(WaitResult)> done;
};

// Slots of a limit the line holds back for earlier waiters that may be
// overtaken no more: a later request fits only in the room beyond them.
struct HeldBack {
  std::string_view name;
  int64_t slots = 0;
};

// The slots `held_back` holds on the limit called `name`.
inline int64_t HeldBackOn(std::span<const HeldBack> held_back, std::string_view name) {
  int64_t slots = 0;
  for (const HeldBack& h : held_back) {
    if (h.name == name) slots += h.slots;
  }
  return slots;
}

// What stopped an attempt that found no room.
struct Blocked {
  std::vector<std::string_view> full;  // active limits with no slot free at all
  // Active limits without room for the slots asked, with their limit.
  std::vector<std::pair<std::string_view, int64_t>> short_of;
  TimePoint wake = TimePoint::max();  // when decay gives the room needed
};

struct WaitLine {
  Mutex mutex;
  std::map<WaitId, Waiter> waiters SLOTD_GUARDED_BY(mutex);
  WaitId next_id SLOTD_GUARDED_BY(mutex) = 1;
  bool closed SLOTD_GUARDED_BY(mutex) = false;
  // Waiters plus arrivals going through the line. Raised before an arrival's
  // attempt and read after a release unlocks its shards, so a release that
  // follows a failed attempt always sees it and wakes the line (no lost
  // wake-up); zero: every call takes the fast path of a line-less engine.
  std::atomic<int64_t> engaged{0};
  std::atomic<int64_t> next_due_us{INT64_MAX};

  Mutex timer_mutex;
  CondVar timer_wakeup;
  bool timer_stop SLOTD_GUARDED_BY(timer_mutex) = false;
  bool timer_running = false;  // only StartWaitTimer / StopWaitTimer touch it
  std::thread timer;
};

}  // namespace slotd
