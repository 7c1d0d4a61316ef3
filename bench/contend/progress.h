// The line a person watches while a run goes on, e.g.
//   [  4.0/20.0 s]  1234 acquired (308.5/s)  5678 refused  held tag:db 4/4
// On a terminal it rewrites itself in place; elsewhere (a log, CI) it prints
// a new line at each tick.
#pragma once

#include <cstdio>

#include "run_ledger.h"
#include "scenario.h"
#include "worker.h"

namespace slotd::contend {

class ProgressLine {
 public:
  ProgressLine(const Scenario& scenario, const RunLedger& ledger, const RunClock& clock,
               std::FILE* out);

  // How long to wait between ticks: every second on a terminal, about
  // twenty lines per run elsewhere.
  SteadyClock::duration interval() const { return interval_; }
  void Tick();
  // Ends the line on a terminal.
  void Finish();

 private:
  const Scenario& scenario_;
  const RunLedger& ledger_;
  const RunClock& clock_;
  std::FILE* out_;
  bool terminal_;
  SteadyClock::duration interval_;
};

}  // namespace slotd::contend
