#include "workload.h"

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <cmath>

namespace slotd::contend {
namespace {

enum Purpose : uint64_t { kHold = 1, kPause = 2, kStart = 3, kIds = 4 };

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

uint64_t StreamSeed(uint64_t scenario_seed, uint64_t worker_index, uint64_t purpose) {
  return SplitMix64(SplitMix64(scenario_seed) ^ SplitMix64(worker_index * 8 + purpose));
}

double UniformUnit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

double DrawMs(const Duration& d, std::mt19937_64& rng) {
  switch (d.kind) {
    case Duration::Kind::kConstant:
      return d.a_ms;
    case Duration::Kind::kUniform:
      return d.a_ms + UniformUnit(rng) * (d.b_ms - d.a_ms);
    case Duration::Kind::kExponential:
      return -d.a_ms * std::log1p(-UniformUnit(rng));
  }
  return d.a_ms;
}

WorkerSchedule::WorkerSchedule(uint64_t seed, int worker_index, const WorkerGroup& group)
    : group_(group),
      hold_rng_(StreamSeed(seed, worker_index, kHold)),
      pause_rng_(StreamSeed(seed, worker_index, kPause)),
      // Ids are the one thing not fixed by the seed: two runs (or two tools)
      // against one server must never share a task run.
      id_rng_(StreamSeed(seed ^ std::random_device{}(), worker_index, kIds)) {
  std::mt19937_64 start_rng(StreamSeed(seed, worker_index, kStart));
  start_offset_ms_ = UniformUnit(start_rng) * group.start_spread_ms;
}

std::string WorkerSchedule::NextTaskRunId() {
  return boost::uuids::to_string(boost::uuids::basic_random_generator<std::mt19937_64>(id_rng_)());
}

}  // namespace slotd::contend
