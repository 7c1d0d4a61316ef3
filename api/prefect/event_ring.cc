#include "api/prefect/event_ring.h"

#include <algorithm>

#include "api/json/writer.h"

namespace slotd::api {
namespace {

bool AnyOf(const std::optional<std::vector<std::string>>& list, auto matches) {
  return !list || list->empty() || std::any_of(list->begin(), list->end(), matches);
}

bool NoneOf(const std::optional<std::vector<std::string>>& list, auto matches) {
  return !list || std::none_of(list->begin(), list->end(), matches);
}

// Prefect's EventFilter.includes for the criteria slotd serves.
bool Matches(const EventQuery& query, const StoredEvent& event) {
  if (event.occurred < query.since || event.occurred > query.until) return false;
  const std::string_view name = event.event;
  const std::string_view resource = event.resource_id;
  auto starts = [](std::string_view text) {
    return [text](const std::string& prefix) { return text.starts_with(prefix); };
  };
  auto equals = [](std::string_view text) {
    return [text](const std::string& value) { return text == value; };
  };
  return AnyOf(query.prefix, starts(name)) && NoneOf(query.exclude_prefix, starts(name)) &&
         AnyOf(query.name, equals(name)) && NoneOf(query.exclude_name, equals(name)) &&
         AnyOf(query.resource_id, equals(resource)) &&
         AnyOf(query.resource_prefix, starts(resource)) &&
         (!query.ids || query.ids->empty() ||
          std::find(query.ids->begin(), query.ids->end(), event.id) != query.ids->end());
}

void StringList(JsonWriter& writer, std::string_view key,
                const std::optional<std::vector<std::string>>& list) {
  if (!list) return;
  writer.Key(key).BeginArray();
  for (const std::string& item : *list) writer.String(item);
  writer.EndArray();
}

}  // namespace

EventPage QueryEvents(const EventRing& ring, const EventQuery& query, int64_t offset,
                      int64_t limit) {
  EventPage page;
  page.events = ring.Select([&](const StoredEvent& event) { return Matches(query, event); });
  std::stable_sort(page.events.begin(), page.events.end(), [&](const auto& a, const auto& b) {
    return query.newest_first ? a->occurred > b->occurred : a->occurred < b->occurred;
  });
  page.total = static_cast<int64_t>(page.events.size());
  const size_t skip =
      std::min(page.events.size(), static_cast<size_t>(std::max<int64_t>(offset, 0)));
  page.events.erase(page.events.begin(), page.events.begin() + static_cast<std::ptrdiff_t>(skip));
  if (page.events.size() > static_cast<size_t>(limit)) page.events.resize(limit);
  return page;
}

std::string EventFilterJson(const EventQuery& query) {
  std::string out;
  JsonWriter writer(&out);
  writer.BeginObject();
  writer.Key("occurred").BeginObject();
  writer.Key("since").Timestamp(query.since);
  writer.Key("until").Timestamp(query.until);
  writer.EndObject();
  if (query.prefix || query.exclude_prefix || query.name || query.exclude_name) {
    writer.Key("event").BeginObject();
    StringList(writer, "prefix", query.prefix);
    StringList(writer, "exclude_prefix", query.exclude_prefix);
    StringList(writer, "name", query.name);
    StringList(writer, "exclude_name", query.exclude_name);
    writer.EndObject();
  }
  if (query.resource_id || query.resource_prefix) {
    writer.Key("resource").BeginObject();
    StringList(writer, "id", query.resource_id);
    StringList(writer, "id_prefix", query.resource_prefix);
    writer.EndObject();
  }
  if (query.ids) {
    writer.Key("id").BeginObject();
    writer.Key("id").BeginArray();
    for (const Uuid& id : *query.ids) writer.Uuid(id);
    writer.EndArray();
    writer.EndObject();
  }
  writer.Key("order").String(query.newest_first ? "DESC" : "ASC");
  writer.EndObject();
  return out;
}

void AppendEventJson(std::string* out, const StoredEvent& event) {
  JsonWriter writer(out);
  writer.BeginObject();
  writer.Key("occurred").Timestamp(event.occurred);
  writer.Key("event").String(event.event);
  writer.Key("resource").Raw(event.resource_json);
  writer.Key("related").Raw(event.related_json);
  writer.Key("payload").Raw(event.payload_json);
  writer.Key("id").Uuid(event.id);
  writer.Key("follows");
  if (event.follows) {
    writer.Uuid(*event.follows);
  } else {
    writer.Null();
  }
  writer.Key("received").Timestamp(event.received);
  writer.EndObject();
}

std::string EventPageJson(const EventPage& page, const std::optional<std::string>& next_page) {
  std::string out = R"({"events":[)";
  for (size_t i = 0; i < page.events.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendEventJson(&out, *page.events[i]);
  }
  out += R"(],"total":)";
  out += std::to_string(page.total);
  out += R"(,"next_page":)";
  if (next_page) {
    AppendJsonString(&out, *next_page);
  } else {
    out += "null";
  }
  out.push_back('}');
  return out;
}

}  // namespace slotd::api
