// Typed requests parsed from JSON bodies, one parser per request schema of
// shared/spec/prefect-concurrency-openapi.json.
//
// Every parser takes the body as parsed (nullopt when the request had no
// body or the body was JSON null), fills *out and returns true, or records
// every problem in *errors (FastAPI's order: the schema's fields in order,
// then unknown keys) and returns false. String views in *out point into the
// parsed document and live as long as it does.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "api/json/validation_error.h"
#include "engine/slot_engine.h"

namespace slotd::api {

using Body = std::optional<simdjson::dom::element>;

// ---- v1 ---------------------------------------------------------------------

// POST /concurrency_limits/ (ConcurrencyLimitCreate, extras forbidden).
struct TagLimitUpsert {
  std::string_view tag;
  int64_t concurrency_limit = 0;
};
bool ParseTagLimitUpsert(Body body, TagLimitUpsert* out, ValidationErrors* errors);

// POST /concurrency_limits/increment and /decrement.
struct TaskRunTags {
  std::vector<std::string_view> names;
  Uuid task_run_id{};
};
bool ParseTaskRunTags(Body body, TaskRunTags* out, ValidationErrors* errors);

// POST /concurrency_limits/tag/{tag}/reset: the override ids (may be empty).
bool ParseTagReset(Body body, std::vector<Uuid>* slot_override, ValidationErrors* errors);

// ---- shared -----------------------------------------------------------------

// POST .../filter of v1 and v2: {limit?, offset?}.
struct Page {
  int64_t limit = 0;
  int64_t offset = 0;
};
enum class PageOutcome {
  kOk,
  kInvalid,        // *errors says why
  kLimitNegative,  // Prefect answers with a plain detail message
  kLimitTooLarge,
};
// `default_limit` is both the default and the largest limit allowed.
PageOutcome ParsePage(Body body, int64_t default_limit, Page* out, ValidationErrors* errors);

// ---- v2 ---------------------------------------------------------------------

// POST /v2/concurrency_limits/ (ConcurrencyLimitV2Create, extras forbidden).
bool ParseLimitCreate(Body body, NewLimit* out, ValidationErrors* errors);

// PATCH /v2/concurrency_limits/{id_or_name} (ConcurrencyLimitV2Update).
// *sets_null tells whether a field was given as null: Prefect writes that
// null into a NOT NULL column, so the update fails as a conflict.
bool ParseLimitUpdate(Body body, LimitPatch* out, bool* sets_null, ValidationErrors* errors);

// POST /v2/concurrency_limits/increment and /increment-with-lease.
struct SlotsAcquire {
  std::vector<std::string_view> names;
  int64_t slots = 0;
  AcquireMode mode = AcquireMode::kConcurrency;
  double lease_duration_seconds = 300;  // with lease only
  std::optional<Holder> holder;         // with lease only
};
bool ParseSlotsAcquire(Body body, bool with_lease, SlotsAcquire* out, ValidationErrors* errors);

// POST /v2/concurrency_limits/decrement.
struct SlotsRelease {
  std::vector<std::string_view> names;
  int64_t slots = 0;
  std::optional<double> occupancy_seconds;
};
bool ParseSlotsRelease(Body body, SlotsRelease* out, ValidationErrors* errors);

// POST /v2/concurrency_limits/decrement-with-lease: {lease_id}.
bool ParseLeaseRelease(Body body, Uuid* lease_id, ValidationErrors* errors);

// POST /v2/concurrency_limits/leases/{lease_id}/renew: {lease_duration?}.
bool ParseLeaseRenewal(Body body, double* lease_duration_seconds, ValidationErrors* errors);

// Lease durations accepted (seconds): Prefect's ge=60, le=86400.
inline constexpr double kMinLeaseSeconds = 60;
inline constexpr double kMaxLeaseSeconds = 86400;
inline constexpr double kDefaultLeaseSeconds = 300;

}  // namespace slotd::api
