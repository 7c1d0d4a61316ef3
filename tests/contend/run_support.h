// Shared by the tests that run scenarios over HTTP: building small
// scenarios and running them to a Summary.
#pragma once

#include <string>
#include <vector>

#include "http_client.h"
#include "scenario.h"
#include "summary.h"

namespace slotd::contend::test {

// A group of `count` workers on `api` taking one slot of every limit named,
// holding for a constant `hold_ms`.
WorkerGroup Workers(int count, Api api, std::vector<std::string> acquire, double hold_ms);

// A scenario of `limits` and `groups` lasting `seconds`, retrying refusals
// every 5 ms so that a short run sees many attempts.
Scenario ShortScenario(std::vector<LimitSpec> limits, std::vector<WorkerGroup> groups,
                       double seconds);

Endpoint EndpointFor(const std::string& url);

// Runs `scenario` against `url` (no progress line) and summarises it; fails
// the test if the run cannot start.
Summary RunAndSummarize(const Scenario& scenario, const std::string& url, bool verify_holds);

}  // namespace slotd::contend::test
