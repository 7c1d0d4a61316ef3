// The v2 routes (/api/v2/concurrency_limits): global limits, slots, leases.
#include "api/json/body_fields.h"
#include "api/json/pydantic_uuid_error.h"
#include "api/json/python_float_repr.h"
#include "api/json/writer.h"
#include "api/prefect/handlers.h"

namespace slotd::api {
namespace {

constexpr std::string_view kNotFound = "Concurrency Limit not found";

// Prefect's {id_or_name}: a value that parses as a UUID is an id.
LimitKey KeyOf(std::string_view id_or_name) {
  if (std::optional<Uuid> id = ParseUuid(id_or_name)) return *id;
  return id_or_name;
}

std::string NoDecayMessage(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) {
    if (!joined.empty()) joined.push_back(',');
    joined += name;
  }
  std::string message =
      "Only concurrency limits with slot decay can be used for rate limiting. The following "
      "limits do not have a decay configured: ";
  AppendPythonStringRepr(&message, joined);
  return message;
}

void AnswerAcquire(Status status, const AcquireOutcome& outcome, bool with_lease, ApiResponse* out);

// The late answer of a waiting acquisition, and how to give a grant back
// (the lease released, or the slots).
LateAnswer LateAcquire(const HandlerInput& in, const SlotsAcquire& request) {
  const bool with_lease = in.match.route == Route::kV2IncrementWithLease;
  return [engine = in.context.engine, with_lease,
          names = std::vector<std::string>(request.names.begin(), request.names.end()),
          slots = request.slots](const WaitResult& result, ApiResponse* out, Undo* undo) {
    AnswerAcquire(result.status, result.acquire, with_lease, out);
    if (result.status != Status::kOk) return;
    if (with_lease) {
      *undo = [engine, lease_id = result.acquire.lease_id] {
        (void)engine->ReleaseLease(lease_id);
      };
      return;
    }
    *undo = [engine, names, slots] {
      std::vector<std::string_view> views(names.begin(), names.end());
      ReleaseRequest release;
      release.names = views;
      release.slots = slots;
      std::vector<LimitRef> ignored;
      (void)engine->Release(release, &ignored);
    };
  };
}

// Both increment routes: the same acquisition, answered with or without a lease.
void Acquire(const HandlerInput& in, bool with_lease, ApiResponse* out) {
  ValidationErrors errors;
  SlotsAcquire request;
  if (!ParseSlotsAcquire(in.body, with_lease, &request, &errors)) {
    return RespondInvalidRequest(in, errors, out);
  }
  AcquireRequest acquire;
  acquire.names = request.names;
  acquire.slots = request.slots;
  acquire.mode = request.mode;
  if (with_lease) {
    acquire.lease = LeaseTerms{SecondsToMicros(request.lease_duration_seconds), request.holder};
  }
  AcquireOutcome outcome;
  const WaitPlan plan = PlanWait(in);
  Status status;
  if (plan.seconds > 0 && in.deferral) {
    WaitId wait_id = 0;
    status = in.context.engine->AcquireOrWait(
        acquire, &outcome, DeferredTerms(in, plan, LateAcquire(in, request)), &wait_id);
    if (status == Status::kWaiting) return DeferAnswer(in, wait_id);
  } else {
    status = in.context.engine->Acquire(acquire, &outcome);
  }
  AnswerAcquire(status, outcome, with_lease, out);
  out->preference_applied = plan.applied;
}

void AnswerAcquire(Status status, const AcquireOutcome& outcome, bool with_lease,
                   ApiResponse* out) {
  switch (status) {
    case Status::kOk:
      out->status = 200;
      out->body = with_lease ? LeaseResponseJson(outcome.lease_id, outcome.limits)
                             : MinimalLimitListJson(outcome.limits);
      return;
    case Status::kSlotsExceedLimit:
      return RespondDetail(out, 422, "Slots requested is greater than the limit");
    case Status::kNoDecayForRateLimit:
      return RespondDetail(out, 422, NoDecayMessage(outcome.names_without_decay));
    case Status::kLocked:
      RespondDetail(out, 423, "Locked");
      out->retry_after = PythonFloat(outcome.retry_after_seconds);
      return;
    default:
      return RespondOtherStatus(status, out);
  }
}

}  // namespace

void HandleV2Create(const HandlerInput& in, ApiResponse* out) {
  ValidationErrors errors;
  NewLimit spec;
  if (!ParseLimitCreate(in.body, &spec, &errors)) return RespondInvalidRequest(in, errors, out);
  LimitSnapshot limit;
  const Status status = in.context.engine->CreateLimit(spec, &limit);
  if (status == Status::kNameTaken) return RespondNameTaken(out);
  if (status == Status::kNameTooLong) {
    return RespondNameTooLong(in, "name", spec.name, in.context.engine->MaxNameBytes(), out);
  }
  if (status != Status::kOk) return RespondOtherStatus(status, out);
  out->status = 201;
  out->body = LimitV2Json(limit);
}

