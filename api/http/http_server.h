// The HTTP front: cpp-httplib serving the API, with the limits, logging and
// authentication of the slotd process.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <ctime>
#include <memory>
#include <optional>
#include <string>

#include "api/prefect/context.h"

namespace slotd::api {

struct ServerSettings {
  std::string host = "127.0.0.1";
  int port = 4200;  // 0: any free port
  size_t max_body_bytes = 1 << 20;
  // Connections served at once; one more gets 503 and is closed.
  size_t max_connections = 1024;
  // From a request's first byte to its answer's last (BoundedServer).
  std::chrono::milliseconds request_timeout{30000};
  std::optional<std::string> auth_string;  // "user:password" for Basic auth
  bool access_log = true;
  time_t keep_alive_seconds = 5;
  SSL_CTX* tls = nullptr;  // HTTPS when set; not owned, outlives the server
};

class HttpServer {
 public:
  // `context` must outlive the server.
  HttpServer(const ApiContext& context, ServerSettings settings);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens (connections queue from here on). Returns the port
  // (the one the system chose when settings.port is 0), or -1.
  int Bind();

  // Accepts and serves until Stop(); returns once every connection thread
  // has finished (an idle keep-alive connection lasts up to its timeout).
  void Serve();

  // Stops accepting. Requests in flight go on to completion. Thread-safe;
  // not for a signal handler.
  void Stop();

  // Requests whose headers have arrived and whose answer is not yet written.
  int InFlight() const;

  // Connections being served (not counting ones answered 503).
  size_t OpenConnections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace slotd::api
