#include "api/prefect/log_ring.h"

#include <algorithm>

#include "api/json/writer.h"

namespace slotd::api {
namespace {

bool Contains(const std::vector<Uuid>& ids, const std::optional<Uuid>& id) {
  return id && std::find(ids.begin(), ids.end(), *id) != ids.end();
}

// Prefect's clauses, in LogFilter's order: each filter model's own criteria
// are ANDed into one clause.
bool Matches(const LogQuery& query, const StoredLog& log) {
  bool any_clause = false;
  bool matched_all = true;
  bool matched_any = false;
  auto clause = [&](bool matched) {
    any_clause = true;
    matched_all = matched_all && matched;
    matched_any = matched_any || matched;
  };
  if (query.level_ge || query.level_le) {
    clause((!query.level_ge || log.level >= *query.level_ge) &&
           (!query.level_le || log.level <= *query.level_le));
  }
  if (query.before || query.after) {
    clause((!query.before || log.timestamp <= *query.before) &&
           (!query.after || log.timestamp >= *query.after));
  }
  if (query.flow_runs) clause(Contains(*query.flow_runs, log.flow_run_id));
  if (query.task_runs || query.task_run_is_null) {
    clause((!query.task_runs || Contains(*query.task_runs, log.task_run_id)) &&
           (!query.task_run_is_null || log.task_run_id.has_value() != *query.task_run_is_null));
  }
  if (!any_clause) return true;
  return query.any_clause ? matched_any : matched_all;
}

void OptionalUuid(JsonWriter& writer, const std::optional<Uuid>& id) {
  if (id) {
    writer.Uuid(*id);
  } else {
    writer.Null();
  }
}

}  // namespace

std::vector<LogRing::Entry> QueryLogs(const LogRing& ring, const LogQuery& query) {
  std::vector<LogRing::Entry> logs =
      ring.Select([&](const StoredLog& log) { return Matches(query, log); });
  std::stable_sort(logs.begin(), logs.end(), [&](const auto& a, const auto& b) {
    return query.newest_first ? a->timestamp > b->timestamp : a->timestamp < b->timestamp;
  });
  const size_t offset = std::min(logs.size(), static_cast<size_t>(query.offset));
  logs.erase(logs.begin(), logs.begin() + static_cast<std::ptrdiff_t>(offset));
  if (logs.size() > static_cast<size_t>(query.limit)) logs.resize(query.limit);
  return logs;
}

std::string LogListJson(std::span<const LogRing::Entry> logs) {
  std::string out;
  JsonWriter writer(&out);
  writer.BeginArray();
  for (const LogRing::Entry& log : logs) {
    writer.BeginObject();
    writer.Key("id").Uuid(log->id);
    writer.Key("created").Timestamp(log->created);
    writer.Key("updated").Timestamp(log->created);
    writer.Key("name").String(log->name);
    writer.Key("level").Int(log->level);
    writer.Key("message").String(log->message);
    writer.Key("timestamp").Timestamp(log->timestamp);
    writer.Key("flow_run_id");
    OptionalUuid(writer, log->flow_run_id);
    writer.Key("task_run_id");
    OptionalUuid(writer, log->task_run_id);
    writer.EndObject();
  }
  writer.EndArray();
  return out;
}

}  // namespace slotd::api
