// Running a scenario against a server: create its limits, let every worker
// loose on its own thread for the scenario's duration, collect what each saw.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "http_client.h"
#include "run_ledger.h"
#include "scenario.h"
#include "worker.h"

namespace slotd::contend {

struct RunOptions {
  Endpoint endpoint;
  bool verify_holds = false;      // ask the server to confirm each hold before releasing it
  bool keep_limits = false;       // leave the limits on the server afterwards
  std::FILE* progress = nullptr;  // where the progress line goes; null for none
};

struct RunResult {
  double duration_s = 0;              // the measured window is [0, duration_s]
  std::vector<WorkerRecord> workers;  // in worker index order
  int64_t breach_count = 0;
  std::vector<Breach> breaches;  // the first RunLedger::kMaxKeptBreaches
  std::string cleanup_error;     // deleting the limits afterwards failed
};

// Runs `scenario` (already validated) and returns "" with `result` filled,
// or why the run could not start (the server refused the limits, say).
// Every worker has released what it held when this returns.
std::string RunScenario(const Scenario& scenario, const RunOptions& options, RunResult* result);

}  // namespace slotd::contend
