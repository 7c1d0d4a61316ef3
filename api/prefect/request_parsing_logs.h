// Parsers of the logs bodies, as request_parsing.h's: each fills *out and
// returns true, or records every problem in *errors (FastAPI's order).
#pragma once

#include <vector>

#include "api/prefect/log_ring.h"
#include "api/prefect/request_parsing.h"

namespace slotd::api {

// POST /api/logs/: a list of LogCreate (name, level, message, timestamp,
// flow_run_id?, task_run_id?; extras forbidden), each taken at `now` with a
// new id.
bool ParseLogCreates(Body body, TimePoint now, std::vector<LogRing::Entry>* out,
                     ValidationErrors* errors);

// POST /api/logs/filter: {limit?, offset?, logs?: LogFilter, sort?}. As
// ParsePage for the limit. kInvalid also for a LogFilter `text` criterion,
// with *text_search set and no error recorded: slotd does not search text.
PageOutcome ParseLogQuery(Body body, int64_t default_limit, LogQuery* out, bool* text_search,
                          ValidationErrors* errors);

}  // namespace slotd::api
