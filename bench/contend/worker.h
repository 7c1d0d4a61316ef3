// One simulated Prefect worker: on its own thread and connection it loops
// acquire, hold, release, pause until the run ends, waiting between refused
// attempts the way the scenario's client policy says.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "http_client.h"
#include "run_ledger.h"
#include "scenario.h"
#include "workload.h"

namespace slotd::contend {

using SteadyClock = std::chrono::steady_clock;

// The run's timeline, shared by every worker: times in records are seconds
// since `start`; nothing new is attempted after `end`.
struct RunClock {
  SteadyClock::time_point start;
  SteadyClock::time_point end;

  double Seconds(SteadyClock::time_point t) const {
    return std::chrono::duration<double>(t - start).count();
  }
  double Now() const { return Seconds(SteadyClock::now()); }
  bool Over() const { return SteadyClock::now() >= end; }
};

// One acquisition as its worker saw it, in seconds since the run started.
struct AcquisitionRecord {
  double requested_s = 0;  // the first attempt was sent
  double acquired_s = 0;   // the 200 arrived
  double released_s = 0;   // the release was about to be sent
  int32_t refusals = 0;    // 423 answers before the 200
};

struct WorkerRecord {
  int group = 0;
  std::vector<AcquisitionRecord> acquisitions;
  int64_t refusals = 0;             // every 423, including those of an abandoned wait
  double abandoned_wait_s = -1;     // still waiting when the run ended: since when it waited
  int64_t transient_errors = 0;     // no answer, or a 5xx, to an acquire (retried)
  int64_t missing_retry_after = 0;  // a 423 without a usable Retry-After
  int64_t release_failures = 0;     // releases the server never accepted
  std::string fatal;                // why the worker stopped early, if it did
};

class Worker {
 public:
  // `index` counts workers across groups; it picks the random streams.
  Worker(const Scenario& scenario, int group, int index, const Endpoint& endpoint,
         const RunClock& clock, RunLedger& ledger, bool verify_holds);

  // Works until the clock's end and returns holding nothing.
  void Run();
  const WorkerRecord& record() const { return record_; }

 private:
  struct Hold {
    AcquisitionRecord record;
    std::string task_run_id;
    std::string lease_id;
  };

  // Tries until acquired (true), or until the run ends or the server's
  // answers show the scenario cannot work (false).
  bool Acquire(Hold* hold);
  void Release(Hold& hold);
  void CheckHold(const Hold& hold);
  void WaitAfterRefusal(const AcquireAnswer& answer);
  void SleepUntil(SteadyClock::time_point t) const;

  const Scenario& scenario_;
  const WorkerGroup& group_;
  int index_;
  const RunClock& clock_;
  RunLedger& ledger_;
  bool verify_holds_;
  WorkerSchedule schedule_;
  SlotClient client_;
  std::vector<int> limit_indices_;  // group_.acquire as scenario indices
  std::vector<bool> decaying_;      // per group_.acquire: does the limit decay
  WorkerRecord record_;
};

}  // namespace slotd::contend
