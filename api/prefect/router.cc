#include "api/prefect/router.h"

#include <array>
#include <cctype>

#include "api/ui/ui_page.h"

namespace slotd::api {
namespace {

// The longest route: v2/concurrency_limits/leases/{lease_id}/renew.
// (/metrics and the live page are the routes outside /api/.)
constexpr size_t kMaxSegments = 5;
using Segments = std::array<std::string_view, kMaxSegments>;

constexpr std::string_view kApiPrefix = "/api/";

// Splits the path under /api/ into segments; false when it is not under
// /api/, has too many segments or an empty one (a doubled slash). A path
// ending in '/' has it removed and *trailing_slash set.
bool SplitPath(std::string_view path, Segments* segments, size_t* count, bool* trailing_slash) {
  if (!path.starts_with(kApiPrefix)) return false;
  std::string_view rest = path.substr(kApiPrefix.size());
  *trailing_slash = rest.ends_with('/');
  if (*trailing_slash) rest.remove_suffix(1);
  if (rest.empty()) return false;
  *count = 0;
  while (true) {
    const size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment.empty() || *count == kMaxSegments) return false;
    (*segments)[(*count)++] = segment;
    if (slash == std::string_view::npos) return true;
    rest.remove_prefix(slash + 1);
  }
}

RouteMatch Found(Route route, std::string_view param = {}) {
  RouteMatch match;
  match.outcome = RouteMatch::Outcome::kFound;
  match.route = route;
  match.param = param;
  return match;
}

RouteMatch NotAllowed(std::string_view allow) {
  RouteMatch match;
  match.outcome = RouteMatch::Outcome::kMethodNotAllowed;
  match.allow = allow;
  return match;
}

// A path served by a single method.
RouteMatch Only(Method method, Method wanted, Route route, std::string_view param = {}) {
  if (method == wanted) return Found(route, param);
  return NotAllowed(wanted == Method::kGet ? "GET" : "POST");
}

// Starlette's uuid path converter: 8-4-4-4-12 hex digits, either case.
bool IsCanonicalUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool hyphen_place = i == 8 || i == 13 || i == 18 || i == 23;
    if (hyphen_place ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

RouteMatch MatchOneSegment(Method method, std::string_view name) {
  if (name == "health") return Only(method, Method::kGet, Route::kHealth);
  if (name == "ready") return Only(method, Method::kGet, Route::kReady);
  if (name == "version") return Only(method, Method::kGet, Route::kVersion);
  if (name == "hello") return Only(method, Method::kGet, Route::kHello);
  if (name == "csrf-token") return Only(method, Method::kGet, Route::kCsrfToken);
  if (name == "concurrency_limits") return Only(method, Method::kPost, Route::kV1Create);
  if (name == "logs") return Only(method, Method::kPost, Route::kLogsCreate);
  return {};
}

// /concurrency_limits/<segment>: the POST actions, else {id:uuid}.
RouteMatch MatchV1Item(Method method, std::string_view segment) {
  if (segment == "filter") return Only(method, Method::kPost, Route::kV1Filter);
  if (segment == "increment") return Only(method, Method::kPost, Route::kV1Increment);
  if (segment == "decrement") return Only(method, Method::kPost, Route::kV1Decrement);
  if (!IsCanonicalUuid(segment)) return {};
  RouteMatch match;
  if (method == Method::kGet) {
    match = Found(Route::kV1ReadById, segment);
  } else if (method == Method::kDelete) {
    match = Found(Route::kV1DeleteById, segment);
  } else {
    return NotAllowed("GET");
  }
  match.id = *ParseUuid(segment);
  return match;
}

// /v2/concurrency_limits/<segment>: Prefect registers GET /{id_or_name}
// before the POST actions, so GET, PATCH and DELETE take any segment (a
// limit may be named "filter") and only POST looks at the action names.
RouteMatch MatchV2Item(Method method, std::string_view segment) {
  switch (method) {
    case Method::kGet:
      return Found(Route::kV2Read, segment);
    case Method::kPatch:
      return Found(Route::kV2Update, segment);
    case Method::kDelete:
      return Found(Route::kV2Delete, segment);
    case Method::kPost:
      if (segment == "filter") return Found(Route::kV2Filter);
      if (segment == "increment") return Found(Route::kV2Increment);
      if (segment == "increment-with-lease") return Found(Route::kV2IncrementWithLease);
      if (segment == "decrement") return Found(Route::kV2Decrement);
      if (segment == "decrement-with-lease") return Found(Route::kV2DecrementWithLease);
      return NotAllowed("GET");
    case Method::kOther:
      return NotAllowed("GET");
  }
  return {};
}

// The route `path` names in exactly this slash form.
RouteMatch MatchExactly(Method method, std::string_view path) {
  if (path == "/metrics") return Only(method, Method::kGet, Route::kMetrics);
  if (IsUiPath(path)) return Only(method, Method::kGet, Route::kUi);
  Segments s;
  size_t count = 0;
  bool trailing_slash = false;
  if (!SplitPath(path, &s, &count, &trailing_slash)) return {};
  const bool v1 = s[0] == "concurrency_limits";
  const bool v2 = count >= 2 && s[0] == "v2" && s[1] == "concurrency_limits";
  // Only the create routes (and the logs') are registered with a trailing
  // slash.
  const bool create = (count == 1 && (v1 || s[0] == "logs")) || (count == 2 && v2);
  if (trailing_slash != create) return {};
  switch (count) {
    case 1:
      return MatchOneSegment(method, s[0]);
    case 2:
      if (s[0] == "admin" && s[1] == "version")
        return Only(method, Method::kGet, Route::kAdminVersion);
      if (s[0] == "admin" && s[1] == "storage")
        return Only(method, Method::kGet, Route::kAdminStorage);
      if (v1) return MatchV1Item(method, s[1]);
      if (v2) return Only(method, Method::kPost, Route::kV2Create);
      if (s[0] == "logs" && s[1] == "filter")
        return Only(method, Method::kPost, Route::kLogsFilter);
      if (s[0] == "events" && s[1] == "filter")
        return Only(method, Method::kPost, Route::kEventsFilter);
      if (s[0] == "slotd" && s[1] == "events")
        return Only(method, Method::kGet, Route::kSlotdEvents);
      return {};
    case 3:
      if (v1 && s[1] == "tag") {
        if (method == Method::kGet) return Found(Route::kV1ReadByTag, s[2]);
        if (method == Method::kDelete) return Found(Route::kV1DeleteByTag, s[2]);
        return NotAllowed("GET");
      }
      if (v2) return MatchV2Item(method, s[2]);
      if (s[0] == "events" && s[1] == "filter" && s[2] == "next")
        return Only(method, Method::kGet, Route::kEventsFilterNext);
      return {};
    case 4:
      if (v1 && s[1] == "tag" && s[3] == "reset") {
        return Only(method, Method::kPost, Route::kV1ResetByTag, s[2]);
      }
      if (s[0] == "slotd" && s[1] == "limits" && s[3] == "holders") {
        return Only(method, Method::kGet, Route::kSlotdLimitHolders, s[2]);
      }
      return {};
    case 5:
      if (v2 && s[2] == "leases" && s[4] == "renew") {
        return Only(method, Method::kPost, Route::kV2RenewLease, s[3]);
      }
      return {};
    default:
      return {};
  }
}

}  // namespace

RouteFamily FamilyOf(Route route) {
  switch (route) {
    case Route::kHealth:
    case Route::kReady:
    case Route::kVersion:
    case Route::kAdminVersion:
    case Route::kHello:
    case Route::kCsrfToken:
    case Route::kAdminStorage:
      return RouteFamily::kRoot;
    case Route::kV1Create:
    case Route::kV1ReadById:
    case Route::kV1ReadByTag:
    case Route::kV1Filter:
    case Route::kV1ResetByTag:
    case Route::kV1DeleteById:
    case Route::kV1DeleteByTag:
    case Route::kV1Increment:
    case Route::kV1Decrement:
      return RouteFamily::kV1;
    case Route::kV2Create:
    case Route::kV2Read:
    case Route::kV2Filter:
    case Route::kV2Update:
    case Route::kV2Delete:
      return RouteFamily::kV2Limits;
    case Route::kV2Increment:
    case Route::kV2IncrementWithLease:
    case Route::kV2Decrement:
    case Route::kV2DecrementWithLease:
    case Route::kV2RenewLease:
      return RouteFamily::kV2Slots;
    case Route::kLogsCreate:
    case Route::kLogsFilter:
      return RouteFamily::kLogs;
    case Route::kEventsFilter:
    case Route::kEventsFilterNext:
      return RouteFamily::kEvents;
    case Route::kMetrics:
      return RouteFamily::kMetrics;
    case Route::kUi:
    case Route::kSlotdLimitHolders:
    case Route::kSlotdEvents:
      return RouteFamily::kSlotd;
  }
  return RouteFamily::kUnmatched;
}

Method ParseMethod(std::string_view method) {
  if (method == "GET") return Method::kGet;
  if (method == "POST") return Method::kPost;
  if (method == "PATCH") return Method::kPatch;
  if (method == "DELETE") return Method::kDelete;
  return Method::kOther;
}

RouteMatch MatchRoute(Method method, std::string_view path) {
  RouteMatch match = MatchExactly(method, path);
  // Starlette redirects only what no route matched under any method, and
  // never the root of the API.
  if (match.outcome != RouteMatch::Outcome::kNotFound || path == kApiPrefix) return match;
  std::string other(path);
  if (other.ends_with('/')) {
    other.erase(other.find_last_not_of('/') + 1);
  } else {
    other.push_back('/');
  }
  if (MatchExactly(method, other).outcome == RouteMatch::Outcome::kNotFound) return match;
  match.outcome = RouteMatch::Outcome::kRedirect;
  match.redirect_path = std::move(other);
  return match;
}

}  // namespace slotd::api
