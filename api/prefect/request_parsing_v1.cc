// Parsers of the v1 (tag limit) bodies and of the filter body both versions
// share.
#include "api/json/body_fields.h"
#include "api/prefect/request_parsing.h"

namespace slotd::api {

bool ParseTagLimitUpsert(Body body, TagLimitUpsert* out, ValidationErrors* errors) {
  static constexpr std::string_view kNames[] = {"tag", "concurrency_limit"};
  FieldReader reader(errors);
  ObjectFields fields;
  if (!OpenModelBody(body, kNames, &reader, &fields)) return false;
  const LocNode tag_loc{&kBodyLoc, kNames[0]};
  const LocNode limit_loc{&kBodyLoc, kNames[1]};
  // Deviation from Prefect (see API.md): the tag obeys the name rule and the
  // limit is a count the engine takes, so a bad limit cannot be stored.
  if (const element* tag = RequireModelField(fields, 0, tag_loc, *body, &reader)) {
    if (auto value = reader.Name(tag_loc, *tag)) out->tag = *value;
  }
  if (const element* limit = RequireModelField(fields, 1, limit_loc, *body, &reader)) {
    if (auto value = reader.Int(limit_loc, *limit, {.ge = 0, .le = kMaxSlotCount})) {
      out->concurrency_limit = *value;
    }
  }
  fields.ForbidExtras(kBodyLoc, &reader);
  return reader.ok();
}

bool ParseTaskRunTags(Body body, TaskRunTags* out, ValidationErrors* errors) {
  static constexpr std::string_view kNames[] = {"names", "task_run_id"};
  FieldReader reader(errors);
  ObjectFields fields;
  if (!OpenEmbeddedBody(body, kNames, &reader, &fields)) return false;
  const LocNode names_loc{&kBodyLoc, kNames[0]};
  const LocNode id_loc{&kBodyLoc, kNames[1]};
  if (const element* names = RequireEmbeddedField(fields, 0, names_loc, &reader)) {
    reader.StringList(names_loc, *names, 0, &out->names);
  }
  if (const element* id = RequireEmbeddedField(fields, 1, id_loc, &reader)) {
    if (auto value = reader.UuidValue(id_loc, *id)) out->task_run_id = *value;
  }
  return reader.ok();
}

bool ParseTagReset(Body body, std::vector<Uuid>* slot_override, ValidationErrors* errors) {
  static constexpr std::string_view kNames[] = {"slot_override"};
  FieldReader reader(errors);
  ObjectFields fields;
  if (!OpenEmbeddedBody(body, kNames, &reader, &fields)) return false;
  if (const element* ids = fields.FindNonNull(0)) {
    reader.UuidList({&kBodyLoc, kNames[0]}, *ids, slot_override);
  }
  return reader.ok();
}

PageOutcome ParsePage(Body body, int64_t default_limit, Page* out, ValidationErrors* errors) {
  // Prefect reads `limit` in a dependency that runs before `offset` is
  // validated, and rejects a bad limit at once with a plain message.
  static constexpr std::string_view kNames[] = {"limit", "offset"};
  FieldReader reader(errors);
  ObjectFields fields;
  if (!OpenEmbeddedBody(body, kNames, &reader, &fields)) return PageOutcome::kInvalid;
  out->limit = default_limit;
  out->offset = 0;
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
  return reader.ok() ? PageOutcome::kOk : PageOutcome::kInvalid;
}

}  // namespace slotd::api
