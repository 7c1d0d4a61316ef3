// Putting a scenario's limits on the server before a run and taking them
// off after it.
#pragma once

#include <string>

#include "http_client.h"
#include "scenario.h"

namespace slotd::contend {

// Deletes any limit with one of the scenario's names (so a run never
// inherits slots, leases or denials from an earlier one), then creates each
// through the v2 API. Returns "" on success, else what the server answered.
std::string CreateScenarioLimits(const Endpoint& endpoint, const Scenario& scenario);

// Deletes the scenario's limits; returns "" or the first failure.
std::string DeleteScenarioLimits(const Endpoint& endpoint, const Scenario& scenario);

}  // namespace slotd::contend
