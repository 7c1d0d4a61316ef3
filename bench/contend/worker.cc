#include "worker.h"

#include <algorithm>
#include <thread>

namespace slotd::contend {
namespace {

// After no answer or a 5xx: long enough not to hammer a struggling server.
constexpr auto kTransientBackoff = std::chrono::milliseconds(100);
// An idempotent release is retried this often when it fails: giving up
// leaks a slot. A plain v2 decrement is not idempotent (a retry of one that
// did arrive would free someone else's slot), so it is sent once.
constexpr int kReleaseAttempts = 3;

SteadyClock::duration Ms(double ms) {
  return std::chrono::duration_cast<SteadyClock::duration>(
      std::chrono::duration<double, std::milli>(ms));
}

}  // namespace

Worker::Worker(const Scenario& scenario, int group, int index, const Endpoint& endpoint,
               const RunClock& clock, RunLedger& ledger, bool verify_holds)
    : scenario_(scenario),
      group_(scenario.workers[group]),
      index_(index),
      clock_(clock),
      ledger_(ledger),
      verify_holds_(verify_holds),
      schedule_(scenario.seed, index, group_),
      client_(endpoint) {
  record_.group = group;
  for (const std::string& name : group_.acquire) {
    int limit = FindLimit(scenario, name);
    limit_indices_.push_back(limit);
    decaying_.push_back(scenario.limits[limit].slot_decay_per_second > 0);
  }
}

void Worker::Run() {
  SleepUntil(clock_.start + Ms(schedule_.start_offset_ms()));
  while (!clock_.Over()) {
    Hold hold;
    if (!Acquire(&hold)) return;
    SleepUntil(SteadyClock::now() + Ms(schedule_.NextHoldMs()));
    Release(hold);
    SleepUntil(SteadyClock::now() + Ms(schedule_.NextPauseMs()));
  }
}

bool Worker::Acquire(Hold* hold) {
  hold->task_run_id = schedule_.NextTaskRunId();
  hold->record.requested_s = clock_.Now();
  while (!clock_.Over()) {
    AcquireAnswer answer = client_.Acquire(group_, hold->task_run_id);
    switch (answer.outcome) {
      case AcquireAnswer::Outcome::kAcquired:
        hold->record.acquired_s = clock_.Now();
        hold->lease_id = answer.lease_id;
        ledger_.Acquired(limit_indices_, group_.slots, hold->record.acquired_s, index_);
        return true;
      case AcquireAnswer::Outcome::kRefused:
        ++hold->record.refusals;
        ++record_.refusals;
        ledger_.Refused();
        WaitAfterRefusal(answer);
        break;
      case AcquireAnswer::Outcome::kTransient:
        ++record_.transient_errors;
        SleepUntil(SteadyClock::now() + kTransientBackoff);
        break;
      case AcquireAnswer::Outcome::kFatal:
        record_.fatal = answer.detail;
        return false;
    }
  }
  record_.abandoned_wait_s = clock_.Now() - hold->record.requested_s;
  return false;
}

void Worker::WaitAfterRefusal(const AcquireAnswer& answer) {
  double wait_ms = scenario_.on_refusal.interval_ms;
  if (scenario_.on_refusal.kind == RefusalPolicy::Kind::kRetryAfter) {
    if (answer.retry_after_s >= 0) {
      wait_ms = answer.retry_after_s * 1000;
    } else {
      ++record_.missing_retry_after;
    }
  }
  SleepUntil(SteadyClock::now() + Ms(wait_ms));
}

void Worker::CheckHold(const Hold& hold) {
  ReleaseAnswer check = client_.CheckHold(group_, hold.task_run_id, hold.lease_id, decaying_);
  if (!check.server_knew) {
    ledger_.RecordBreach(
        {Breach::Kind::kUnknownRelease, clock_.Now(), group_.acquire.front(),
         "before release, worker " + std::to_string(index_) + ": " + check.detail});
  }
}

void Worker::Release(Hold& hold) {
  if (verify_holds_) CheckHold(hold);
  ledger_.Releasing(limit_indices_, group_.slots);
  hold.record.released_s = clock_.Now();
  double held_s = hold.record.released_s - hold.record.acquired_s;
  ReleaseAnswer answer;
  int attempts = group_.api == Api::kV2Increment ? 1 : kReleaseAttempts;
  for (int attempt = 0; attempt < attempts && !answer.sent; ++attempt) {
    answer = client_.Release(group_, hold.task_run_id, hold.lease_id, held_s);
  }
  if (!answer.sent) {
    ++record_.release_failures;
  } else if (!answer.server_knew) {
    ledger_.RecordBreach(
        {Breach::Kind::kUnknownRelease, clock_.Now(), group_.acquire.front(),
         "release by worker " + std::to_string(index_) + " answered " + answer.detail});
  }
  record_.acquisitions.push_back(hold.record);
}

// Sleeps no later than the run's end, so a long Retry-After or hold cannot
// stretch the run. A release still happens after the end.
void Worker::SleepUntil(SteadyClock::time_point t) const {
  std::this_thread::sleep_until(std::min(t, clock_.end));
}

}  // namespace slotd::contend
