// What every request handler sees: the engine and the server's settings
// (read-only, shared by all threads), and the parts of the HTTP request the
// API looks at, independent of the HTTP library.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/prefect/change_feed.h"
#include "api/prefect/event_ring.h"
#include "api/prefect/log_ring.h"
#include "api/prefect/server_metrics.h"
#include "engine/slot_store.h"

namespace slotd::api {

struct ApiConfig {
  std::string prefect_version = "3.9.1";  // GET /api/admin/version
  std::string api_version = "0.8.4";      // GET /api/version
  int64_t default_limit = 200;            // filter page size, and its maximum
  // Fair waiting: how long an increment waits for slots when the request
  // does not say (0: not at all, as Prefect), and the most a request's
  // `Prefer: wait=N` may ask for.
  double wait_seconds = 0;
  double max_wait_seconds = 60;

  // GET /metrics shows this many limits one by one (the first by name) and
  // sums the rest (--metrics-max-limits).
  size_t metrics_max_limits = 1000;
};

// How many logs the ring keeps unless told otherwise (--log-ring).
inline constexpr size_t kDefaultLogRing = 10'000;
// How many events the ring keeps unless told otherwise (--event-ring).
inline constexpr size_t kDefaultEventRing = 10'000;

struct ApiContext {
  SlotStore* engine = nullptr;  // the store behind every handler
  ApiConfig config;
  // The logs clients sent (POST /api/logs/), shared with whoever else
  // appends to or reads the ring; never null.
  std::shared_ptr<LogRing> logs = std::make_shared<LogRing>(kDefaultLogRing);
  // The events clients sent on the websocket /api/events/in; never null.
  std::shared_ptr<EventRing> events = std::make_shared<EventRing>(kDefaultEventRing);

  // The engine's changes as events (GET /api/slotd/events); null: the
  // route answers 404.
  std::shared_ptr<ChangeFeed> change_feed;

  // The transport's request and connection counts; never null.
  std::shared_ptr<ServerMetrics> metrics = std::make_shared<ServerMetrics>();
};

struct ApiRequest {
  std::string_view method;
  std::string_view path;       // percent-decoded, without the query string
  std::string_view raw_query;  // as sent, after the '?'; empty when none
  std::string_view body;       // empty when the request has none
  // The Content-Type header, if any (FastAPI reads a body as JSON only when
  // it says so), and whether the body came in chunks, without a
  // Content-Length (Prefect assumes JSON for a body without a Content-Type
  // only when it has a Content-Length).
  std::optional<std::string_view> content_type;
  bool chunked = false;
  // Where a redirect points (redirect_location.h): the Host header (empty
  // when absent), whether the connection is TLS, and the address and port
  // the server listens on.
  std::string_view host_header;
  bool tls = false;
  std::string_view server_address;
  int server_port = 0;
  // The x-prefect-api-version header; empty when absent.
  std::string_view api_version_header;
  // The Prefer header (RFC 7240); empty when absent.
  std::string_view prefer_header;
  // The If-None-Match header (the live page's revalidation); empty when absent.
  std::string_view if_none_match;
  // The Last-Event-ID header (GET /api/slotd/events), if sent.
  std::optional<std::string_view> last_event_id_header;
  // The `client` query parameter of GET /api/csrf-token, if given.
  std::optional<std::string_view> csrf_client;
  // The `page-token` query parameter of GET /api/events/filter/next, if given.
  std::optional<std::string_view> page_token;
};

}  // namespace slotd::api
