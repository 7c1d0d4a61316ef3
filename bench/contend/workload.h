// The random part of a scenario, fixed by its seed.
//
// Every worker owns independent random streams (hold times, pauses, start
// offset) derived from (seed, worker index, purpose). The k-th
// hold of worker i is therefore the same in every run of a scenario with that
// seed, however the server's timing interleaves the workers: two runs against
// one server differ only in what the server does. The generator is
// std::mt19937_64 and the distributions are written out here (inverse CDF),
// because the standard library's distributions differ between library vendors.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "scenario.h"

namespace slotd::contend {

// A 64-bit seed for one stream, mixed with SplitMix64 so neighbouring worker
// indices and seeds give unrelated streams.
uint64_t StreamSeed(uint64_t scenario_seed, uint64_t worker_index, uint64_t purpose);

// A uniform draw in [0, 1) from the top 53 bits of one generator output.
double UniformUnit(std::mt19937_64& rng);

// One draw of `duration` in milliseconds (exponential by inverse CDF).
double DrawMs(const Duration& duration, std::mt19937_64& rng);

class WorkerSchedule {
 public:
  // `worker_index` counts across all groups of the scenario, in file order.
  WorkerSchedule(uint64_t seed, int worker_index, const WorkerGroup& group);

  // When this worker first tries to acquire, after the run starts.
  double start_offset_ms() const { return start_offset_ms_; }
  double NextHoldMs() { return DrawMs(group_.hold, hold_rng_); }
  double NextPauseMs() { return DrawMs(group_.pause, pause_rng_); }
  // A fresh version-4 UUID: one task run per acquisition, as in Prefect.
  // Not fixed by the seed, so repeated runs never reuse a task run.
  std::string NextTaskRunId();

 private:
  const WorkerGroup& group_;
  std::mt19937_64 hold_rng_;
  std::mt19937_64 pause_rng_;
  std::mt19937_64 id_rng_;
  double start_offset_ms_ = 0;
};

}  // namespace slotd::contend
