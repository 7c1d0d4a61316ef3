#include "api/prefect/dispatch.h"

#include <cstdlib>

#include "api/prefect/api_version.h"
#include "api/prefect/body_parser.h"
#include "api/prefect/handlers.h"
#include "api/prefect/router.h"

namespace slotd::api {
namespace {

struct RouteSpec {
  Handler handler;
  bool reads_body;          // routes without body parameters ignore any body
  bool checks_api_version;  // all but /health and /version
};

RouteSpec SpecOf(Route route) {
  auto reads_body = [](Handler handler) { return RouteSpec{handler, true, true}; };
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
    case Route::kHello:
      return no_body(HandleHello);
    case Route::kCsrfToken:
      return no_body(HandleCsrfToken);
    case Route::kV1Create:
      return reads_body(HandleV1Create);
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
      return reads_body(HandleV2Create);
    case Route::kV2Read:
      return no_body(HandleV2Read);
    case Route::kV2Filter:
      return reads_body(HandleV2Filter);
    case Route::kV2Update:
      return reads_body(HandleV2Update);
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
  }
  std::abort();  // unreachable: -Wswitch keeps every route listed
}

}  // namespace

void Dispatch(const ApiContext& context, const ApiRequest& request, ApiResponse* out) {
  const RouteMatch match = MatchRoute(ParseMethod(request.method), request.path);
  if (match.outcome == RouteMatch::Outcome::kNotFound) {
    return RespondDetail(out, 404, "Not Found");
  }
  if (match.outcome == RouteMatch::Outcome::kMethodNotAllowed) {
    RespondDetail(out, 405, "Method Not Allowed");
    out->allow = match.allow;
    return;
  }
  const RouteSpec spec = SpecOf(match.route);
  BodyParser parser;
  Body body;
  if (spec.reads_body && !request.body.empty() && !parser.Parse(request.body, &body, out)) return;
  if (spec.checks_api_version && !request.api_version_header.empty()) {
    const ApiVersionCheck check = CheckApiVersion(request.api_version_header);
    if (check != ApiVersionCheck::kOk) {
      return RespondDetail(out, 400, ApiVersionErrorDetail(check, request.api_version_header));
    }
  }
  spec.handler(HandlerInput{context, request, match, body}, out);
}

}  // namespace slotd::api
