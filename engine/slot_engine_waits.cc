// Fair waiting: the wait line, its passes, its timer (README "Fair waiting"
// states the policy and its guarantees).
//
// A pass visits the waiters in arrival order and tries each: it is granted
// when its slots fit beside the slots held back on its limits for earlier
// waiters still waiting that have been overtaken max_overtakes times and are
// next in line (see Waiter::front; each holds back its own slots on each of
// its limits); each earlier waiter on a shared limit that it went ahead of
// counts one overtake. An arrival is tried
// after every waiter, as the last in line. A pass runs whenever slots may
// have come free (every call that gives slots back, changes or deletes a
// limit), at each deadline and decay wake-up (ServiceWaits), and when a
// waiter leaves.
#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "engine/internal/engine_impl.h"

namespace slotd {

namespace {

// A finished wait and where its outcome goes, called once the line is unlocked.
struct Ending {
  std::function<void(WaitResult)> done;
  WaitResult result;
};

// What a pass knows of the waiters visited so far.
struct PassState {
  // Per limit name, the earlier waiters on it still waiting.
  std::unordered_map<std::string_view, std::vector<Waiter*>> waiting;
  // Limits found with no slot free: nobody later in this pass fits on them.
  std::vector<std::string_view> full;
  std::unordered_map<std::string_view, int64_t> limit_of;  // of each full limit
  TimePoint next_due = TimePoint::max();
};

bool Contains(const std::vector<std::string_view>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// `slots` plus the slots of the waiters still waiting on `name` so far.
int64_t Demand(const PassState& pass, std::string_view name, int64_t slots) {
  if (auto it = pass.waiting.find(name); it != pass.waiting.end()) {
    for (const Waiter* earlier : it->second) slots += earlier->slots;
  }
  return slots;
}

void StillWaiting(Waiter& waiter, PassState* pass) {
  for (const std::string& name : waiter.names) pass->waiting[name].push_back(&waiter);
  pass->next_due = std::min({pass->next_due, waiter.deadline, waiter.wake});
}

}  // namespace

void NoteBlocked(std::span<LimitState* const> active, int64_t slots, TimePoint now,
                 Blocked* blocked) {
  for (LimitState* limit : active) {
    const std::optional<Micros> until = limit->TimeUntilRoom(slots, now);
    if (until && until->count() == 0) continue;  // this one has room
    blocked->short_of.emplace_back(limit->name(), limit->limit());
    if (limit->ActiveSlotsAt(now) >= limit->limit()) blocked->full.push_back(limit->name());
    if (!until) continue;
    const TimePoint room = now + *until;
    blocked->wake = blocked->wake == TimePoint::max() ? room : std::max(blocked->wake, room);
  }
}

namespace {

// Tries one waiter in a pass (the line locked). kLocked and !final: it
// waits on; any other status ends it.
Status Visit(SlotEngine::Impl& impl, Waiter& waiter, bool final, TimePoint now, PassState* pass,
             WaitResult* result) {
  if (impl.Refusing()) return Status::kUnavailable;
  if (!final) {
    for (const std::string& name : waiter.names) {
      if (!Contains(pass->full, name)) continue;
      // No slot free there: it waits on, next in line or not as before,
      // unless waiters before it there now fill the limit.
      if (Demand(*pass, name, waiter.slots) > pass->limit_of[name]) waiter.front = false;
      return Status::kLocked;
    }
  }
  // Earlier waiters it would go ahead of (a granted waiter overtakes each
  // once), and the slots held back for those that may be overtaken no more.
  std::vector<Waiter*> ahead;
  std::vector<HeldBack> held_back;
  const bool strict = impl.options.strict_wait_order;
  const int max_overtakes = strict ? 0 : impl.options.max_overtakes;
  for (const std::string& name : waiter.names) {
    auto it = pass->waiting.find(name);
    if (it == pass->waiting.end()) continue;
    for (Waiter* earlier : it->second) {
      if (earlier->overtaken >= max_overtakes && (earlier->front || strict)) {
        held_back.push_back({name, earlier->slots});
      }
      if (std::find(ahead.begin(), ahead.end(), earlier) == ahead.end()) ahead.push_back(earlier);
    }
  }
  std::vector<std::string_view> names(waiter.names.begin(), waiter.names.end());
  const Uuid lease_id = waiter.tag || waiter.lease ? NewRandomUuid() : Uuid{};
  Blocked blocked;
  Status status;
  {
    ShardGuard guard(impl, names);
    if (waiter.tag) {
      status = impl.TryIncrementLocked(names, waiter.task_run, lease_id, now, held_back, final,
                                       &result->tag, &blocked);
    } else {
      status = impl.TryAcquireLocked(names, waiter.slots, waiter.mode, waiter.lease, lease_id, now,
                                     held_back, final, &result->acquire, &blocked);
    }
    // Kept as views of the waiter's own names (it outlives the pass; a
    // limit's name may change once its shard is unlocked).
    for (std::string_view name : blocked.full) {
      for (const std::string& own : waiter.names) {
        if (own == name && !Contains(pass->full, own)) pass->full.emplace_back(own);
      }
    }
    for (auto& [name, limit] : blocked.short_of) {
      for (const std::string& own : waiter.names) {
        if (own == name) name = own;
      }
      if (Contains(pass->full, name)) pass->limit_of[name] = limit;
    }
  }
  if (status == Status::kLocked && !final) {
    waiter.wake = blocked.wake;
    waiter.front = true;
    for (const auto& [name, limit] : blocked.short_of) {
      if (Demand(*pass, name, waiter.slots) > limit) waiter.front = false;
    }
  }
  if (status == Status::kOk) {
    for (Waiter* earlier : ahead) ++earlier->overtaken;
  }
  return status;
}

}  // namespace

// The line locked: one pass over the waiters, then `arrival` if given.
// Ended waiters leave the line; their endings are appended to *endings.
static Status Pass(SlotEngine::Impl& impl, bool close, Waiter* arrival, bool arrival_final,
                   WaitResult* arrival_result, std::vector<Ending>* endings)
    SLOTD_REQUIRES(impl.line.mutex) {
  const TimePoint now = impl.options.clock->Now();
  PassState pass;
  for (auto it = impl.line.waiters.begin(); it != impl.line.waiters.end();) {
    Waiter& waiter = it->second;
    WaitResult result;
    const bool final = close || now >= waiter.deadline;
    const Status status = Visit(impl, waiter, final, now, &pass, &result);
    if (status == Status::kLocked && !final) {
      StillWaiting(waiter, &pass);
      ++it;
      continue;
    }
    result.status = status;
    endings->push_back({std::move(waiter.done), std::move(result)});
    it = impl.line.waiters.erase(it);
    impl.line.engaged.fetch_sub(1, std::memory_order_seq_cst);
  }
  Status status = Status::kOk;
  if (arrival) {
    status = Visit(impl, *arrival, arrival_final, now, &pass, arrival_result);
    if (status == Status::kLocked && !arrival_final) {
      pass.next_due = std::min({pass.next_due, arrival->deadline, arrival->wake});
    }
  }
  const int64_t due =
      pass.next_due == TimePoint::max() ? INT64_MAX : pass.next_due.time_since_epoch().count();
  const int64_t before = impl.line.next_due_us.exchange(due);
  if (due < before) {
    MutexLock lock(&impl.line.timer_mutex);
    impl.line.timer_wakeup.SignalAll();
  }
  return status;
}

static void Finish(std::vector<Ending>& endings) {
  for (Ending& ending : endings) ending.done(std::move(ending.result));
}

Status SlotEngine::Impl::Arrive(Waiter waiter, bool may_wait, WaitResult* result, WaitId* wait_id) {
  line.engaged.fetch_add(1, std::memory_order_seq_cst);
  waiter.since = options.clock->Now();
  std::vector<Ending> endings;
  Status status;
  {
    MutexLock lock(&line.mutex);
    may_wait = may_wait && !line.closed && line.waiters.size() < options.max_waiters;
    waiter.id = line.next_id++;
    status = Pass(*this, false, &waiter, !may_wait, result, &endings);
    if (status == Status::kLocked && may_wait) {
      if (wait_id) *wait_id = waiter.id;
      const WaitId id = waiter.id;
      line.waiters.emplace(id, std::move(waiter));
      status = Status::kWaiting;
    } else {
      line.engaged.fetch_sub(1, std::memory_order_seq_cst);
    }
  }
  Finish(endings);
  return status;
}

void SlotEngine::Impl::WakeLine() {
  if (line.engaged.load(std::memory_order_seq_cst) == 0) return;
  WakeLineNow(false);
}

void SlotEngine::Impl::WakeLineNow(bool close) {
  std::vector<Ending> endings;
  {
    MutexLock lock(&line.mutex);
    if (close) line.closed = true;
    if (!line.waiters.empty()) (void)Pass(*this, close, nullptr, false, nullptr, &endings);
  }
  Finish(endings);
}

bool SlotEngine::CancelWait(WaitId wait_id) {
  std::vector<Ending> endings;
  {
    MutexLock lock(&impl_->line.mutex);
    auto it = impl_->line.waiters.find(wait_id);
    if (it == impl_->line.waiters.end()) return false;
    impl_->line.waiters.erase(it);
    impl_->line.engaged.fetch_sub(1, std::memory_order_seq_cst);
    // Whoever it held slots back for, or was ahead of, may go now.
    if (!impl_->line.waiters.empty()) (void)Pass(*impl_, false, nullptr, false, nullptr, &endings);
  }
  Finish(endings);
  return true;
}

void SlotEngine::ServiceWaits() { impl_->WakeLine(); }

TimePoint SlotEngine::NextWaitDue() const {
  const int64_t due = impl_->line.next_due_us.load();
  return due == INT64_MAX ? TimePoint::max() : TimePoint(Micros(due));
}

void SlotEngine::EndAllWaits() { impl_->WakeLineNow(/*close=*/true); }

void SlotEngine::ReadWaiters(std::string_view name, std::vector<LimitWaiter>* out) const {
  out->clear();
  if (impl_->line.engaged.load(std::memory_order_relaxed) == 0) return;
  MutexLock lock(&impl_->line.mutex);
  for (const auto& [id, waiter] : impl_->line.waiters) {
    if (std::find(waiter.names.begin(), waiter.names.end(), name) == waiter.names.end()) continue;
    LimitWaiter& view = out->emplace_back();
    view.slots = waiter.slots;
    view.since = waiter.since;
    view.mode = waiter.tag ? WaitMode::kV1 : waiter.lease ? WaitMode::kLease : WaitMode::kNoLease;
    view.limits = waiter.names;
  }
}

size_t SlotEngine::WaiterCount() const {
  MutexLock lock(&impl_->line.mutex);
  return impl_->line.waiters.size();
}

void SlotEngine::StartWaitTimer() {
  StopWaitTimer();
  WaitLine& line = impl_->line;
  {
    MutexLock lock(&line.timer_mutex);
    line.timer_stop = false;
  }
  line.timer_running = true;
  line.timer = std::thread([this, &line] {
    MutexLock lock(&line.timer_mutex);
    while (!line.timer_stop) {
      const TimePoint due = NextWaitDue();
      const TimePoint now = Now();
      if (due <= now) {
        line.timer_mutex.Unlock();
        ServiceWaits();
        line.timer_mutex.Lock();
        continue;
      }
      // At most a second at a time, so a clock that jumps is followed.
      const auto sleep = std::min<Micros>(due - now, std::chrono::seconds(1));
      line.timer_wakeup.WaitWithDeadline(&line.timer_mutex,
                                         std::chrono::steady_clock::now() + sleep);
    }
  });
}

void SlotEngine::StopWaitTimer() {
  WaitLine& line = impl_->line;
  if (!line.timer_running) return;
  {
    MutexLock lock(&line.timer_mutex);
    line.timer_stop = true;
  }
  line.timer_wakeup.SignalAll();
  line.timer.join();
  line.timer_running = false;
}

}  // namespace slotd
