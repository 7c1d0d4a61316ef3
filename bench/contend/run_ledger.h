// What the tool believes is happening at the server while a run goes on:
// the slots its workers hold on each limit, running totals for the progress
// line, and the invariant breaches seen.
//
// Why "more holders than the limit" is sound evidence: a worker counts its
// slots only after the server's 200 arrived (the server took them earlier)
// and uncounts them before its release is sent (the server gives them back
// later). So at every instant the ledger's count is at most the server's
// true count, and a count above the limit proves the server granted more
// than the limit. Limits with decay are exempt: there a slot lapses by
// itself while its holder still works, so more holders than the limit is
// the intended behaviour of a rate limit.
//
// Thread-safe: every member may be called from any worker thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/mutex.h"
#include "scenario.h"

namespace slotd::contend {

struct Breach {
  enum class Kind {
    kOverLimit,       // more slots held than the limit allows
    kUnknownRelease,  // the server did not know a hold being released
  };
  Kind kind = Kind::kOverLimit;
  double at_s = 0;  // since the run started
  std::string limit;
  std::string detail;
};

const char* BreachKindName(Breach::Kind kind);  // "over_limit", "unknown_release"

class RunLedger {
 public:
  explicit RunLedger(const Scenario& scenario);

  // After a 200 for `slots` on each of `limits` (indices into the scenario).
  void Acquired(const std::vector<int>& limits, int64_t slots, double at_s, int worker);
  // Just before a release for the same is sent.
  void Releasing(const std::vector<int>& limits, int64_t slots);
  void Refused() { refusals_.fetch_add(1, std::memory_order_relaxed); }
  void RecordBreach(Breach breach);

  int64_t held(int limit) const { return held_[limit].load(std::memory_order_relaxed); }
  int64_t acquisitions() const { return acquisitions_.load(std::memory_order_relaxed); }
  int64_t refusals() const { return refusals_.load(std::memory_order_relaxed); }
  int64_t breach_count() const;
  // The first kMaxKeptBreaches breaches, in the order seen.
  std::vector<Breach> breaches() const;

  static constexpr size_t kMaxKeptBreaches = 100;

 private:
  const Scenario& scenario_;
  std::unique_ptr<std::atomic<int64_t>[]> held_;
  std::atomic<int64_t> acquisitions_{0};
  std::atomic<int64_t> refusals_{0};
  mutable Mutex mu_;
  int64_t breach_count_ SLOTD_GUARDED_BY(mu_) = 0;
  std::vector<Breach> breaches_ SLOTD_GUARDED_BY(mu_);
};

}  // namespace slotd::contend
