#include "api/prefect/responses.h"

#include "api/json/writer.h"

namespace slotd::api {
namespace {

// Rough serialised sizes, so a body is allocated once.
constexpr size_t kLimitJsonSize = 320;
constexpr size_t kMinimalJsonSize = 96;

std::string_view BareTag(std::string_view name) {
  return name.starts_with(kTagPrefix) ? name.substr(kTagPrefix.size()) : name;
}

void WriteIdAndTimes(JsonWriter& writer, const LimitSnapshot& limit) {
  writer.Key("id").Uuid(limit.id);
  writer.Key("created").Timestamp(limit.created);
  writer.Key("updated").Timestamp(limit.updated);
}

void WriteConcurrencyLimit(JsonWriter& writer, const LimitSnapshot& limit) {
  writer.BeginObject();
  WriteIdAndTimes(writer, limit);
  writer.Key("tag").String(BareTag(limit.name));
  writer.Key("concurrency_limit").Int(limit.limit);
  writer.Key("active_slots").BeginArray();
  for (const Uuid& holder : limit.task_run_holders) writer.Uuid(holder);
  writer.EndArray();
  writer.EndObject();
}

// The fields both v2 limit shapes open with, id through active_slots (they
// differ after it: the create response has denied_slots next).
void WriteLimitHead(JsonWriter& writer, const LimitSnapshot& limit) {
  WriteIdAndTimes(writer, limit);
  writer.Key("active").Bool(limit.active);
  writer.Key("name").String(limit.name);
  writer.Key("limit").Int(limit.limit);
  writer.Key("active_slots").Int(limit.active_slots);
}

void WriteGlobalLimit(JsonWriter& writer, const LimitSnapshot& limit) {
  writer.BeginObject();
  WriteLimitHead(writer, limit);
  writer.Key("slot_decay_per_second").Double(limit.slot_decay_per_second);
  writer.EndObject();
}

void WriteMinimalList(JsonWriter& writer, std::span<const LimitRef> limits) {
  writer.BeginArray();
  for (const LimitRef& limit : limits) {
    writer.BeginObject();
    writer.Key("id").Uuid(limit.id);
    writer.Key("name").String(limit.name);
    writer.Key("limit").Int(limit.limit);
    writer.EndObject();
  }
  writer.EndArray();
}

using LimitWriter = void (*)(JsonWriter&, const LimitSnapshot&);

std::string BodyOf(LimitWriter write, const LimitSnapshot& limit, size_t size_hint) {
  std::string body;
  body.reserve(size_hint);
  JsonWriter writer(&body);
  write(writer, limit);
  return body;
}

std::string ListBodyOf(LimitWriter write, std::span<const LimitSnapshot> limits) {
  std::string body;
  body.reserve(2 + kLimitJsonSize * limits.size());
  JsonWriter writer(&body);
  writer.BeginArray();
  for (const LimitSnapshot& limit : limits) write(writer, limit);
  writer.EndArray();
  return body;
}

}  // namespace

void RespondDetail(ApiResponse* out, int status, std::string_view message) {
  out->status = status;
  out->body.clear();
  JsonWriter writer(&out->body);
  writer.BeginObject();
  writer.Key("detail").String(message);
  writer.EndObject();
}

void RespondInvalid(ApiResponse* out, const ValidationErrors& errors,
                    std::string_view request_body_json) {
  out->status = 422;
  out->body = ValidationErrorBody(errors, request_body_json);
}

void RespondNull(ApiResponse* out) {
  out->status = 200;
  out->body = "null";
}

void RespondNoContent(ApiResponse* out) {
  out->status = 204;
  out->body.clear();
}

void RespondRedirect(ApiResponse* out, std::string location) {
  out->status = 307;
  out->body.clear();
  out->location = std::move(location);
}

void RespondServerError(ApiResponse* out) {
  out->status = 500;
  out->body = R"({"exception_message":"Internal Server Error"})";
}

std::string ConcurrencyLimitJson(const LimitSnapshot& limit) {
  return BodyOf(WriteConcurrencyLimit, limit, kLimitJsonSize + 40 * limit.task_run_holders.size());
}

std::string ConcurrencyLimitListJson(std::span<const LimitSnapshot> limits) {
  return ListBodyOf(WriteConcurrencyLimit, limits);
}

void WriteLimitV2(JsonWriter& writer, const LimitSnapshot& limit) {
  writer.BeginObject();
  WriteLimitHead(writer, limit);
  writer.Key("denied_slots").Int(limit.denied_slots);
  writer.Key("slot_decay_per_second").Double(limit.slot_decay_per_second);
  writer.Key("avg_slot_occupancy_seconds").Double(limit.avg_slot_occupancy_seconds);
  writer.EndObject();
}

std::string_view HolderTypeName(HolderType type) {
  switch (type) {
    case HolderType::kFlowRun:
      return "flow_run";
    case HolderType::kTaskRun:
      return "task_run";
    case HolderType::kDeployment:
      return "deployment";
  }
  return "unknown";
}

std::string LimitV2Json(const LimitSnapshot& limit) {
  std::string body;
  body.reserve(kLimitJsonSize);
  JsonWriter writer(&body);
  WriteLimitV2(writer, limit);
  return body;
}

std::string GlobalLimitJson(const LimitSnapshot& limit) {
  return BodyOf(WriteGlobalLimit, limit, kLimitJsonSize);
}

std::string GlobalLimitListJson(std::span<const LimitSnapshot> limits) {
  return ListBodyOf(WriteGlobalLimit, limits);
}

std::string MinimalLimitListJson(std::span<const LimitRef> limits) {
  std::string body;
  body.reserve(2 + kMinimalJsonSize * limits.size());
  JsonWriter writer(&body);
  WriteMinimalList(writer, limits);
  return body;
}

std::string LeaseResponseJson(const Uuid& lease_id, std::span<const LimitRef> limits) {
  std::string body;
  body.reserve(64 + kMinimalJsonSize * limits.size());
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("lease_id").Uuid(lease_id);
  writer.Key("limits");
  WriteMinimalList(writer, limits);
  writer.EndObject();
  return body;
}

}  // namespace slotd::api
