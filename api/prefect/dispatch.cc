#include "api/prefect/dispatch.h"

#include <cstdlib>

#include "api/json/writer.h"
#include "api/prefect/api_version.h"
#include "api/prefect/body_parser.h"
#include "api/prefect/handlers.h"
#include "api/prefect/redirect_location.h"
#include "api/prefect/router.h"

namespace slotd::api {
namespace {

struct RouteSpec {
  Handler handler;
  bool reads_body;          // routes without body parameters ignore any body
  bool checks_api_version;  // all but /health and /version
  // The body is one model (create, update), so a body that is not JSON fails
  // as not an object; the other routes take embedded fields and read such a
  // body as none.
  bool model_body = false;
};

RouteSpec SpecOf(Route route) {
  auto reads_body = [](Handler handler) { return RouteSpec{handler, true, true}; };
  auto reads_model = [](Handler handler) { return RouteSpec{handler, true, true, true}; };
  auto no_body = [](Handler handler) { return RouteSpec{handler, false, true}; };
  switch (route) {
    case Route::kHealth:
      return {HandleHealth, false, false};
    case Route::kVersion:
      return {HandleVersion, false, false};
    case Route::kReady:
      return no_body(HandleReady);
    case Route::kAdminVersion:
      return no_body(HandleAdminVersion);
    case Route::kAdminStorage:
      return no_body(HandleAdminStorage);
    case Route::kHello:
      return no_body(HandleHello);
    case Route::kCsrfToken:
      return no_body(HandleCsrfToken);
    case Route::kV1Create:
      return reads_model(HandleV1Create);
    case Route::kV1ReadById:
      return no_body(HandleV1ReadById);
    case Route::kV1ReadByTag:
      return no_body(HandleV1ReadByTag);
    case Route::kV1Filter:
      return reads_body(HandleV1Filter);
    case Route::kV1ResetByTag:
      return reads_body(HandleV1ResetByTag);
    case Route::kV1DeleteById:
      return no_body(HandleV1DeleteById);
    case Route::kV1DeleteByTag:
      return no_body(HandleV1DeleteByTag);
    case Route::kV1Increment:
      return reads_body(HandleV1Increment);
    case Route::kV1Decrement:
      return reads_body(HandleV1Decrement);
    case Route::kV2Create:
      return reads_model(HandleV2Create);
    case Route::kV2Read:
      return no_body(HandleV2Read);
    case Route::kV2Filter:
      return reads_body(HandleV2Filter);
    case Route::kV2Update:
      return reads_model(HandleV2Update);
    case Route::kV2Delete:
      return no_body(HandleV2Delete);
    case Route::kV2Increment:
      return reads_body(HandleV2Increment);
    case Route::kV2IncrementWithLease:
      return reads_body(HandleV2IncrementWithLease);
    case Route::kV2Decrement:
      return reads_body(HandleV2Decrement);
    case Route::kV2DecrementWithLease:
      return reads_body(HandleV2DecrementWithLease);
    case Route::kV2RenewLease:
      return reads_body(HandleV2RenewLease);
    case Route::kLogsCreate:
      return reads_body(HandleLogsCreate);
    case Route::kLogsFilter:
      return reads_body(HandleLogsFilter);
    case Route::kEventsFilter:
      return reads_body(HandleEventsFilter);
    case Route::kEventsFilterNext:
      return no_body(HandleEventsFilterNext);
    case Route::kUi:
      return {HandleUi, false, false};
    case Route::kMetrics:
      return {HandleMetrics, false, false};
    case Route::kSlotdLimitHolders:
      return no_body(HandleLimitHolders);
    case Route::kSlotdEvents:
      return no_body(HandleEventStream);
  }
  std::abort();  // unreachable: -Wswitch keeps every route listed
}

}  // namespace

void Dispatch(const ApiContext& context, const ApiRequest& request, ApiResponse* out,
              Deferral* deferral) {
  const RouteMatch match = MatchRoute(ParseMethod(request.method), request.path);
  out->family = match.outcome == RouteMatch::Outcome::kFound ? FamilyOf(match.route)
                                                             : RouteFamily::kUnmatched;
  switch (match.outcome) {
    case RouteMatch::Outcome::kFound:
      break;
    case RouteMatch::Outcome::kNotFound:
      return RespondDetail(out, 404, "Not Found");
    case RouteMatch::Outcome::kMethodNotAllowed:
      RespondDetail(out, 405, "Method Not Allowed");
      out->allow = match.allow;
      return;
    case RouteMatch::Outcome::kRedirect:
      return RespondRedirect(out, RedirectLocation(request, match.redirect_path));
  }
  const RouteSpec spec = SpecOf(match.route);
  BodyParser parser;
  HandlerInput input{context, request, match, Body(), false, deferral};
  if (spec.reads_body && !request.body.empty()) {
    input.body_is_text = !BodyIsJson(request);
    if (!input.body_is_text && !parser.Parse(request.body, &input.body, out)) return;
  }
  if (spec.checks_api_version && !request.api_version_header.empty()) {
    const ApiVersionCheck check = CheckApiVersion(request.api_version_header);
    if (check != ApiVersionCheck::kOk) {
      return RespondDetail(out, 400, ApiVersionErrorDetail(check, request.api_version_header));
    }
  }
  // Validated after the version check, as FastAPI validates the body after
  // running the route's dependencies.
  if (input.body_is_text && spec.model_body) {
    std::string text;
    AppendJsonString(&text, request.body);
    static constexpr LocNode kBody{nullptr, std::string_view("body")};
    return RespondInvalidRequest(input, {TypeError(kBody, kModelAttributesType, text)}, out);
  }
  spec.handler(input, out);
  if (deferral && deferral->deferred()) return;
  // With --data-dir and --fsync always, the answer waits until the changes
  // it reports are on disk. A transport that can defer gets it late (its
  // I/O thread goes on serving while the fsync runs); one that cannot waits
  // here, holding no lock.
  if (deferral != nullptr && context.engine->DurabilityPending()) {
    // The fsync cannot be called off: a client that leaves still gets its
    // answer dropped by the transport, as if it had left after the answer.
    deferral->Defer([] { return false; });
    CompleteWhenDurable(*context.engine, deferral->complete(), std::move(*out), nullptr);
    return;
  }
  if (!context.engine->AwaitDurable()) RespondUnavailable(out);
}

}  // namespace slotd::api
