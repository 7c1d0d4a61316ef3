// A contention scenario: the limits to create, the workers that fight over
// them, how long they hold a slot, how they behave when refused, for how long
// the run lasts and the seed that fixes every random draw.
//
// A scenario comes from a JSON file (scenario_json.h) or from command-line
// flags (cli.h); either way it is checked by ValidateScenario before use, so
// the rest of the tool may assume every field is in range.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace slotd::contend {

struct LimitSpec {
  std::string name;  // a v1 tag limit is named "tag:<tag>"
  int64_t limit = 1;
  double slot_decay_per_second = 0;
};

// How long something lasts, drawn per acquisition from a worker's own stream.
struct Duration {
  enum class Kind { kConstant, kUniform, kExponential };
  Kind kind = Kind::kConstant;
  double a_ms = 0;  // constant: the value; uniform: min; exponential: mean
  double b_ms = 0;  // uniform: max; unused otherwise
};

// The API a worker acquires and releases through, as a Prefect client would.
enum class Api {
  kV1Tag,        // POST /concurrency_limits/increment|decrement by task run
  kV2Lease,      // increment-with-lease, then decrement-with-lease
  kV2Increment,  // plain v2 increment, then decrement with occupancy_seconds
};

// A group of identical workers. Each worker loops: pause, acquire `slots` on
// every limit in `acquire` (all at once), hold, release.
struct WorkerGroup {
  std::string name;
  int count = 1;
  Api api = Api::kV2Lease;
  std::vector<std::string> acquire;  // limit names as created (v1: "tag:x")
  int64_t slots = 1;
  Duration hold{Duration::Kind::kConstant, 50, 0};
  Duration pause{Duration::Kind::kConstant, 0, 0};  // between release and next acquire
  double start_spread_ms = 0;     // each worker starts at a uniform offset in [0, spread)
  double lease_duration_s = 300;  // v2 leases only
  // Server-side waiting: each acquisition asks `Prefer: wait=N` (RFC 7240),
  // so a server that supports it (slotd) holds the request in line for up
  // to N seconds rather than answering 423 at once. 0: not asked.
  int64_t prefer_wait_s = 0;
};

// What a client does with a 423.
struct RefusalPolicy {
  enum class Kind { kRetryAfter, kFixed };
  Kind kind = Kind::kRetryAfter;
  // kFixed: the wait between attempts. kRetryAfter: the wait when a 423
  // carries no usable Retry-After header (counted as a protocol error).
  double interval_ms = 1000;
};

struct Scenario {
  std::string name = "unnamed";
  std::string description;
  double duration_s = 10;
  uint64_t seed = 1;
  RefusalPolicy on_refusal;
  std::vector<LimitSpec> limits;
  std::vector<WorkerGroup> workers;
};

// Every problem with `scenario`, each a sentence naming the field, e.g.
// "workers[0].acquire: unknown limit \"tag:x\"". Empty when usable.
std::vector<std::string> ValidateScenario(const Scenario& scenario);

// The spec index of the limit called `name`, or -1.
int FindLimit(const Scenario& scenario, const std::string& name);

int TotalWorkers(const Scenario& scenario);

const char* ApiName(Api api);  // "v1_tag", "v2_lease", "v2_increment"
bool ParseApi(const std::string& text, Api* api);
std::string DescribeDuration(const Duration& duration);  // "exponential (mean 50 ms)"

}  // namespace slotd::contend
