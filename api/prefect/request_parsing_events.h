// Parsers of the events: one event as the websocket /api/events/in receives
// it, and the bodies of POST /api/events/filter and its page tokens.
#pragma once

#include <cstdint>
#include <string_view>

#include "api/prefect/event_ring.h"
#include "api/prefect/request_parsing.h"

namespace slotd::api {

// Prefect's page size for the events filter (INTERACTIVE_PAGE_SIZE): the
// default limit and its maximum.
inline constexpr int64_t kEventPageSize = 50;

// Bounds of Prefect's Event schema (its default settings).
inline constexpr size_t kMaxEventNameLength = 1024;  // code points
inline constexpr size_t kMaxResourceLabels = 500;
inline constexpr size_t kMaxRelatedResources = 500;

// One websocket text message: a JSON Event (occurred, event, resource,
// related?, payload?, id, follows?; other keys ignored, as Prefect ignores
// them), received at `now`; nullptr when the text is not JSON or not an
// Event Prefect would accept.
EventRing::Entry ParseEventText(std::string_view text, TimePoint now);

// POST /api/events/filter: {filter?: EventFilter, limit?} (FastAPI's embedded
// body, other keys ignored). `now` gives the occurred window's defaults.
// kInvalid also for a criterion slotd does not serve, with *unsupported
// naming it and no error recorded.
PageOutcome ParseEventQuery(Body body, TimePoint now, EventQuery* out, int64_t* limit,
                            std::string_view* unsupported, ValidationErrors* errors);

// What a page token (GET /api/events/filter/next) carries.
struct EventPageToken {
  EventQuery query;
  int64_t total = 0;
  int64_t page_size = 0;
  int64_t offset = 0;
};

// The token's text for the page after `offset` (the next_page link carries
// it base64-encoded once more, as Prefect's does).
std::string EncodePageToken(const EventPageToken& token);
// The token as EncodePageToken made it (the link's own base64 already
// decoded); false when it is not one slotd made.
bool DecodePageToken(std::string_view text, TimePoint now, EventPageToken* out);

}  // namespace slotd::api
