#include "run.h"

#include <memory>
#include <thread>

#include "limit_setup.h"
#include "progress.h"

namespace slotd::contend {
namespace {

// Time to start every thread before the clock begins, so that no worker
// starts late because its siblings were still being created.
SteadyClock::duration StartLead(int workers) {
  return std::chrono::milliseconds(20) + std::chrono::microseconds(100) * workers;
}

std::vector<std::unique_ptr<Worker>> MakeWorkers(const Scenario& scenario,
                                                 const RunOptions& options, const RunClock& clock,
                                                 RunLedger& ledger) {
  std::vector<std::unique_ptr<Worker>> workers;
  for (size_t group = 0; group < scenario.workers.size(); ++group) {
    for (int i = 0; i < scenario.workers[group].count; ++i) {
      workers.push_back(std::make_unique<Worker>(scenario, group, workers.size(), options.endpoint,
                                                 clock, ledger, options.verify_holds));
    }
  }
  return workers;
}

void ShowProgressUntilEnd(ProgressLine& progress, const RunClock& clock) {
  auto next = clock.start + progress.interval();
  while (next < clock.end) {
    std::this_thread::sleep_until(next);
    progress.Tick();
    next += progress.interval();
  }
  std::this_thread::sleep_until(clock.end);
  progress.Tick();
  progress.Finish();
}

}  // namespace

std::string RunScenario(const Scenario& scenario, const RunOptions& options, RunResult* result) {
  std::string error = CreateScenarioLimits(options.endpoint, scenario);
  if (!error.empty()) return error;

  RunLedger ledger(scenario);
  RunClock clock;
  clock.start = SteadyClock::now() + StartLead(TotalWorkers(scenario));
  clock.end = clock.start + std::chrono::duration_cast<SteadyClock::duration>(
                                std::chrono::duration<double>(scenario.duration_s));
  auto workers = MakeWorkers(scenario, options, clock, ledger);
  std::vector<std::thread> threads;
  for (auto& worker : workers) threads.emplace_back([&w = *worker] { w.Run(); });
  if (options.progress != nullptr) {
    ProgressLine progress(scenario, ledger, clock, options.progress);
    ShowProgressUntilEnd(progress, clock);
  }
  for (std::thread& thread : threads) thread.join();

  result->duration_s = scenario.duration_s;
  result->workers.clear();
  for (auto& worker : workers) result->workers.push_back(worker->record());
  result->breach_count = ledger.breach_count();
  result->breaches = ledger.breaches();
  if (!options.keep_limits)
    result->cleanup_error = DeleteScenarioLimits(options.endpoint, scenario);
  return "";
}

}  // namespace slotd::contend
