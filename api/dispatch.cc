#include "api/dispatch.h"

#include "api/api_version.h"
#include "api/handlers.h"
#include "api/json_body.h"
#include "api/router.h"

namespace slotd::api {
namespace {

struct RouteSpec {
  Handler handler;
  bool reads_body;          // routes without body parameters ignore any body
  bool checks_api_version;  // all but /health and /version
};

// Indexed by Route.
constexpr RouteSpec kRouteSpecs[kRouteCount] = {
    {HandleHealth, false, false},
    {HandleReady, false, true},
    {HandleVersion, false, false},
    {HandleAdminVersion, false, true},
    {HandleHello, false, true},
    {HandleCsrfToken, false, true},
    {HandleV1Create, true, true},
    {HandleV1ReadById, false, true},
    {HandleV1ReadByTag, false, true},
    {HandleV1Filter, true, true},
    {HandleV1ResetByTag, true, true},
    {HandleV1DeleteById, false, true},
    {HandleV1DeleteByTag, false, true},
    {HandleV1Increment, true, true},
    {HandleV1Decrement, true, true},
    {HandleV2Create, true, true},
    {HandleV2Read, false, true},
    {HandleV2Filter, true, true},
    {HandleV2Update, true, true},
    {HandleV2Delete, false, true},
    {HandleV2Increment, true, true},
    {HandleV2IncrementWithLease, true, true},
    {HandleV2Decrement, true, true},
    {HandleV2DecrementWithLease, true, true},
    {HandleV2RenewLease, true, true},
};

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
  const RouteSpec& spec = kRouteSpecs[static_cast<size_t>(match.route)];
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
