// The run's report: a text summary for the person at the terminal and a
// JSON document (report.json) for scripts that compare runs.
#pragma once

#include <cstdio>
#include <string>

#include "scenario.h"
#include "summary.h"

namespace slotd::contend {

void WriteTextReport(const Scenario& scenario, const Summary& summary, std::FILE* out);

// The whole summary except the plot series, as one JSON object.
std::string JsonReport(const Scenario& scenario, const Summary& summary);

// A duration in milliseconds with precision to match its size: "0.21 ms",
// "48.3 ms", "10003 ms".
std::string FormatMs(double ms);

}  // namespace slotd::contend
