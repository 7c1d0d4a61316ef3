// The route handlers. Each reads its typed request, makes one engine call
// and writes the answer; none keeps state between requests.
#pragma once

#include <string>
#include <string_view>

#include "api/prefect/context.h"
#include "api/prefect/deferred.h"
#include "api/prefect/request_parsing.h"
#include "api/prefect/responses.h"
#include "api/prefect/router.h"

namespace slotd::api {

struct HandlerInput {
  const ApiContext& context;
  const ApiRequest& request;
  const RouteMatch& match;
  Body body;  // parsed; nullopt when there was none (or it was JSON null)
  // The body was sent with a Content-Type that is not JSON: FastAPI keeps it
  // as bytes, so the route sees no fields (body is nullopt) and a 422 echoes
  // request.body as a string.
  bool body_is_text = false;
  // Lent by the transport: a handler may defer its answer (deferred.h).
  Deferral* deferral = nullptr;
};

using Handler = void (*)(const HandlerInput& in, ApiResponse* out);

// handlers_root.cc
void HandleHealth(const HandlerInput& in, ApiResponse* out);
void HandleReady(const HandlerInput& in, ApiResponse* out);
void HandleVersion(const HandlerInput& in, ApiResponse* out);
void HandleAdminVersion(const HandlerInput& in, ApiResponse* out);
void HandleAdminStorage(const HandlerInput& in, ApiResponse* out);
void HandleHello(const HandlerInput& in, ApiResponse* out);
void HandleCsrfToken(const HandlerInput& in, ApiResponse* out);

// handlers_v1.cc
void HandleV1Create(const HandlerInput& in, ApiResponse* out);
void HandleV1ReadById(const HandlerInput& in, ApiResponse* out);
void HandleV1ReadByTag(const HandlerInput& in, ApiResponse* out);
void HandleV1Filter(const HandlerInput& in, ApiResponse* out);
void HandleV1ResetByTag(const HandlerInput& in, ApiResponse* out);
void HandleV1DeleteById(const HandlerInput& in, ApiResponse* out);
void HandleV1DeleteByTag(const HandlerInput& in, ApiResponse* out);
void HandleV1Increment(const HandlerInput& in, ApiResponse* out);
void HandleV1Decrement(const HandlerInput& in, ApiResponse* out);

// handlers_v2.cc
void HandleV2Create(const HandlerInput& in, ApiResponse* out);
void HandleV2Read(const HandlerInput& in, ApiResponse* out);
void HandleV2Filter(const HandlerInput& in, ApiResponse* out);
void HandleV2Update(const HandlerInput& in, ApiResponse* out);
void HandleV2Delete(const HandlerInput& in, ApiResponse* out);
void HandleV2Increment(const HandlerInput& in, ApiResponse* out);
void HandleV2IncrementWithLease(const HandlerInput& in, ApiResponse* out);
void HandleV2Decrement(const HandlerInput& in, ApiResponse* out);
void HandleV2DecrementWithLease(const HandlerInput& in, ApiResponse* out);
void HandleV2RenewLease(const HandlerInput& in, ApiResponse* out);

// handlers_logs.cc
void HandleLogsCreate(const HandlerInput& in, ApiResponse* out);
void HandleLogsFilter(const HandlerInput& in, ApiResponse* out);

// handlers_events.cc
void HandleEventsFilter(const HandlerInput& in, ApiResponse* out);
void HandleEventsFilterNext(const HandlerInput& in, ApiResponse* out);

// Fair waiting (handlers_wait.cc): how long a request may wait for slots,
// from the server's --wait-seconds or the request's RFC 7240
// `Prefer: wait=N` (capped by --max-wait-seconds), and the
// Preference-Applied value to answer with (empty: none).
struct WaitPlan {
  double seconds = 0;  // 0: answer at once, as Prefect does
  std::string applied;
};
WaitPlan PlanWait(const HandlerInput& in);
// The engine's terms for a wait of `plan` whose outcome `answer` turns into
// the late answer (and the undo of a grant), delivered through in.deferral.
using LateAnswer = std::function<void(const WaitResult& result, ApiResponse* out, Undo* undo)>;
WaitTerms DeferredTerms(const HandlerInput& in, const WaitPlan& plan, LateAnswer answer);
// Calls `complete` with `answer` once the calling thread's changes are
// durable (or with the data-dir 503 if they cannot be), without blocking:
// at once when nothing is to be waited for, else from the journal's thread.
void CompleteWhenDurable(SlotStore& engine, const Deferral::Complete& complete, ApiResponse answer,
                         Undo undo);
// After the engine answered kWaiting for `wait_id`: defers the answer.
void DeferAnswer(const HandlerInput& in, WaitId wait_id);

// handlers_slotd.cc: GET /metrics and the /api/slotd/ extension routes.
void HandleMetrics(const HandlerInput& in, ApiResponse* out);
void HandleLimitHolders(const HandlerInput& in, ApiResponse* out);
// GET /api/slotd/events: checks Last-Event-ID (400 when it is not a decimal
// uint64) and leaves the stream itself to the transport.
void HandleEventStream(const HandlerInput& in, ApiResponse* out);

// handlers_ui.cc: the live page's files (api/ui).
void HandleUi(const HandlerInput& in, ApiResponse* out);

// Shared by the handler files (handlers_common.cc).

// The request body as the 422 echoes it: as parsed, or "null".
std::string RequestBodyJson(Body body);
// The 422 for `errors` on this request (a 500 when the body is text that is
// not UTF-8: Prefect fails to echo it).
void RespondInvalidRequest(const HandlerInput& in, const ValidationErrors& errors,
                           ApiResponse* out);
// An engine status the handler has no answer of its own for: a cap refusal
// (503; any call that creates a limit or a lease can meet one), else a status
// its validation should have ruled out (500 naming it, so the mismatch is
// visible).
void RespondOtherStatus(Status status, ApiResponse* out);
// The 422 for a name the engine refused as longer than its max_name_bytes,
// shaped as pydantic's string_too_long at ["body", field] for a field of
// `max_length`.
void RespondNameTooLong(const HandlerInput& in, std::string_view field, std::string_view name,
                        size_t max_length, ApiResponse* out);
// 503: the data dir cannot take changes (a full or failing disk), or one
// made could not be written; reads go on working.
void RespondUnavailable(ApiResponse* out);
// 503 with Retry-After: the store (--store redis://...) cannot be reached.
void RespondStoreUnavailable(ApiResponse* out);
// The 409 Prefect answers on a duplicate name.
void RespondNameTaken(ApiResponse* out);
// Reads a filter body's page (limit and offset). On a body Prefect refuses,
// writes its 422 and returns false.
bool ReadPageOrRespond(const HandlerInput& in, Page* page, ApiResponse* out);
// Whether a lookup by a path parameter found nothing: it fails the same way
// whether the name does not exist or could not exist.
bool IsMissing(Status status);

}  // namespace slotd::api
