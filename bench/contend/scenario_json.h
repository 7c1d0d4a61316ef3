// Reading a scenario from JSON (simdjson). The format, with every key:
//
//   {
//     "name": "herd", "description": "free text",
//     "duration_seconds": 20, "seed": 1,
//     "on_refusal": {"policy": "retry_after" | "fixed", "interval_ms": 100},
//     "limits": [{"name": "tag:db", "limit": 4, "slot_decay_per_second": 0}],
//     "workers": [{
//       "name": "tasks", "count": 64, "api": "v1_tag" | "v2_lease" | "v2_increment",
//       "acquire": ["tag:db"], "slots": 1,
//       "hold":  {"distribution": "constant", "ms": 50}
//              | {"distribution": "uniform", "min_ms": 20, "max_ms": 80}
//              | {"distribution": "exponential", "mean_ms": 50},
//       "pause": <same shape as hold, default 0 ms>,
//       "start_spread_ms": 100, "lease_duration_seconds": 300,
//       "prefer_wait_seconds": 0
//     }]
//   }
//
// Required: limits (each with name and limit), workers (each with api,
// acquire and hold). Unknown keys are errors, so a typo never silently falls
// back to a default.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "scenario.h"

namespace slotd::contend {

// Fills `scenario` from `json`; returns the problems found, each naming the
// offending key ("workers[0].hold.mean_ms: expected a number"). Does not run
// ValidateScenario: a parsed scenario may still be out of range.
std::vector<std::string> ParseScenarioJson(std::string_view json, Scenario* scenario);

// Reads `path` and parses it; an unreadable file is one error.
std::vector<std::string> LoadScenarioFile(const std::string& path, Scenario* scenario);

}  // namespace slotd::contend
