#include "api/prefect/request_parsing_logs.h"

#include <memory>

#include "api/json/body_fields.h"
#include "api/json/input_echo.h"

namespace slotd::api {
namespace {

constexpr std::string_view kSorts[] = {"TIMESTAMP_ASC", "TIMESTAMP_DESC"};
constexpr std::string_view kOperators[] = {"and_", "or_"};

// A sub-filter model at `loc` (extras forbidden), or nullopt after recording
// why it is not an object.
std::optional<ObjectFields> OpenFilter(const LocNode& loc, element value,
                                       std::span<const std::string_view> names,
                                       FieldReader* reader) {
  if (value.type() != simdjson::dom::element_type::OBJECT) {
    reader->Record(TypeError(loc, kModelAttributesType, EchoedJson(value)));
    return std::nullopt;
  }
  ObjectFields fields(value.get_object().value_unsafe(), names);
  return fields;
}

void ReadLevelFilter(const LocNode& loc, element value, FieldReader* reader, LogQuery* out) {
  static constexpr std::string_view kNames[] = {"ge_", "le_"};
  const std::optional<ObjectFields> fields = OpenFilter(loc, value, kNames, reader);
  if (!fields) return;
  if (const element* ge = fields->FindNonNull(0))
    out->level_ge = reader->Int({&loc, kNames[0]}, *ge);
  if (const element* le = fields->FindNonNull(1))
    out->level_le = reader->Int({&loc, kNames[1]}, *le);
  fields->ForbidExtras(loc, reader);
}

void ReadTimestampFilter(const LocNode& loc, element value, FieldReader* reader, LogQuery* out) {
  static constexpr std::string_view kNames[] = {"before_", "after_"};
  const std::optional<ObjectFields> fields = OpenFilter(loc, value, kNames, reader);
  if (!fields) return;
  if (const element* v = fields->FindNonNull(0))
    out->before = reader->DateTime({&loc, kNames[0]}, *v);
  if (const element* v = fields->FindNonNull(1))
    out->after = reader->DateTime({&loc, kNames[1]}, *v);
  fields->ForbidExtras(loc, reader);
}

// flow_run_id {any_} and task_run_id {any_, is_null_}.
void ReadRunFilter(const LocNode& loc, element value, bool with_is_null, FieldReader* reader,
                   std::optional<std::vector<Uuid>>* any, std::optional<bool>* is_null) {
  static constexpr std::string_view kFlowNames[] = {"any_"};
  static constexpr std::string_view kTaskNames[] = {"any_", "is_null_"};
  const std::optional<ObjectFields> fields = with_is_null
                                                 ? OpenFilter(loc, value, kTaskNames, reader)
                                                 : OpenFilter(loc, value, kFlowNames, reader);
  if (!fields) return;
  if (const element* v = fields->FindNonNull(0)) {
    std::vector<Uuid> ids;
    if (reader->UuidList({&loc, kTaskNames[0]}, *v, &ids)) *any = std::move(ids);
  }
  if (with_is_null) {
    if (const element* v = fields->FindNonNull(1))
      *is_null = reader->Bool({&loc, kTaskNames[1]}, *v);
  }
  fields->ForbidExtras(loc, reader);
}

// LogFilter: {operator?, level?, timestamp?, flow_run_id?, task_run_id?, text?}.
void ReadLogFilter(const LocNode& loc, element value, FieldReader* reader, LogQuery* out,
                   bool* text_search) {
  static constexpr std::string_view kNames[] = {"operator",    "level",       "timestamp",
                                                "flow_run_id", "task_run_id", "text"};
  const std::optional<ObjectFields> fields = OpenFilter(loc, value, kNames, reader);
  if (!fields) return;
  const LocNode locs[] = {{&loc, kNames[0]}, {&loc, kNames[1]}, {&loc, kNames[2]},
                          {&loc, kNames[3]}, {&loc, kNames[4]}, {&loc, kNames[5]}};
  if (const element* v = fields->FindNonNull(0)) {
    const std::optional<size_t> op = reader->Enum(locs[0], *v, kOperators, "'and_' or 'or_'");
    out->any_clause = op == 1;
  }
  if (const element* v = fields->FindNonNull(1)) ReadLevelFilter(locs[1], *v, reader, out);
  if (const element* v = fields->FindNonNull(2)) ReadTimestampFilter(locs[2], *v, reader, out);
  if (const element* v = fields->FindNonNull(3)) {
    ReadRunFilter(locs[3], *v, false, reader, &out->flow_runs, nullptr);
  }
  if (const element* v = fields->FindNonNull(4)) {
    ReadRunFilter(locs[4], *v, true, reader, &out->task_runs, &out->task_run_is_null);
  }
  *text_search = fields->FindNonNull(5) != nullptr;
  fields->ForbidExtras(loc, reader);
}

std::optional<std::string> LogString(const LocNode& loc, element value, FieldReader* reader) {
  if (std::optional<std::string_view> text = reader->String(loc, value)) return std::string(*text);
  return std::nullopt;
}

// One LogCreate at ["body", index]; nullptr after recording why not.
LogRing::Entry ReadLogCreate(int64_t index, element value, TimePoint now, FieldReader* reader) {
  static constexpr std::string_view kNames[] = {"name",      "level",       "message",
                                                "timestamp", "flow_run_id", "task_run_id"};
  const LocNode loc{&kBodyLoc, index};
  if (value.type() != simdjson::dom::element_type::OBJECT) {
    reader->Record(TypeError(loc, kModelAttributesType, EchoedJson(value)));
    return nullptr;
  }
  const ObjectFields fields(value.get_object().value_unsafe(), kNames);
  const LocNode locs[] = {{&loc, kNames[0]}, {&loc, kNames[1]}, {&loc, kNames[2]},
                          {&loc, kNames[3]}, {&loc, kNames[4]}, {&loc, kNames[5]}};
  auto log = std::make_shared<StoredLog>();
  log->id = NewRandomUuid();
  log->created = now;
  if (const element* v = RequireModelField(fields, 0, locs[0], value, reader)) {
    if (auto name = LogString(locs[0], *v, reader)) log->name = std::move(*name);
  }
  if (const element* v = RequireModelField(fields, 1, locs[1], value, reader)) {
    if (auto level = reader->Int(locs[1], *v)) log->level = *level;
  }
  if (const element* v = RequireModelField(fields, 2, locs[2], value, reader)) {
    if (auto message = LogString(locs[2], *v, reader)) log->message = std::move(*message);
  }
  if (const element* v = RequireModelField(fields, 3, locs[3], value, reader)) {
    if (auto when = reader->DateTime(locs[3], *v)) log->timestamp = *when;
  }
  if (const element* v = fields.FindNonNull(4)) log->flow_run_id = reader->UuidValue(locs[4], *v);
  if (const element* v = fields.FindNonNull(5)) log->task_run_id = reader->UuidValue(locs[5], *v);
  fields.ForbidExtras(loc, reader);
  if (!reader->ok()) return nullptr;  // this log's errors, or an earlier one's
  return log;
}

}  // namespace

bool ParseLogCreates(Body body, TimePoint now, std::vector<LogRing::Entry>* out,
                     ValidationErrors* errors) {
  FieldReader reader(errors);
  if (!body) {
    reader.Record(MissingError(kBodyLoc, "null"));
    return false;
  }
  if (body->type() != simdjson::dom::element_type::ARRAY) {
    reader.Record(NotASequenceError(kBodyLoc, EchoedJson(*body)));
    return false;
  }
  int64_t index = 0;
  const simdjson::dom::array items = body->get_array().value_unsafe();
  for (element item : items) {
    if (reader.full()) break;
    LogRing::Entry log = ReadLogCreate(index++, item, now, &reader);
    if (log) out->push_back(std::move(log));
  }
  return reader.ok();
}

PageOutcome ParseLogQuery(Body body, int64_t default_limit, LogQuery* out, bool* text_search,
                          ValidationErrors* errors) {
  static constexpr std::string_view kNames[] = {"limit", "offset", "logs", "sort"};
  FieldReader reader(errors);
  ObjectFields fields;
  *text_search = false;
  if (!OpenEmbeddedBody(body, kNames, &reader, &fields)) return PageOutcome::kInvalid;
  out->limit = default_limit;
  out->offset = 0;
  // Prefect reads `limit` in a dependency, which refuses a bad one at once.
  if (const element* limit = fields.FindNonNull(0)) {
    if (auto value = reader.Int({&kBodyLoc, kNames[0]}, *limit)) {
      if (*value < 0) return PageOutcome::kLimitNegative;
      if (*value > default_limit) return PageOutcome::kLimitTooLarge;
      out->limit = *value;
    }
  }
  if (const element* offset = fields.FindNonNull(1)) {
    if (auto value = reader.Int({&kBodyLoc, kNames[1]}, *offset, {.ge = 0})) out->offset = *value;
  }
  if (const element* logs = fields.FindNonNull(2)) {
    ReadLogFilter({&kBodyLoc, kNames[2]}, *logs, &reader, out, text_search);
  }
  if (const element* sort = fields.FindNonNull(3)) {
    const std::optional<size_t> index =
        reader.Enum({&kBodyLoc, kNames[3]}, *sort, kSorts, "'TIMESTAMP_ASC' or 'TIMESTAMP_DESC'");
    out->newest_first = index == 1;
  }
  if (!reader.ok()) return PageOutcome::kInvalid;
  return *text_search ? PageOutcome::kInvalid : PageOutcome::kOk;
}

}  // namespace slotd::api
