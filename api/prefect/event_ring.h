// The events clients send on the websocket /api/events/in, kept in a bounded
// ring, and Prefect's EventFilter over them (POST /api/events/filter).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/prefect/bounded_ring.h"
#include "engine/time_source.h"
#include "engine/uuid.h"

namespace slotd::api {

// A ReceivedEvent as Prefect's schema has it. The resource, related and
// payload are kept as the JSON Prefect writes back (key order as sent);
// `received` is when slotd took it.
struct StoredEvent {
  Uuid id;
  TimePoint occurred;
  TimePoint received;
  std::string event;
  std::string resource_id;
  std::string resource_json;
  std::string related_json;
  std::string payload_json;
  std::optional<Uuid> follows;
};

using EventRing = BoundedRing<StoredEvent>;

// Prefect's EventFilter, the criteria slotd serves: each given criterion must
// hold. Lists are "any of" (empty or absent: no constraint).
struct EventQuery {
  TimePoint since;  // occurred.since (inclusive); Prefect's default: 180 days before today
  TimePoint until;  // occurred.until (inclusive); default: now
  std::optional<std::vector<std::string>> prefix;           // event.prefix
  std::optional<std::vector<std::string>> exclude_prefix;   // event.exclude_prefix
  std::optional<std::vector<std::string>> name;             // event.name
  std::optional<std::vector<std::string>> exclude_name;     // event.exclude_name
  std::optional<std::vector<std::string>> resource_id;      // resource.id
  std::optional<std::vector<std::string>> resource_prefix;  // resource.id_prefix
  std::optional<std::vector<Uuid>> ids;                     // id.id
  bool newest_first = true;                                 // order DESC (Prefect's default)
};

// One page of a query: the events in it and how many match in all.
struct EventPage {
  std::vector<EventRing::Entry> events;
  int64_t total = 0;
};

// The events `query` selects, by occurred (ties in arrival order), from
// `offset`, at most `limit` of them.
EventPage QueryEvents(const EventRing& ring, const EventQuery& query, int64_t offset,
                      int64_t limit);

// The query as an EventFilter JSON object that ParseEventQuery reads back the
// same (what a page token carries).
std::string EventFilterJson(const EventQuery& query);

// One ReceivedEvent: occurred, event, resource, related, payload, id,
// follows, received.
void AppendEventJson(std::string* out, const StoredEvent& event);

// Prefect's EventPage: {"events": [...], "total": n, "next_page": url or null}.
std::string EventPageJson(const EventPage& page, const std::optional<std::string>& next_page);

}  // namespace slotd::api
