// Parsers of the v2 (global limit, slot and lease) bodies.
#include "api/json/body_fields.h"
#include "api/json/input_echo.h"
#include "api/prefect/request_parsing.h"

namespace slotd::api {
namespace {

// Counts stop at the engine's kMaxSlotCount (2^53 - 1), past which the
// decaying levels would lose whole slots.
constexpr IntRule kCount{.ge = 0, .le = kMaxSlotCount};
constexpr IntRule kSlotsRequested{.gt = 0, .le = kMaxSlotCount};
const NumberRule kNonNegativeFloat{.ge = 0.0, .ge_text = {"0", "0.0"}};
const NumberRule kLeaseDuration{.ge = kMinLeaseSeconds,
                                .ge_text = {"60", "60"},
                                .le = kMaxLeaseSeconds,
                                .le_text = {"86400", "86400"}};
const NumberRule kPositiveFloat{.gt = 0.0, .gt_text = {"0", "0.0"}};

constexpr std::string_view kModes[] = {"concurrency", "rate_limit"};
constexpr std::string_view kHolderTypes[] = {"flow_run", "task_run", "deployment"};
constexpr HolderType kHolderTypeValues[] = {HolderType::kFlowRun, HolderType::kTaskRun,
                                            HolderType::kDeployment};

// The create and update schemas share their fields, in this order.
constexpr std::string_view kLimitFields[] = {
    "active", "name", "limit", "active_slots", "denied_slots", "slot_decay_per_second"};

// ConcurrencyLeaseHolder: {type, id}, extras forbidden.
std::optional<Holder> ReadHolder(const LocNode& loc, element value, FieldReader* reader) {
  static constexpr std::string_view kNames[] = {"type", "id"};
  if (value.type() != simdjson::dom::element_type::OBJECT) {
    reader->Record(TypeError(loc, kModelAttributesType, EchoedJson(value)));
    return std::nullopt;
  }
  const ObjectFields fields(value.get_object().value_unsafe(), kNames);
  const LocNode type_loc{&loc, kNames[0]};
  const LocNode id_loc{&loc, kNames[1]};
  Holder holder;
  bool valid = true;
  if (const element* type = RequireModelField(fields, 0, type_loc, value, reader)) {
    auto index =
        reader->Literal(type_loc, *type, kHolderTypes, "'flow_run', 'task_run' or 'deployment'");
    if (index) holder.type = kHolderTypeValues[*index];
    valid = valid && index.has_value();
  } else {
    valid = false;
  }
  if (const element* id = RequireModelField(fields, 1, id_loc, value, reader)) {
    auto parsed = reader->UuidValue(id_loc, *id);
    if (parsed) holder.id = *parsed;
    valid = valid && parsed.has_value();
  } else {
    valid = false;
  }
  const size_t errors_before = reader->error_count();
  fields.ForbidExtras(loc, reader);
  valid = valid && reader->error_count() == errors_before;
  if (!valid) return std::nullopt;
  return holder;
}

// Reads `slots` (> 0) and `names` (at least one), required in every slot body.
void ReadSlotsAndNames(const ObjectFields& fields, FieldReader* reader, int64_t* slots,
                       std::vector<std::string_view>* names) {
  const LocNode slots_loc{&kBodyLoc, std::string_view("slots")};
  const LocNode names_loc{&kBodyLoc, std::string_view("names")};
  if (const element* value = RequireEmbeddedField(fields, 0, slots_loc, reader)) {
    if (auto parsed = reader->Int(slots_loc, *value, kSlotsRequested)) *slots = *parsed;
  }
  if (const element* value = RequireEmbeddedField(fields, 1, names_loc, reader)) {
    reader->StringList(names_loc, *value, 1, names);
  }
}

// `create_if_missing`: accepted (deprecated in Prefect) but ignored.
void CheckCreateIfMissing(const ObjectFields& fields, size_t index, FieldReader* reader) {
  if (const element* value = fields.FindNonNull(index)) {
    reader->Bool({&kBodyLoc, std::string_view("create_if_missing")}, *value);
  }
}

}  // namespace

bool ParseLimitCreate(Body body, NewLimit* out, ValidationErrors* errors) {
  // Fields with a default are not Optional: an explicit null is a type error.
  FieldReader reader(errors);
  ObjectFields fields;
  if (!OpenModelBody(body, kLimitFields, &reader, &fields)) return false;
  const LocNode locs[] = {{&kBodyLoc, kLimitFields[0]}, {&kBodyLoc, kLimitFields[1]},
                          {&kBodyLoc, kLimitFields[2]}, {&kBodyLoc, kLimitFields[3]},
                          {&kBodyLoc, kLimitFields[4]}, {&kBodyLoc, kLimitFields[5]}};
  if (const element* value = fields.Find(0)) {
    if (auto active = reader.Bool(locs[0], *value)) out->active = *active;
  }
  if (const element* value = RequireModelField(fields, 1, locs[1], *body, &reader)) {
    if (auto name = reader.Name(locs[1], *value)) out->name = std::string(*name);
  }
  if (const element* value = RequireModelField(fields, 2, locs[2], *body, &reader)) {
    if (auto limit = reader.Int(locs[2], *value, kCount)) out->limit = *limit;
  }
  if (const element* value = fields.Find(3)) {
    if (auto slots = reader.Int(locs[3], *value, kCount)) out->active_slots = *slots;
  }
  if (const element* value = fields.Find(4)) {
    if (auto slots = reader.Int(locs[4], *value, kCount)) out->denied_slots = *slots;
  }
  if (const element* value = fields.Find(5)) {
    if (auto decay = reader.Number(locs[5], *value, kNonNegativeFloat)) {
      out->slot_decay_per_second = *decay;
    }
  }
  fields.ForbidExtras(kBodyLoc, &reader);
  return reader.ok();
}

bool ParseLimitUpdate(Body body, LimitPatch* out, bool* sets_null, ValidationErrors* errors) {
  FieldReader reader(errors);
  ObjectFields fields;
  if (!OpenModelBody(body, kLimitFields, &reader, &fields)) return false;
  *sets_null = false;
  for (size_t i = 0; i < std::size(kLimitFields); ++i) {
    const element* value = fields.Find(i);
    *sets_null = *sets_null || (value != nullptr && value->is_null());
  }
  const LocNode locs[] = {{&kBodyLoc, kLimitFields[0]}, {&kBodyLoc, kLimitFields[1]},
                          {&kBodyLoc, kLimitFields[2]}, {&kBodyLoc, kLimitFields[3]},
                          {&kBodyLoc, kLimitFields[4]}, {&kBodyLoc, kLimitFields[5]}};
  if (const element* value = fields.FindNonNull(0)) out->active = reader.Bool(locs[0], *value);
  if (const element* value = fields.FindNonNull(1)) {
    if (auto name = reader.Name(locs[1], *value)) out->name = std::string(*name);
  }
  if (const element* value = fields.FindNonNull(2)) {
    out->limit = reader.Int(locs[2], *value, kCount);
  }
  if (const element* value = fields.FindNonNull(3)) {
    out->active_slots = reader.Int(locs[3], *value, kCount);
  }
  if (const element* value = fields.FindNonNull(4)) {
    out->denied_slots = reader.Int(locs[4], *value, kCount);
  }
  if (const element* value = fields.FindNonNull(5)) {
    out->slot_decay_per_second = reader.Number(locs[5], *value, kNonNegativeFloat);
  }
  fields.ForbidExtras(kBodyLoc, &reader);
  return reader.ok();
}

bool ParseSlotsAcquire(Body body, bool with_lease, SlotsAcquire* out, ValidationErrors* errors) {
  static constexpr std::string_view kPlain[] = {"slots", "names", "mode", "create_if_missing"};
  static constexpr std::string_view kLeased[] = {"slots", "names", "mode", "lease_duration",
                                                 "holder"};
  FieldReader reader(errors);
  ObjectFields fields;
  if (with_lease) {
    if (!OpenEmbeddedBody(body, kLeased, &reader, &fields)) return false;
  } else {
    if (!OpenEmbeddedBody(body, kPlain, &reader, &fields)) return false;
  }
  ReadSlotsAndNames(fields, &reader, &out->slots, &out->names);
  if (const element* value = fields.FindNonNull(2)) {
    auto mode = reader.Literal({&kBodyLoc, std::string_view("mode")}, *value, kModes,
                               "'concurrency' or 'rate_limit'");
    if (mode) out->mode = *mode == 0 ? AcquireMode::kConcurrency : AcquireMode::kRateLimit;
  }
  if (!with_lease) {
    CheckCreateIfMissing(fields, 3, &reader);
    return reader.ok();
  }
  if (const element* value = fields.FindNonNull(3)) {
    auto seconds =
        reader.Number({&kBodyLoc, std::string_view("lease_duration")}, *value, kLeaseDuration);
    if (seconds) out->lease_duration_seconds = *seconds;
  }
  if (const element* value = fields.FindNonNull(4)) {
    out->holder = ReadHolder({&kBodyLoc, std::string_view("holder")}, *value, &reader);
  }
  return reader.ok();
}

bool ParseSlotsRelease(Body body, SlotsRelease* out, ValidationErrors* errors) {
  static constexpr std::string_view kNames[] = {"slots", "names", "occupancy_seconds",
                                                "create_if_missing"};
  FieldReader reader(errors);
  ObjectFields fields;
  if (!OpenEmbeddedBody(body, kNames, &reader, &fields)) return false;
  ReadSlotsAndNames(fields, &reader, &out->slots, &out->names);
  if (const element* value = fields.FindNonNull(2)) {
    out->occupancy_seconds = reader.Number({&kBodyLoc, kNames[2]}, *value, kPositiveFloat);
  }
  CheckCreateIfMissing(fields, 3, &reader);
  return reader.ok();
}

bool ParseLeaseRelease(Body body, Uuid* lease_id, ValidationErrors* errors) {
  static constexpr std::string_view kNames[] = {"lease_id"};
  FieldReader reader(errors);
  ObjectFields fields;
  if (!OpenEmbeddedBody(body, kNames, &reader, &fields)) return false;
  const LocNode loc{&kBodyLoc, kNames[0]};
  if (const element* value = RequireEmbeddedField(fields, 0, loc, &reader)) {
    if (auto id = reader.UuidValue(loc, *value)) *lease_id = *id;
  }
  return reader.ok();
}

bool ParseLeaseRenewal(Body body, double* lease_duration_seconds, ValidationErrors* errors) {
  static constexpr std::string_view kNames[] = {"lease_duration"};
  FieldReader reader(errors);
  ObjectFields fields;
  if (!OpenEmbeddedBody(body, kNames, &reader, &fields)) return false;
  *lease_duration_seconds = kDefaultLeaseSeconds;
  if (const element* value = fields.FindNonNull(0)) {
    if (auto seconds = reader.Number({&kBodyLoc, kNames[0]}, *value, kLeaseDuration)) {
      *lease_duration_seconds = *seconds;
    }
  }
  return reader.ok();
}

}  // namespace slotd::api
