// Fuzzes body parsing and validation on every route that reads a body: the
// first input byte picks the route, the rest is the body, sent through the
// dispatcher to a real engine. FuzzServer aborts on any answer that breaks
// the API's rules; the sanitizers catch the rest.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_server.h"

namespace {

struct BodyRoute {
  std::string_view method;
  std::string_view path;  // empty: the renew route of the server's lease
};

// Indexed by first byte % size; seeds use 'A' + index ('A' is 65 = 5 * 13).
constexpr BodyRoute kRoutes[] = {
    {"POST", "/api/concurrency_limits/"},
    {"POST", "/api/concurrency_limits/filter"},
    {"POST", "/api/concurrency_limits/tag/a/reset"},
    {"POST", "/api/concurrency_limits/increment"},
    {"POST", "/api/concurrency_limits/decrement"},
    {"POST", "/api/v2/concurrency_limits/"},
    {"POST", "/api/v2/concurrency_limits/filter"},
    {"PATCH", "/api/v2/concurrency_limits/g2"},
    {"POST", "/api/v2/concurrency_limits/increment"},
    {"POST", "/api/v2/concurrency_limits/increment-with-lease"},
    {"POST", "/api/v2/concurrency_limits/decrement"},
    {"POST", "/api/v2/concurrency_limits/decrement-with-lease"},
    {"POST", ""},
};
constexpr size_t kRouteCount = sizeof kRoutes / sizeof kRoutes[0];
static_assert(kRouteCount == 13, "seed file names assume 13 routes");

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  slotd::fuzz::FuzzServer& server = slotd::fuzz::FuzzServer::Get();
  const BodyRoute& route = kRoutes[data[0] % kRouteCount];
  std::string path(route.path);
  if (path.empty()) path = "/api/v2/concurrency_limits/leases/" + server.lease_id() + "/renew";
  slotd::api::ApiRequest request;
  request.method = route.method;
  request.path = path;
  request.body = std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1);
  server.Call(request);
  return 0;
}