void HandleV2Read(const HandlerInput& in, ApiResponse* out) {
  LimitSnapshot limit;
  const Status status = in.context.engine->ReadLimit(KeyOf(in.match.param), &limit);
  if (IsMissing(status)) return RespondDetail(out, 404, kNotFound);
  if (status != Status::kOk) return RespondOtherStatus(status, out);
  out->status = 200;
  out->body = GlobalLimitJson(limit);
}

void HandleV2Filter(const HandlerInput& in, ApiResponse* out) {
  Page page;
  if (!ReadPageOrRespond(in, &page, out)) return;
  std::vector<LimitSnapshot> limits;
  const Status status = in.context.engine->ListLimits("", static_cast<size_t>(page.offset),
                                                      static_cast<size_t>(page.limit), &limits);
  if (status != Status::kOk) return RespondOtherStatus(status, out);
  out->status = 200;
  out->body = GlobalLimitListJson(limits);
}

void HandleV2Update(const HandlerInput& in, ApiResponse* out) {
  ValidationErrors errors;
  LimitPatch patch;
  bool sets_null = false;
  if (!ParseLimitUpdate(in.body, &patch, &sets_null, &errors)) {
    return RespondInvalidRequest(in, errors, out);
  }
  if (sets_null) {
    // Prefect's update of no row raises nothing (404); of a row, the null
    // breaks a NOT NULL constraint (409) and changes nothing.
    LimitSnapshot limit;
    const Status read = in.context.engine->ReadLimit(KeyOf(in.match.param), &limit);
    if (IsMissing(read)) return RespondDetail(out, 404, kNotFound);
    if (read != Status::kOk) return RespondOtherStatus(read, out);
    return RespondNameTaken(out);
  }
  const Status status = in.context.engine->UpdateLimit(KeyOf(in.match.param), patch);
  if (status == Status::kOk) return RespondNoContent(out);
  if (status == Status::kNameTaken) return RespondNameTaken(out);
  if (status == Status::kNotFound) return RespondDetail(out, 404, kNotFound);
  if (status == Status::kNameTooLong) {
    return RespondNameTooLong(in, "name", *patch.name, in.context.engine->MaxNameBytes(), out);
  }
  RespondOtherStatus(status, out);
}

void HandleV2Delete(const HandlerInput& in, ApiResponse* out) {
  const Status status = in.context.engine->DeleteLimit(KeyOf(in.match.param));
  if (status == Status::kOk) return RespondNoContent(out);
  if (IsMissing(status)) return RespondDetail(out, 404, kNotFound);
  RespondOtherStatus(status, out);
}

void HandleV2Increment(const HandlerInput& in, ApiResponse* out) { Acquire(in, false, out); }

void HandleV2IncrementWithLease(const HandlerInput& in, ApiResponse* out) {
  Acquire(in, true, out);
}

void HandleV2Decrement(const HandlerInput& in, ApiResponse* out) {
  ValidationErrors errors;
  SlotsRelease request;
  if (!ParseSlotsRelease(in.body, &request, &errors)) return RespondInvalidRequest(in, errors, out);
  ReleaseRequest release;
  release.names = request.names;
  release.slots = request.slots;
  release.occupancy_seconds = request.occupancy_seconds;
  std::vector<LimitRef> limits;
  const Status status = in.context.engine->Release(release, &limits);
  if (status != Status::kOk) return RespondOtherStatus(status, out);
  out->status = 200;
  out->body = MinimalLimitListJson(limits);
}

void HandleV2DecrementWithLease(const HandlerInput& in, ApiResponse* out) {
  ValidationErrors errors;
  Uuid lease_id{};
  if (!ParseLeaseRelease(in.body, &lease_id, &errors))
    return RespondInvalidRequest(in, errors, out);
  // An unknown or already released lease is not an error (Prefect: 204), so
  // both outcomes, kOk and kLeaseNotFound, answer alike.
  const Status status = in.context.engine->ReleaseLease(lease_id);
  if (status != Status::kOk && status != Status::kLeaseNotFound) {
    return RespondOtherStatus(status, out);
  }
  RespondNoContent(out);
}

void HandleV2RenewLease(const HandlerInput& in, ApiResponse* out) {
  // FastAPI validates the path before the body and reports both.
  ValidationErrors errors;
  FieldReader reader(&errors);
  static constexpr LocNode kPath{nullptr, std::string_view("path")};
  const std::optional<Uuid> lease_id = ParseUuid(in.match.param);
  if (!lease_id) {
    std::string input;
    AppendJsonString(&input, in.match.param);
    reader.Record(UuidParsingError({&kPath, std::string_view("lease_id")},
                                   UuidErrorText(in.match.param), std::move(input)));
  }
  double seconds = kDefaultLeaseSeconds;
  ValidationErrors body_errors;
  ParseLeaseRenewal(in.body, &seconds, &body_errors);
  for (ValidationError& error : body_errors) reader.Record(std::move(error));
  if (!reader.ok()) return RespondInvalidRequest(in, errors, out);
  const Status status = in.context.engine->RenewLease(*lease_id, SecondsToMicros(seconds));
  if (status == Status::kOk) return RespondNoContent(out);
  if (status == Status::kLeaseNotFound) {
    return RespondDetail(out, 410, "Lease not found - it may have expired or been revoked");
  }
  RespondOtherStatus(status, out);
}

}  // namespace slotd::api
