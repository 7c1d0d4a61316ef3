#include "run_ledger.h"

namespace slotd::contend {

const char* BreachKindName(Breach::Kind kind) {
  return kind == Breach::Kind::kOverLimit ? "over_limit" : "unknown_release";
}

RunLedger::RunLedger(const Scenario& scenario)
    : scenario_(scenario), held_(new std::atomic<int64_t>[scenario.limits.size()]) {
  for (size_t i = 0; i < scenario.limits.size(); ++i) held_[i].store(0);
}

void RunLedger::Acquired(const std::vector<int>& limits, int64_t slots, double at_s, int worker) {
  acquisitions_.fetch_add(1, std::memory_order_relaxed);
  for (int index : limits) {
    int64_t now_held = held_[index].fetch_add(slots) + slots;
    const LimitSpec& spec = scenario_.limits[index];
    if (now_held > spec.limit && spec.slot_decay_per_second == 0) {
      RecordBreach({Breach::Kind::kOverLimit, at_s, spec.name,
                    std::to_string(now_held) + " slots held on a limit of " +
                        std::to_string(spec.limit) + " after worker " + std::to_string(worker) +
                        " acquired"});
    }
  }
}

void RunLedger::Releasing(const std::vector<int>& limits, int64_t slots) {
  for (int index : limits) held_[index].fetch_sub(slots);
}

void RunLedger::RecordBreach(Breach breach) {
  MutexLock lock(&mu_);
  ++breach_count_;
  if (breaches_.size() < kMaxKeptBreaches) breaches_.push_back(std::move(breach));
}

int64_t RunLedger::breach_count() const {
  MutexLock lock(&mu_);
  return breach_count_;
}

std::vector<Breach> RunLedger::breaches() const {
  MutexLock lock(&mu_);
  return breaches_;
}

}  // namespace slotd::contend
