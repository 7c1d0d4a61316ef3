#include "api/prefect/request_parsing_events.h"

#include <memory>

#include "api/json/base64.h"
#include "api/json/body_fields.h"
#include "api/json/input_echo.h"
#include "api/prefect/body_parser.h"

namespace slotd::api {
namespace {

using simdjson::dom::element_type;

constexpr std::string_view kOrders[] = {"ASC", "DESC"};

// A sub-filter model at `loc` (extras forbidden, as EventDataFilter's), or
// nullopt after recording why it is not an object.
std::optional<ObjectFields> OpenFilter(const LocNode& loc, element value,
                                       std::span<const std::string_view> names,
                                       FieldReader* reader) {
  if (value.type() != element_type::OBJECT) {
    reader->Record(TypeError(loc, kModelAttributesType, EchoedJson(value)));
    return std::nullopt;
  }
  return ObjectFields(value.get_object().value_unsafe(), names);
}

// An Optional[list[str]] criterion.
void ReadStrings(const LocNode& loc, const element* value, FieldReader* reader,
                 std::optional<std::vector<std::string>>* out) {
  if (value == nullptr) return;
  std::vector<std::string_view> items;
  if (!reader->StringList(loc, *value, 0, &items)) return;
  *out = std::vector<std::string>(items.begin(), items.end());
}

void ReadOccurred(const LocNode& loc, element value, FieldReader* reader, EventQuery* out) {
  static constexpr std::string_view kNames[] = {"since", "until"};
  const std::optional<ObjectFields> fields = OpenFilter(loc, value, kNames, reader);
  if (!fields) return;
  if (const element* v = fields->Find(0)) {
    if (auto when = reader->DateTime({&loc, kNames[0]}, *v)) out->since = *when;
  }
  if (const element* v = fields->Find(1)) {
    if (auto when = reader->DateTime({&loc, kNames[1]}, *v)) out->until = *when;
  }
  fields->ForbidExtras(loc, reader);
}

void ReadEventName(const LocNode& loc, element value, FieldReader* reader, EventQuery* out) {
  static constexpr std::string_view kNames[] = {"prefix", "exclude_prefix", "name", "exclude_name"};
  const std::optional<ObjectFields> fields = OpenFilter(loc, value, kNames, reader);
  if (!fields) return;
  ReadStrings({&loc, kNames[0]}, fields->FindNonNull(0), reader, &out->prefix);
  ReadStrings({&loc, kNames[1]}, fields->FindNonNull(1), reader, &out->exclude_prefix);
  ReadStrings({&loc, kNames[2]}, fields->FindNonNull(2), reader, &out->name);
  ReadStrings({&loc, kNames[3]}, fields->FindNonNull(3), reader, &out->exclude_name);
  fields->ForbidExtras(loc, reader);
}

void ReadResource(const LocNode& loc, element value, FieldReader* reader, EventQuery* out,
                  std::string_view* unsupported) {
  static constexpr std::string_view kNames[] = {"id", "id_prefix", "labels", "distinct"};
  const std::optional<ObjectFields> fields = OpenFilter(loc, value, kNames, reader);
  if (!fields) return;
  ReadStrings({&loc, kNames[0]}, fields->FindNonNull(0), reader, &out->resource_id);
  ReadStrings({&loc, kNames[1]}, fields->FindNonNull(1), reader, &out->resource_prefix);
  if (fields->FindNonNull(2) != nullptr) *unsupported = "filter.resource.labels";
  if (const element* v = fields->Find(3)) {
    if (reader->Bool({&loc, kNames[3]}, *v) == true) *unsupported = "filter.resource.distinct";
  }
  fields->ForbidExtras(loc, reader);
}

void ReadIds(const LocNode& loc, element value, FieldReader* reader, EventQuery* out) {
  static constexpr std::string_view kNames[] = {"id"};
  const std::optional<ObjectFields> fields = OpenFilter(loc, value, kNames, reader);
  if (!fields) return;
  if (const element* v = fields->FindNonNull(0)) {
    std::vector<Uuid> ids;
    if (reader->UuidList({&loc, kNames[0]}, *v, &ids)) out->ids = std::move(ids);
  }
  fields->ForbidExtras(loc, reader);
}

// Prefect's defaults: since the start of the day 180 days ago (UTC), until now.
void SetDefaultWindow(TimePoint now, EventQuery* out) {
  const auto day = std::chrono::floor<std::chrono::days>(now);
  out->since = std::chrono::time_point_cast<Micros>(day - std::chrono::days(180));
  out->until = now;
}

// EventFilter: {occurred, event, resource, related, any_resource, id, text, order}.
void ReadEventFilter(const LocNode& loc, element value, FieldReader* reader, EventQuery* out,
                     std::string_view* unsupported) {
  static constexpr std::string_view kNames[] = {"occurred",     "event", "resource", "related",
                                                "any_resource", "id",    "text",     "order"};
  const std::optional<ObjectFields> fields = OpenFilter(loc, value, kNames, reader);
  if (!fields) return;
  const LocNode locs[] = {{&loc, kNames[0]},
                          {&loc, kNames[1]},
                          {&loc, kNames[2]},
                          {&loc, kNames[5]},
                          {&loc, kNames[7]}};
  if (const element* v = fields->Find(0)) ReadOccurred(locs[0], *v, reader, out);
  if (const element* v = fields->FindNonNull(1)) ReadEventName(locs[1], *v, reader, out);
  if (const element* v = fields->FindNonNull(2)) {
    ReadResource(locs[2], *v, reader, out, unsupported);
  }
  if (fields->FindNonNull(3) != nullptr) *unsupported = "filter.related";
  if (fields->FindNonNull(4) != nullptr) *unsupported = "filter.any_resource";
  if (const element* v = fields->Find(5)) ReadIds(locs[3], *v, reader, out);
  if (fields->FindNonNull(6) != nullptr) *unsupported = "filter.text";
  if (const element* v = fields->Find(7)) {
    const std::optional<size_t> order = reader->Enum(locs[4], *v, kOrders, "'ASC' or 'DESC'");
    out->newest_first = order != 0;
  }
  fields->ForbidExtras(loc, reader);
}

size_t CodePoints(std::string_view text) {
  size_t count = 0;
  for (char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

// A Resource (and, with `role`, a RelatedResource): string labels, a
// non-empty prefect.resource.id (and prefect.resource.role), at most
// kMaxResourceLabels of them.
bool IsResource(element value, bool role, std::string_view* id) {
  if (value.type() != element_type::OBJECT) return false;
  size_t labels = 0;
  bool has_role = false;
  *id = {};
  const simdjson::dom::object object = value.get_object().value_unsafe();
  for (auto member : object) {
    ++labels;
    std::string_view text;
    if (member.value.get_string().get(text) != simdjson::SUCCESS) return false;
    if (member.key == "prefect.resource.id") *id = text;
    if (member.key == "prefect.resource.role") has_role = !text.empty();
  }
  return labels <= kMaxResourceLabels && !id->empty() && (!role || has_role);
}

}  // namespace

EventRing::Entry ParseEventText(std::string_view text, TimePoint now) {
  static constexpr std::string_view kNames[] = {"occurred", "payload", "event",  "resource",
                                                "related",  "id",      "follows"};
  BodyParser parser;
  Body body;
  ApiResponse ignored;
  if (text.empty() || !parser.Parse(text, &body, &ignored) || !body ||
      body->type() != element_type::OBJECT) {
    return nullptr;
  }
  const ObjectFields fields(body->get_object().value_unsafe(), kNames);
  ValidationErrors errors;
  FieldReader reader(&errors);
  static constexpr LocNode kLoc{nullptr, std::string_view("event")};
  auto event = std::make_shared<StoredEvent>();
  event->received = now;
  const element* occurred = fields.Find(0);
  const element* name = fields.Find(2);
  const element* resource = fields.Find(3);
  const element* id = fields.Find(5);
  if (occurred == nullptr || name == nullptr || resource == nullptr || id == nullptr) {
    return nullptr;
  }
  if (auto when = reader.DateTime(kLoc, *occurred)) event->occurred = *when;
  if (auto value = reader.String(kLoc, *name)) {
    if (CodePoints(*value) > kMaxEventNameLength) return nullptr;
    event->event = *value;
  }
  if (auto value = reader.UuidValue(kLoc, *id)) event->id = *value;
  if (const element* follows = fields.FindNonNull(6))
    event->follows = reader.UuidValue(kLoc, *follows);
  if (!reader.ok()) return nullptr;
  std::string_view resource_id;
  if (!IsResource(*resource, false, &resource_id)) return nullptr;
  event->resource_id = resource_id;
  event->resource_json = EchoedJson(*resource);
  if (const element* related = fields.Find(4)) {
    if (related->type() != element_type::ARRAY) return nullptr;
    size_t count = 0;
    const simdjson::dom::array items = related->get_array().value_unsafe();
    for (element item : items) {
      std::string_view related_id;
      if (++count > kMaxRelatedResources || !IsResource(item, true, &related_id)) return nullptr;
    }
    event->related_json = EchoedJson(*related);
  } else {
    event->related_json = "[]";
  }
  if (const element* payload = fields.Find(1)) {
    if (payload->type() != element_type::OBJECT) return nullptr;
    event->payload_json = EchoedJson(*payload);
  } else {
    event->payload_json = "{}";
  }
  return event;
}

PageOutcome ParseEventQuery(Body body, TimePoint now, EventQuery* out, int64_t* limit,
                            std::string_view* unsupported, ValidationErrors* errors) {
  static constexpr std::string_view kNames[] = {"filter", "limit"};
  FieldReader reader(errors);
  ObjectFields fields;
  *unsupported = {};
  SetDefaultWindow(now, out);
  *limit = kEventPageSize;
  if (!OpenEmbeddedBody(body, kNames, &reader, &fields)) return PageOutcome::kInvalid;
  if (const element* filter = fields.FindNonNull(0)) {
    ReadEventFilter({&kBodyLoc, kNames[0]}, *filter, &reader, out, unsupported);
  }
  if (const element* value = fields.Find(1)) {
    if (auto n = reader.Int({&kBodyLoc, kNames[1]}, *value, {.ge = 0, .le = kEventPageSize})) {
      *limit = *n;
    }
  }
  if (!reader.ok() || !unsupported->empty()) return PageOutcome::kInvalid;
  return PageOutcome::kOk;
}

std::string EncodePageToken(const EventPageToken& token) {
  std::string text = R"({"filter":)";
  text += EventFilterJson(token.query);
  text += R"(,"count":)" + std::to_string(token.total);
  text += R"(,"page_size":)" + std::to_string(token.page_size);
  text += R"(,"offset":)" + std::to_string(token.offset);
  text.push_back('}');
  return EncodeBase64(text);
}

bool DecodePageToken(std::string_view text, TimePoint now, EventPageToken* out) {
  static constexpr std::string_view kNames[] = {"filter", "count", "page_size", "offset"};
  const std::optional<std::string> json = DecodeBase64(text);
  if (!json || json->empty()) return false;
  simdjson::dom::parser parser;
  element root;
  if (parser.parse(*json).get(root) != simdjson::SUCCESS || root.type() != element_type::OBJECT) {
    return false;
  }
  const ObjectFields fields(root.get_object().value_unsafe(), kNames);
  ValidationErrors errors;
  FieldReader reader(&errors);
  std::string_view unsupported;
  SetDefaultWindow(now, &out->query);
  const element* filter = fields.Find(0);
  if (filter == nullptr) return false;
  ReadEventFilter(kBodyLoc, *filter, &reader, &out->query, &unsupported);
  int64_t* numbers[] = {&out->total, &out->page_size, &out->offset};
  for (size_t i = 0; i < 3; ++i) {
    const element* value = fields.Find(i + 1);
    if (value == nullptr) return false;
    const std::optional<int64_t> n = reader.Int(kBodyLoc, *value, {.ge = 0});
    if (!n) return false;
    *numbers[i] = *n;
  }
  return reader.ok() && unsupported.empty() && out->page_size <= kEventPageSize;
}

}  // namespace slotd::api
