// What the parts of the server share: its settings, the API context, the
// access log and the counters. Written before the I/O threads start; after
// that only the atomics change.
#pragma once

#include <algorithm>
#include <atomic>
#include <boost/asio/ssl/context.hpp>
#include <cstddef>
#include <memory>

#include "api/http/access_log.h"
#include "api/http/body_budget.h"
#include "api/http/http_server.h"
#include "api/http/request_reader.h"
#include "api/prefect/context.h"

namespace slotd::api {

struct ServerState {
  ServerState(const ApiContext& context, ServerSettings settings)
      : context(context),
        settings(std::move(settings)),
        log(this->settings.access_log, this->settings.access_log_json),
        body_budget(std::max(this->settings.max_body_total_bytes, this->settings.max_body_bytes)) {
    reader.max_body_bytes = this->settings.max_body_bytes;
    reader.body_budget = &body_budget;
    if (this->settings.auth_string) reader.auth_string = &*this->settings.auth_string;
    reader.tls = this->settings.tls != nullptr;
    reader.server_address = this->settings.host;
    context.metrics->WatchConnections(&open, &rejecting);
  }
  ~ServerState() { context.metrics->WatchConnections(nullptr, nullptr); }
  ServerState(const ServerState&) = delete;
  ServerState& operator=(const ServerState&) = delete;

  const ApiContext& context;
  const ServerSettings settings;
  const AccessLog log;
  BodyBudget body_budget;
  // Set from settings.tls when serving HTTPS; shares the SSL_CTX.
  std::unique_ptr<boost::asio::ssl::context> tls;
  // What every connection's reader checks against; its server_port is set by
  // Bind, before any connection.
  ReaderSettings reader;
  // Connections served (admitted under the cap) and ones being answered 503.
  std::atomic<size_t> open{0};
  std::atomic<size_t> rejecting{0};
};

}  // namespace slotd::api
