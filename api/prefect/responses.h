// What a handler answers, and one serialiser per response shape of
// shared/spec/API.md, each writing its fields in the spec's order.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "api/json/validation_error.h"
#include "api/json/writer.h"
#include "api/prefect/route_family.h"
#include "engine/slot_engine.h"

namespace slotd::api {

// An HTTP answer before it reaches the server library. A non-empty body is
// of `content_type` (JSON for every route but /metrics).
struct ApiResponse {
  int status = 200;
  std::string body;  // empty for 204 and 307
  std::string_view content_type = "application/json";
  std::string retry_after;         // a Retry-After header when not empty
  std::string_view allow;          // an Allow header (405) when not empty
  std::string location;            // a Location header (307) when not empty
  std::string preference_applied;  // a Preference-Applied header when not empty
  // Further header lines, each "Name: value\r\n", written as they are (the
  // live page's caching and security headers, its 401's challenge).
  std::string_view extra_headers;
  // Which routes answered, for the request metrics (set by Dispatch).
  RouteFamily family = RouteFamily::kTransport;
  // GET /api/slotd/events accepted (status 200, no body): the transport
  // turns the connection into an event stream, resuming after
  // last_event_id when set.
  bool event_stream = false;
  std::optional<uint64_t> last_event_id;
};

// {"detail":"<message>"} with `status`.
void RespondDetail(ApiResponse* out, int status, std::string_view message);
// The 422 of a request that failed validation; `request_body_json` is the
// body as parsed (rendered), its raw text as a JSON string, or "null".
void RespondInvalid(ApiResponse* out, const ValidationErrors& errors,
                    std::string_view request_body_json);
// 200 with body `null`.
void RespondNull(ApiResponse* out);
// 204, no body.
void RespondNoContent(ApiResponse* out);
// 307 to `location`, no body (Starlette's RedirectResponse).
void RespondRedirect(ApiResponse* out, std::string location);
// 500 {"exception_message":"Internal Server Error"}: what Prefect answers
// when its own code fails on a request.
void RespondServerError(ApiResponse* out);

// ConcurrencyLimit (v1): id, created, updated, tag, concurrency_limit,
// active_slots (the task_run holders). `limit` is a tag: limit.
std::string ConcurrencyLimitJson(const LimitSnapshot& limit);
std::string ConcurrencyLimitListJson(std::span<const LimitSnapshot> limits);

// ConcurrencyLimitV2 (v2 create): id, created, updated, active, name, limit,
// active_slots, denied_slots, slot_decay_per_second, avg_slot_occupancy_seconds.
std::string LimitV2Json(const LimitSnapshot& limit);
// The same object written into a larger document.
void WriteLimitV2(JsonWriter& writer, const LimitSnapshot& limit);
// "flow_run", "task_run" or "deployment", as a holder's type is written.
std::string_view HolderTypeName(HolderType type);

// GlobalConcurrencyLimitResponse (v2 read and filter): id, created, updated,
// active, name, limit, active_slots, slot_decay_per_second.
std::string GlobalLimitJson(const LimitSnapshot& limit);
std::string GlobalLimitListJson(std::span<const LimitSnapshot> limits);

// A list of MinimalConcurrencyLimitResponse: id, name, limit.
std::string MinimalLimitListJson(std::span<const LimitRef> limits);

// ConcurrencyLimitWithLeaseResponse: lease_id, limits.
std::string LeaseResponseJson(const Uuid& lease_id, std::span<const LimitRef> limits);

}  // namespace slotd::api
