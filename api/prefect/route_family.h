// The groups of routes that request metrics are kept by (the `route` label
// of slotd_http_request_duration_seconds).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace slotd::api {

enum class RouteFamily : uint8_t {
  kTransport,  // refused by the transport before routing (400, 401, 413, 431, ...)
  kUnmatched,  // no route: 404, 405, or a redirect to the other slash form
  kRoot,       // /api/health, /ready, /version, /admin/version, /hello, /csrf-token
  kV1,         // /api/concurrency_limits
  kV2Limits,   // /api/v2/concurrency_limits: create, read, filter, update, delete
  kV2Slots,    // /api/v2/concurrency_limits: increment, decrement, leases
  kLogs,       // /api/logs
  kEvents,     // /api/events: the filter routes and the websocket's upgrade
  kSlotd,      // /api/slotd/ extension routes, and the live page (/, /ui)
  kMetrics,    // /metrics
};
inline constexpr size_t kRouteFamilyCount = static_cast<size_t>(RouteFamily::kMetrics) + 1;

// "transport", "unmatched", "root", "v1", "v2_limits", "v2_slots", "logs",
// "events", "slotd", "metrics".
std::string_view RouteFamilyName(RouteFamily family);

}  // namespace slotd::api
