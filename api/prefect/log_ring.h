// The logs clients send with POST /api/logs/, kept in a bounded ring, and
// Prefect's LogFilter over them (POST /api/logs/filter).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "api/prefect/bounded_ring.h"
#include "engine/time_source.h"
#include "engine/uuid.h"

namespace slotd::api {

// A log as Prefect's Log schema has it; `created` is when slotd took it.
struct StoredLog {
  Uuid id;
  TimePoint created;
  std::string name;
  int64_t level = 0;
  std::string message;
  TimePoint timestamp;
  std::optional<Uuid> flow_run_id;
  std::optional<Uuid> task_run_id;
};

using LogRing = BoundedRing<StoredLog>;

// Prefect's LogFilter: each criterion set is one clause; the clauses are
// ANDed, or ORed with `any_clause` (operator "or_"). No clause keeps every log.
struct LogQuery {
  bool any_clause = false;
  std::optional<int64_t> level_ge;             // level.ge_
  std::optional<int64_t> level_le;             // level.le_
  std::optional<TimePoint> before;             // timestamp.before_ (inclusive)
  std::optional<TimePoint> after;              // timestamp.after_ (inclusive)
  std::optional<std::vector<Uuid>> flow_runs;  // flow_run_id.any_
  std::optional<std::vector<Uuid>> task_runs;  // task_run_id.any_
  std::optional<bool> task_run_is_null;        // task_run_id.is_null_
  bool newest_first = false;                   // sort TIMESTAMP_DESC
  int64_t offset = 0;
  int64_t limit = 0;
};

// The logs `query` selects, by timestamp (ties in arrival order), the page
// its offset and limit give.
std::vector<LogRing::Entry> QueryLogs(const LogRing& ring, const LogQuery& query);

// A JSON list of Prefect's Log: id, created, updated, name, level, message,
// timestamp, flow_run_id, task_run_id.
std::string LogListJson(std::span<const LogRing::Entry> logs);

}  // namespace slotd::api
