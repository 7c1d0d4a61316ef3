// Maps a method and a decoded request path to one of the API's routes.
//
// The path is split on '/' and dispatched on its segments: no regular
// expressions. Matching follows Starlette's router as Prefect configures it:
// routes are tried in Prefect's registration order, a path that matches a
// route under another method answers 405 with that route's Allow header, a
// route matches only in its own slash form (the two create routes end in
// '/', no other does), and a path that matches nothing but whose other slash
// form matches a route (under any method) is redirected there, as Starlette's
// redirect_slashes does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/prefect/route_family.h"
#include "engine/uuid.h"

namespace slotd::api {

enum class Method : uint8_t { kGet, kPost, kPatch, kDelete, kOther };

Method ParseMethod(std::string_view method);

enum class Route : uint8_t {
  // /api root routes
  kHealth,
  kReady,
  kVersion,
  kAdminVersion,
  kAdminStorage,
  kHello,
  kCsrfToken,
  // /api/concurrency_limits (v1)
  kV1Create,
  kV1ReadById,
  kV1ReadByTag,
  kV1Filter,
  kV1ResetByTag,
  kV1DeleteById,
  kV1DeleteByTag,
  kV1Increment,
  kV1Decrement,
  // /api/v2/concurrency_limits
  kV2Create,
  kV2Read,
  kV2Filter,
  kV2Update,
  kV2Delete,
  kV2Increment,
  kV2IncrementWithLease,
  kV2Decrement,
  kV2DecrementWithLease,
  kV2RenewLease,
  // /api/logs
  kLogsCreate,
  kLogsFilter,
  // /api/events (the websocket /api/events/in is the transport's)
  kEventsFilter,
  kEventsFilterNext,
  // slotd's own: the live page (/, /ui, /ui/<file>), /metrics, and
  // /api/slotd/ (extension routes)
  kUi,
  kMetrics,
  kSlotdLimitHolders,
  kSlotdEvents,
};
inline constexpr size_t kRouteCount = static_cast<size_t>(Route::kSlotdEvents) + 1;

// The family a route's requests are counted in (route_family.h).
RouteFamily FamilyOf(Route route);

struct RouteMatch {
  enum class Outcome : uint8_t { kFound, kNotFound, kMethodNotAllowed, kRedirect };
  Outcome outcome = Outcome::kNotFound;
  Route route = Route::kHealth;
  // The path parameter ({id}, {tag}, {id_or_name}, {lease_id} or {name}), if
  // any. (kUi reads the page's file from the request path.)
  std::string_view param;
  // The v1 {id:uuid} routes: the id, parsed (those routes match only a
  // canonical UUID, as Starlette's uuid converter does).
  Uuid id{};
  // kMethodNotAllowed: the Allow header of the route the path matched.
  std::string_view allow;
  // kRedirect: the path in its other slash form (every trailing '/' removed,
  // or one added), still percent-decoded.
  std::string redirect_path;
};

// `path` is the percent-decoded request path, e.g. "/api/v2/concurrency_limits/x".
RouteMatch MatchRoute(Method method, std::string_view path);

}  // namespace slotd::api
