// The logs routes (/api/logs): what clients send is kept in the context's
// bounded ring and read back with Prefect's LogFilter.
#include "api/prefect/handlers.h"
#include "api/prefect/request_parsing_logs.h"

namespace slotd::api {

void HandleLogsCreate(const HandlerInput& in, ApiResponse* out) {
  ValidationErrors errors;
  std::vector<LogRing::Entry> logs;
  if (!ParseLogCreates(in.body, in.context.engine->Now(), &logs, &errors)) {
    return RespondInvalidRequest(in, errors, out);
  }
  in.context.logs->Append(std::move(logs));
  RespondNull(out);
  out->status = 201;
}

void HandleLogsFilter(const HandlerInput& in, ApiResponse* out) {
  ValidationErrors errors;
  LogQuery query;
  bool text_search = false;
  const int64_t default_limit = in.context.config.default_limit;
  switch (ParseLogQuery(in.body, default_limit, &query, &text_search, &errors)) {
    case PageOutcome::kOk:
      break;
    case PageOutcome::kInvalid:
      if (!text_search) return RespondInvalidRequest(in, errors, out);
      // Deviation (README): Prefect's text search has a query language of its own.
      return RespondDetail(out, 422, "slotd does not filter logs by text: leave out logs.text.");
    case PageOutcome::kLimitNegative:
      return RespondDetail(out, 422, "Invalid limit: must be greater than or equal to 0.");
    case PageOutcome::kLimitTooLarge:
      return RespondDetail(
          out, 422,
          "Invalid limit: must be less than or equal to " + std::to_string(default_limit) + ".");
  }
  const std::vector<LogRing::Entry> logs = QueryLogs(*in.context.logs, query);
  out->status = 200;
  out->body = LogListJson(logs);
}

}  // namespace slotd::api
